//! Host bindings generated from `wit/plugin.wit`: the one place `bindgen!` runs.

wasmtime::component::bindgen!({
    world: "detector",
    path: "../wit",
    // Imports return `Result` so the host can trap a plugin that floods them.
    imports: { default: trappable },
    exports: { default: async },
});
