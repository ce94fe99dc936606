//! Native baselines for the host's benchmarks (`host/benches/runtime.rs`): every
//! detector of the standard pack, linked as a library and driven through
//! `aiir_sdk::testkit::Harness`, inspecting the same events from
//! `plugins/tools/bench-events.jsonl`. The code is in `benches/detectors.rs`; this library
//! is empty.
//!
//! Run: `cargo bench --manifest-path plugins/Cargo.toml -p bench-native` (see BENCHMARKS.md).
