//! How plugins fail: at load, and per call with a reason code.

use super::SettingsError;
use super::admit::Limit;
use super::limits::Exceeded;
use super::sandbox::Grant;
use aiir_boundary::cap;
use aiir_boundary::limits::ERROR_TEXT_BYTES;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;
use wasmtime::Trap;

/// Why a plugin could not be loaded or started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly binary")]
    NotWasm,
    /// A core module where a component is needed.
    #[error("a core WebAssembly module, not a component: build it for wasm32-wasip2")]
    CoreModule,
    /// Its sections cannot be read.
    #[error("malformed component: {0}")]
    Malformed(String),
    /// It holds more of something than a component may.
    #[error("over a load limit: {value} {}, more than the cap of {cap}", .limit.name())]
    OverLimit {
        /// The limit it is over.
        limit: Limit,
        /// How much it holds, as far as it was read.
        value: u64,
        /// The limit's cap.
        cap: u64,
    },
    /// wasmtime could not compile it.
    #[error("cannot compile: {0:#}")]
    Compile(anyhow::Error),
    /// Compiling took longer than the budget.
    #[error("cannot compile: took longer than the budget of {} s", .0.as_secs())]
    CompileBudget(Duration),
    /// A component of some other world.
    #[error("does not implement the aiir:plugin/{world} world: it lacks the export(s) {missing} (it exports: {found})")]
    WrongWorld {
        /// The world it was loaded as: `detector` or `responder`.
        world: &'static str,
        /// The exports of that world it lacks.
        missing: String,
        /// What it exports instead.
        found: String,
    },
    /// It imports capabilities the operator did not grant.
    #[error("imports what it was not granted: {}; {}", name_list(.0, ""), grant_hint(.0))]
    Ungranted(Vec<String>),
    /// Its imports or export types do not match what the host provides.
    #[error("cannot link: {0:#}")]
    Link(anyhow::Error),
    /// Instantiation or the `info` call failed.
    #[error("cannot start: {0}")]
    Start(PluginError),
    /// Its `warm-up` (pre-initialisation) failed.
    #[error("cannot warm up: {0}")]
    WarmUp(PluginError),
    /// `configure` rejected the settings.
    #[error("rejected its settings")]
    Settings(Vec<SettingsError>),
}

/// The most names a load error lists; a component may have 50,000.
const LISTED_NAMES: usize = 8;
/// The most bytes of one name a load error quotes.
const NAME_BYTES: usize = 100;

/// Names taken from a component, for a message: at most [`LISTED_NAMES`], each cut
/// to [`NAME_BYTES`], with how many more there are. `quote` wraps each name.
pub(crate) fn name_list<S: AsRef<str>>(names: &[S], quote: &str) -> String {
    let mut listed: Vec<String> =
        names.iter().take(LISTED_NAMES).map(|n| format!("{quote}{}{quote}", cap(n.as_ref(), NAME_BYTES))).collect();
    if names.len() > LISTED_NAMES {
        listed.push(format!("and {} more", names.len() - LISTED_NAMES));
    }
    listed.join(", ")
}

/// What would allow the ungranted imports, for the operator who trusts the plugin.
fn grant_hint(imports: &[String]) -> String {
    let mut grants: Vec<&str> = imports.iter().filter_map(|i| Grant::allowing(i)).map(Grant::name).collect();
    grants.dedup();
    let list = grants.iter().map(|g| format!("{g:?}")).collect::<Vec<_>>().join(", ");
    match imports.iter().find(|i| Grant::allowing(i).is_none()) {
        Some(i) => format!("no grant allows {i}"),
        None => format!("`grants = [{list}]` would link them (with nothing reachable behind them); {BUILD_WITHOUT}"),
    }
}

/// How each plugin toolchain leaves out the WASI imports no plugin needs, so it loads
/// with no grant.
pub const BUILD_WITHOUT: &str = "to build without them: componentize-py and componentize-qjs \
`--stub-wasi`; componentize-js `-d http -d fetch-event -d stdio -d random -d clocks`; Rust: \
no std::fs, std::net or std::env (nor a dependency that uses them)";

