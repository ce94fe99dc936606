//! `detector-v0-1`: a detector built against `aiir:plugin@0.1.0` as it was released
//! (`wit/plugin.wit` here is a frozen copy of it), so that the tests hold the host to
//! loading plugins of an earlier version of the contract.
//!
//! The detector itself is `../legacy.rs`, shared with `detector-v0-2`. Built only for
//! tests, never shipped.

#[allow(unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "detector", path: "wit" });
}

const MARK: &str = "v0.1-canary";
const CONTRACT: &str = "0.1.0";

include!("../../legacy.rs");
