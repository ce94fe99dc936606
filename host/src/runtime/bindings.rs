//! Host bindings generated from `wit/plugin.wit`: the one place `bindgen!` runs.
//!
//! The `detector` world is generated here, the `responder` world in [`responder`]
//! reusing the detector's `types` and `host` modules, so a `Finding` or a `Severity`
//! is one Rust type whichever world it crosses.

wasmtime::component::bindgen!({
    world: "detector",
    path: "../wit",
    // Imports return `Result` so the host can trap a plugin that floods them.
    imports: { default: trappable },
    exports: { default: async },
});

/// The `responder` world: the `incidents` and `response` interfaces and the
/// `Responder` exports.
pub mod responder {
    wasmtime::component::bindgen!({
        world: "responder",
        path: "../wit",
        imports: { default: trappable },
        exports: { default: async },
        with: {
            "aiir:plugin/types": crate::runtime::bindings::aiir::plugin::types,
            "aiir:plugin/host": crate::runtime::bindings::aiir::plugin::host,
        },
    });
}
