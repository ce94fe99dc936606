//! Host bindings generated from `wit/plugin.wit`: the one place `bindgen!` runs.

wasmtime::component::bindgen!({
    world: "detector",
    path: "../wit",
    exports: { default: async },
});
