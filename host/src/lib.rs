//! aiir: a host for AI-incident response logic.
//!
//! Events from AI model logs flow through the stages of this crate, one module each:
//! [`source`] reads lines (once, or following files as they grow), [`decode`] turns them into WIT events (from aiir JSON Lines,
//! OpenTelemetry GenAI traces or OpenAI chat-completion logs), [`route`] picks the
//! detectors that asked for each event's kind ([`role`] says what their findings mean), [`runtime`] runs those sandboxed
//! WebAssembly components, and [`output`] writes their findings; [`correlate`] groups
//! findings into incidents that [`store`] keeps in a SQLite file; [`respond`] shows
//! each new or grown incident to the responder plugins and [`actuate`] carries out
//! what their policy lets through. [`config`] reads `aiir.toml` ([`file`](mod@file) reads what the
//! operator names, bounded); [`pipeline`] spreads
//! the chain of detectors over worker threads and hands events back in input order;
//! [`run`] wires the stages into the `aiir run` job; [`review`] runs a plugin over a
//! cases file for `aiir test`; [`serve`] takes OTLP/HTTP traces for `aiir serve`;
//! [`trust`] signs plugin artifacts and verifies their signatures with the
//! operator's keys (cosign's keyed format); [`registry`] is where models live, the
//! store's own registry or an MLflow Model Registry; [`cli`] is the command line.
#![deny(missing_docs)]

pub mod actuate;
pub mod chain;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod correlate;
pub mod decode;
pub mod eval;
pub mod file;
pub mod hint;
pub mod ledger;
pub mod net;
pub mod oci;
pub mod output;
pub mod pack;
pub mod pipeline;
pub mod policy;
pub mod problem;
pub mod progress;
pub mod registry;
pub mod reload;
pub mod respond;
pub mod review;
pub mod role;
pub mod route;
pub mod run;
pub mod runtime;
pub mod scaffold;
pub mod serve;
pub mod shadow;
pub mod source;
pub mod store;
pub mod trust;
