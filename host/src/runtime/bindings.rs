//! Host bindings generated from `wit/plugin.wit`: the one place `bindgen!` runs.
//!
//! The `detector` world is generated here, the `packed-detector` world in [`packed`]
//! and the `responder` world in [`responder`] reusing the detector's `types` and
//! `host` modules, so a `Finding` or a `Severity` is one Rust type whichever world it
//! crosses. [`compat`] holds the exports of
//! plugins built against earlier versions of the contract.

wasmtime::component::bindgen!({
    world: "detector",
    path: "../wit",
    // Imports return `Result` so the host can trap a plugin that floods them.
    imports: { default: trappable },
    exports: { default: async },
});

/// The `packed-detector` world: the `detector` world's exports and `inspect-packed`.
pub mod packed {
    wasmtime::component::bindgen!({
        world: "packed-detector",
        path: "../wit",
        imports: { default: trappable },
        exports: { default: async },
        with: {
            "aiir:plugin/types": crate::runtime::bindings::aiir::plugin::types,
            "aiir:plugin/host": crate::runtime::bindings::aiir::plugin::host,
            "aiir:plugin/state": crate::runtime::bindings::aiir::plugin::state,
        },
    });
}

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

/// The exports of plugins built against `aiir:plugin@0.1.0` and `@0.2.x`, from
/// `host/compat/plugin-0.2.wit`: only the types 0.3.0 changed are their own.
pub mod compat {
    /// A 0.1.0 or 0.2.x detector.
    pub mod detector {
        wasmtime::component::bindgen!({
            world: "aiir:compat/detector",
            path: ["../wit", "compat/plugin-0.2.wit"],
            exports: { default: async },
            with: {
                "aiir:plugin/types": crate::runtime::bindings::aiir::plugin::types,
            },
        });
    }

    /// A 0.2.x responder.
    pub mod responder {
        wasmtime::component::bindgen!({
            world: "aiir:compat/responder",
            path: ["../wit", "compat/plugin-0.2.wit"],
            exports: { default: async },
            with: {
                "aiir:plugin/types": crate::runtime::bindings::aiir::plugin::types,
                "aiir:plugin/incidents": crate::runtime::bindings::responder::aiir::plugin::incidents,
                "aiir:compat/types": super::detector::aiir::compat::types,
            },
        });
    }
}