/// Why a call into a plugin failed, as a stable code for counters and policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Ran past its wall-clock deadline (in wasm or in a host call).
    Deadline,
    /// Ran out of its fuel budget.
    Fuel,
    /// Its linear memory or a table would grow past the cap.
    Memory,
    /// Overflowed the wasm stack (deep recursion).
    StackOverflow,
    /// Panicked (Rust's panic message is in its stderr).
    Panic,
    /// Any other trap.
    Trap,
    /// Returned more findings than allowed.
    TooManyFindings,
    /// Proposed more actions than allowed.
    TooManyProposals,
    /// Returned more bytes of strings than allowed.
    OutputTooLarge,
    /// Called `log` more often, or with more bytes, than allowed.
    LogFlood,
    /// Called the `response` imports more often than allowed.
    ImportFlood,
    /// Said it could not inspect the event (or respond to the incident).
    Declined,
    /// Returned a value that breaks the boundary's rules: a finding's rule outside
    /// its namespace, a confidence that is not a number in [0, 1], control
    /// characters in a title, a malformed technique id or field path; a proposal of
    /// the wrong shape.
    InvalidOutput,
    /// Its calls keep taking longer than its time budget allows.
    Slow,
    /// Disabled by its circuit breaker; the event was not sent to it.
    Disabled,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 15] = [
        Reason::Deadline,
        Reason::Fuel,
        Reason::Memory,
        Reason::StackOverflow,
        Reason::Panic,
        Reason::Trap,
        Reason::TooManyFindings,
        Reason::TooManyProposals,
        Reason::OutputTooLarge,
        Reason::LogFlood,
        Reason::ImportFlood,
        Reason::Declined,
        Reason::InvalidOutput,
        Reason::Slow,
        Reason::Disabled,
    ];

    /// The reason of a code written by [`Reason::code`].
    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The code as printed and configured: `deadline`, `too-many-findings`, …
    pub fn code(self) -> &'static str {
        match self {
            Reason::Deadline => "deadline",
            Reason::Fuel => "fuel",
            Reason::Memory => "memory",
            Reason::StackOverflow => "stack-overflow",
            Reason::Panic => "panic",
            Reason::Trap => "trap",
            Reason::TooManyFindings => "too-many-findings",
            Reason::TooManyProposals => "too-many-proposals",
            Reason::OutputTooLarge => "output-too-large",
            Reason::LogFlood => "log-flood",
            Reason::ImportFlood => "import-flood",
            Reason::Declined => "declined",
            Reason::InvalidOutput => "invalid-output",
            Reason::Slow => "slow",
            Reason::Disabled => "disabled",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A failed call: the reason code and what happened. The details may quote the
/// plugin (its error text, its panic message, a trap's backtrace): they are cut to
/// [`ERROR_TEXT_BYTES`] before anything prints, serialises or stores them, and shown
/// on one line, escaped.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}: {}", crate::output::terminal::line(.detail))]
pub struct PluginError {
    /// The reason code.
    pub reason: Reason,
    /// Details for a human, as the plugin or wasmtime gave them (raw: escape to show).
    pub detail: String,
}

impl PluginError {
    /// An error with this reason.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let detail = match cap(&detail, ERROR_TEXT_BYTES) {
            Cow::Borrowed(_) => detail,
            Cow::Owned(cut) => cut,
        };
        Self { reason, detail }
    }

    /// A call that returned an error `text` instead of a result: `declined`, or
    /// `output-too-large` when the text alone is over the output cap.
    pub fn declined(text: String, max_output_bytes: usize) -> Self {
        if text.len() > max_output_bytes {
            let detail = format!("declined with {} bytes of text, more than the cap of {max_output_bytes}", text.len());
            return Self::new(Reason::OutputTooLarge, detail);
        }
        Self::new(Reason::Declined, text)
    }

    /// The call outlived its deadline while the host was waiting on it.
    pub fn deadline(timeout: Duration) -> Self {
        Self::new(Reason::Deadline, format!("call exceeded {} ms", timeout.as_millis()))
    }

    /// Tell why a call trapped, from the error and what the plugin printed.
    pub fn from_trap(error: &wasmtime::Error, stdio: &str, timeout: Duration) -> Self {
        if let Some(exceeded) = error.downcast_ref::<Exceeded>() {
            let reason = match exceeded {
                Exceeded::Memory { .. } | Exceeded::Table { .. } => Reason::Memory,
                Exceeded::Log { .. } => Reason::LogFlood,
                Exceeded::Imports { .. } => Reason::ImportFlood,
            };
            return Self::new(reason, exceeded.to_string());
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => Self::deadline(timeout),
            Some(Trap::OutOfFuel) => Self::new(Reason::Fuel, "ran out of fuel"),
            Some(Trap::StackOverflow) => Self::new(Reason::StackOverflow, "wasm stack overflow"),
            _ => match panic_message(stdio) {
                Some(message) => Self::new(Reason::Panic, message),
                // The cause and what the plugin printed last come first: a Python or C
                // plugin's own message is there, and the backtrace after it is cut first.
                None => {
                    let printed = stdio_tail(stdio).map(|t| format!("; its output ended: {t}")).unwrap_or_default();
                    let (cause, full) = (error.root_cause().to_string(), format!("{error:#}"));
                    let rest = if full == cause { String::new() } else { format!("; {full}") };
                    Self::new(Reason::Trap, format!("{cause}{printed}{rest}"))
                }
            },
        }
    }
}

