//! What a plugin may reach: the imports it may link against and the WASI context
//! behind them. Denied by default.

use super::capture::Capture;
use serde::Deserialize;
use std::time::Duration;
use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, WasiCtx};

/// Imports every plugin may have: the contract itself, and the WASI interfaces
/// Rust's std links, which the context below leaves empty (no environment, no
/// arguments, stdin closed, output captured).
const ALWAYS: &[&str] = &["aiir:plugin/", "wasi:io/", "wasi:cli/", "wasi:clocks/", "wasi:random/"];

/// A capability the operator grants a plugin by name in `grants = [...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grant {
    /// Link `wasi:filesystem`. No directory is preopened, so nothing can be opened:
    /// for plugins whose std code merely mentions files.
    Filesystem,
    /// Link `wasi:sockets`. Every address and name lookup is still denied.
    Sockets,
}

impl Grant {
    /// Every grant there is.
    pub const ALL: [Grant; 2] = [Grant::Filesystem, Grant::Sockets];

    fn prefix(self) -> &'static str {
        match self {
            Grant::Filesystem => "wasi:filesystem/",
            Grant::Sockets => "wasi:sockets/",
        }
    }

    /// The grant that would allow an import, if any does.
    pub fn allowing(import: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| import.starts_with(g.prefix()))
    }

    /// The name used in `grants = [...]`.
    pub fn name(self) -> &'static str {
        match self {
            Grant::Filesystem => "filesystem",
            Grant::Sockets => "sockets",
        }
    }
}

/// The sandbox of one plugin: its grants and whether its clocks and randomness
/// are fixed (for reproducible tests).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sandbox {
    /// Capabilities granted beyond the always-allowed ones.
    pub grants: Vec<Grant>,
    /// Fixed clocks and seeded randomness.
    pub deterministic: bool,
}

impl Sandbox {
    /// The imports of a component that this sandbox does not grant.
    pub fn ungranted<'a>(&self, imports: &'a [String]) -> Vec<&'a str> {
        let granted = |name: &str| {
            ALWAYS.iter().any(|p| name.starts_with(p)) || self.grants.iter().any(|g| name.starts_with(g.prefix()))
        };
        imports.iter().map(String::as_str).filter(|i| !granted(i)).collect()
    }

    /// The WASI context of one instance: nothing preopened, no environment or
    /// arguments, stdin closed, stdout and stderr into `capture`, every socket
    /// address and name lookup denied (the builder's defaults, kept explicit).
    pub fn wasi_ctx(&self, plugin: &str, capture: &Capture) -> WasiCtx {
        let mut builder = WasiCtx::builder();
        builder.stdout(capture.clone()).stderr(capture.clone()).allow_ip_name_lookup(false);
        let plugin = plugin.to_owned();
        builder.socket_addr_check(move |addr, usage| {
            tracing::warn!(plugin, %addr, ?usage, "denied a socket");
            Box::pin(async { false })
        });
        if self.deterministic {
            builder
                .wall_clock(FixedClock)
                .monotonic_clock(FixedClock)
                .insecure_random_seed(0)
                .secure_random(seeded())
                .insecure_random(seeded());
        }
        builder.build()
    }
}

/// The same bytes every run.
fn seeded() -> Deterministic {
    Deterministic::new((0..=u8::MAX).collect())
}

/// A clock that always reads the Unix epoch.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_granted_imports_pass() {
        let imports =
            ["aiir:plugin/host@0.2.0", "wasi:cli/environment@0.2.6", "wasi:sockets/tcp@0.2.6", "wasi:http/types@0.2.6"]
                .map(String::from);
        let strict = Sandbox::default();
        assert_eq!(strict.ungranted(&imports), ["wasi:sockets/tcp@0.2.6", "wasi:http/types@0.2.6"]);
        let net = Sandbox { grants: vec![Grant::Sockets], ..Sandbox::default() };
        assert_eq!(net.ungranted(&imports), ["wasi:http/types@0.2.6"]);
    }
}
