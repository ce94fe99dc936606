//! `hostile-net`: a detector that, on every `inspect` call, opens a TCP connection to
//! `127.0.0.1:9` and resolves `example.com`.
//!
//! It exists to prove that the host grants plugins no network: both must fail, and
//! the `expect`s turn the denial into a panic whose message carries the I/O error.
//! Both are attempted before either is checked, so each call exercises both denials.
//! Were the connection ever to open, the plugin would write `hello` on it and report
//! a finding.
//!
//! Built only for the end-to-end tests, never shipped.

use aiir_sdk::prelude::*;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};

/// The detector; it takes no settings.
#[derive(Debug, Default)]
pub struct HostileNet;

impl Detector for HostileNet {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "hostile-net",
            env!("CARGO_PKG_VERSION"),
            "connects to 127.0.0.1:9 and resolves example.com, to test that the sandbox grants no network",
        )
        .kinds([EventKind::Inference, EventKind::ToolCall, EventKind::Custom])
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        settings.expect_empty()
    }

    fn inspect(&mut self, _event: &Event) -> Result<Vec<Finding>, String> {
        let connected = TcpStream::connect(("127.0.0.1", 9));
        let resolved = ("example.com", 80).to_socket_addrs();
        let mut stream = connected.expect("connect to 127.0.0.1:9");
        let addresses = resolved.expect("resolve example.com").count();
        stream.write_all(b"hello").expect("write to 127.0.0.1:9");
        let title = format!("connected to 127.0.0.1:9; example.com has {addresses} addresses");
        Ok(vec![Finding::new("hostile-net/connected", title, Severity::Critical)])
    }
}

aiir_sdk::export_detector!(HostileNet);
