//! The standard pack: the plugins of `plugins/`, built by `build.rs` and embedded.
//! `PACK` holds the detectors, `RESPONDERS` the responders.

include!(concat!(env!("OUT_DIR"), "/pack.rs"));

/// Embedded components by name: [`PACK`] or [`RESPONDERS`].
pub type Table = &'static [(&'static str, &'static [u8])];

/// The component of the built-in detector `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    lookup(PACK, name)
}

/// The names of the built-in detectors.
pub fn names() -> Vec<&'static str> {
    names_of(PACK)
}

/// The component named `name` in `table`.
pub fn lookup(table: Table, name: &str) -> Option<&'static [u8]> {
    table.iter().find(|(n, _)| *n == name).map(|(_, wasm)| *wasm)
}

/// The names in `table`.
pub fn names_of(table: Table) -> Vec<&'static str> {
    table.iter().map(|(n, _)| *n).collect()
}