/// What a plugin printed last, at most [`STDIO_TAIL_BYTES`], on one line with its
/// control characters escaped; none when it printed nothing.
fn stdio_tail(stdio: &str) -> Option<String> {
    let printed = stdio.trim_end();
    let mut start = printed.len().saturating_sub(STDIO_TAIL_BYTES);
    while !printed.is_char_boundary(start) {
        start += 1;
    }
    let tail = &printed[start..];
    let escaped: String =
        tail.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect();
    (!escaped.is_empty()).then(|| if start > 0 { format!("…{escaped}") } else { escaped })
}

/// How much of a trapped plugin's captured stdout and stderr its error carries.
const STDIO_TAIL_BYTES: usize = 400;

/// Rust's panic message, as the default hook printed it to stderr.
fn panic_message(stdio: &str) -> Option<String> {
    let start = stdio.find("panicked at ")?;
    let lines: Vec<&str> = stdio[start..].lines().take(2).collect();
    Some(lines.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_are_told_from_other_traps() {
        let trap = wasmtime::Error::new(Trap::UnreachableCodeReached);
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:9:5:\nboom\nnote: run with `RUST_BACKTRACE=1`";
        let panic = PluginError::from_trap(&trap, stderr, Duration::from_secs(1));
        assert_eq!(panic.reason, Reason::Panic);
        assert_eq!(panic.detail, "panicked at src/lib.rs:9:5: boom");
        assert_eq!(PluginError::from_trap(&trap, "", Duration::from_secs(1)).reason, Reason::Trap);
    }

    #[test]
    fn a_trap_carries_the_tail_of_what_the_plugin_printed_escaped() {
        let trap = wasmtime::Error::new(Trap::UnreachableCodeReached);
        let printed = format!("{}\nTraceback: KeyError: 'x'\n\x1b[2J", "a".repeat(1000));
        let e = PluginError::from_trap(&trap, &printed, Duration::from_secs(1));
        assert_eq!(e.reason, Reason::Trap);
        assert!(
            e.detail.starts_with("wasm trap: wasm `unreachable` instruction executed; its output ended: …aaa"),
            "{}",
            e.detail
        );
        assert!(e.detail.ends_with("aaa\\nTraceback: KeyError: 'x'\\n\\u{1b}[2J"), "{}", e.detail);
        assert!(!e.detail.contains('\x1b') && !e.detail.contains('\n'), "{}", e.detail);
    }

    #[test]
    fn a_components_names_are_listed_within_bounds() {
        let many: Vec<String> = (0..50_000).map(|i| format!("export-{i}")).collect();
        assert_eq!(name_list(&many[..2], "`"), "`export-0`, `export-1`");
        let listed = name_list(&many, "");
        assert!(listed.ends_with("export-7, and 49992 more"), "{listed}");
        assert!(name_list(&["x".repeat(100_000)], "").len() < 200);
    }

    #[test]
    fn plugin_text_is_cut_and_an_error_text_over_the_output_cap_is_not_kept() {
        let long = PluginError::new(Reason::Panic, "P".repeat(100_000));
        assert!(long.detail.len() < ERROR_TEXT_BYTES + 40 && long.detail.ends_with("more bytes cut)"));
        assert_eq!(PluginError::declined("no model in the event".into(), 100).reason, Reason::Declined);
        let huge = PluginError::declined("E".repeat(101), 100);
        assert_eq!(huge.reason, Reason::OutputTooLarge);
        assert_eq!(huge.detail, "declined with 101 bytes of text, more than the cap of 100");
    }

    #[test]
    fn limits_and_wasmtime_traps_map_to_their_codes() {
        let t = Duration::from_millis(5);
        let memory = wasmtime::Error::new(Exceeded::Memory { desired: 1 << 30, cap: 64 });
        assert_eq!(PluginError::from_trap(&memory, "", t).reason, Reason::Memory);
        let log = wasmtime::Error::new(Exceeded::Log { calls: 1, bytes: 1 });
        assert_eq!(PluginError::from_trap(&log, "", t).reason, Reason::LogFlood);
        for (trap, reason) in [
            (Trap::Interrupt, Reason::Deadline),
            (Trap::OutOfFuel, Reason::Fuel),
            (Trap::StackOverflow, Reason::StackOverflow),
        ] {
            assert_eq!(PluginError::from_trap(&wasmtime::Error::new(trap), "", t).reason, reason);
        }
    }
}
