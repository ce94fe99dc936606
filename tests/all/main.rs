//! End-to-end tests: the real `aiir` binary on real plugin builds.
//!
//! The standard pack is built by the host's build script; the components in
//! `tests/guests/` are built here, once per test run.

mod support;

mod agents;
mod authors;
mod bad_input;
mod batches;
mod boundary;
mod cache;
mod cluster;
mod compat;
mod config_ui;
mod demo;
mod escape;
mod eval;
mod follow;
mod formats;
mod grants;
mod human;
mod incidents_cli;
mod inspect;
mod lineage;
mod load;
mod mlflow;
mod openlineage;
mod parallel;
mod plugin_errors;
mod plugin_index;
mod prepare;
mod reads;
mod registry;
mod reload;
mod respond;
mod responder;
mod review;
mod sandbox;
mod senders;
mod serve;
mod serve_faults;
mod shadow;
mod signatures;
mod telemetry;
