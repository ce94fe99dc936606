//! The standard pack: the plugins of `plugins/`, built by `build.rs` and embedded.
//! `PACK` holds the detectors, `RESPONDERS` the responders.

include!(concat!(env!("OUT_DIR"), "/pack.rs"));

/// The component of the built-in plugin `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    PACK.iter().find(|(n, _)| *n == name).map(|(_, wasm)| *wasm)
}

/// The names of the built-in plugins.
pub fn names() -> Vec<&'static str> {
    PACK.iter().map(|(n, _)| *n).collect()
}

/// The component of the built-in responder `name`.
pub fn find_responder(name: &str) -> Option<&'static [u8]> {
    RESPONDERS.iter().find(|(n, _)| *n == name).map(|(_, wasm)| *wasm)
}

/// The names of the built-in responders.
pub fn responder_names() -> Vec<&'static str> {
    RESPONDERS.iter().map(|(n, _)| *n).collect()
}
