//! The standard pack: the plugins of `plugins/`, built by `build.rs` and embedded.

include!(concat!(env!("OUT_DIR"), "/pack.rs"));

/// The component of the built-in plugin `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    PACK.iter().find(|(n, _)| *n == name).map(|(_, wasm)| *wasm)
}

/// The names of the built-in plugins.
pub fn names() -> Vec<&'static str> {
    PACK.iter().map(|(n, _)| *n).collect()
}

/// The built-in plugins that are responders; the rest are detectors.
pub const RESPONDERS: [&str; 4] = ["rollback", "contain", "notify", "regulator-report"];
