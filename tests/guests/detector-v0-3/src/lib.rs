//! `detector-v0-3`: a detector built against `aiir:plugin@0.3.0` as it was released
//! (`wit/plugin.wit` here is a frozen copy of it), of the plain `detector` world, so
//! that the tests hold the host to loading plugins of the contract before
//! `packed-detector` and sending them the `event` record.
//!
//! The detector itself is `../legacy.rs`, shared with `detector-v0-1`. Built only for
//! tests, never shipped.

#[allow(unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "detector", path: "wit" });
}

const MARK: &str = "v0.3-canary";
const CONTRACT: &str = "0.3.0";

include!("../../legacy.rs");
