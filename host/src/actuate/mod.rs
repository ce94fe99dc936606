//! Carrying out what responders propose: the host owns every privilege, and each
//! actuator does one kind of action for the actions the operator's policy lets through.

pub mod notify;
