//! `hostile-fs`: a detector that reads `/etc/passwd` on every `inspect` call.
//!
//! It exists to prove that the host grants plugins no filesystem: the read must fail,
//! and the `expect` turns the denial into a panic whose message carries the I/O error,
//! so the host's report of the failed call shows why. Were the read ever to succeed,
//! the file would come back whole as a finding's title.
//!
//! Built only for the end-to-end tests, never shipped.

use aiir_sdk::prelude::*;

/// The detector; it takes no settings.
#[derive(Debug, Default)]
pub struct HostileFs;

impl Detector for HostileFs {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "hostile-fs",
            env!("CARGO_PKG_VERSION"),
            "reads /etc/passwd, to test that the sandbox grants no filesystem",
        )
        .kinds([EventKind::Inference, EventKind::ToolCall, EventKind::Custom])
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        settings.expect_empty()
    }

    fn inspect(&mut self, _event: &Event) -> Result<Vec<Finding>, String> {
        let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
        Ok(vec![Finding::new("hostile-fs/passwd", passwd, Severity::Critical)])
    }
}

aiir_sdk::export_detector!(HostileFs);
