//! `tool-abuse`: tool calls that an agent should not make, or not like this.
//!
//! - `tool-abuse/dangerous-tool` (medium): a tool that runs commands or code (shell,
//!   exec, eval), unless the operator allows it.
//! - `tool-abuse/destructive-command` (high; critical for wiping `/` or home, disks,
//!   fork bombs, a download piped into a shell): what a shell or query tool is told to run.
//! - `tool-abuse/injection` (high): shell metacharacters chaining a command, SQL
//!   injection, path traversal or local-file URLs in another tool's arguments.
//! - `tool-abuse/outbound` (medium; high for metadata and loopback addresses): a
//!   URL or mail recipient at a suspect host, or off the allow-list when one is set.
//! - `tool-abuse/burst` (medium): more tool calls in one session than the limit allows
//!   within the window (stateful, bounded: see `burst`).
//! - `tool-abuse/tainted-action` (high; critical when it moves money or changes
//!   credentials or permissions): a tool call aimed at a mail address, IBAN or web
//!   host that only a request inside untrusted content of the session (a tool result,
//!   a retrieved document) named, not the user — or a sensitive call (see
//!   `capability`) given, as a whole argument, a value only such a request named, or
//!   whose tool only such a request named when the user asked for no action of its
//!   kind: the action an indirect injection caused (stateful, in the host's keyed
//!   state: see `taint`).
//!
//! Each rule fires at most once per event; evidence points at the arguments.

mod burst;
mod capability;
mod config;
mod patterns;
mod taint;

use aiir_sdk::prelude::*;
use burst::Bursts;
use capability::Capability;
use config::Config;
use datakit::Redacted;
use datakit::args::{self, Arg};
use patterns::{COMMAND_KEYS, DESTRUCTIVE, INJECTION, Pattern};

const TECHNIQUES: [&str; 2] = ["AML.T0053", "LLM06"];
/// Besides [`TECHNIQUES`]: the injection that caused a tainted action.
const INDIRECT: [&str; 2] = ["AML.T0051.001", "LLM01"];
const FIELD: &str = "payload.tool_call.arguments";
/// The attribute a log gives a tool's description in, as OpenTelemetry's GenAI
/// conventions name it (aiir's OpenAI and Anthropic readers fill it from the request).
const DESCRIPTION: &str = "gen_ai.tool.description";

/// The detector: its settings and the recent call times of each session.
#[derive(Debug)]
pub struct ToolAbuse {
    config: Config,
    bursts: Bursts,
}

impl Default for ToolAbuse {
    fn default() -> Self {
        let config = Config::default();
        let bursts = Bursts::new(config.burst_calls, config.burst_window_secs);
        Self { config, bursts }
    }
}

impl Detector for ToolAbuse {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "tool-abuse",
            env!("CARGO_PKG_VERSION"),
            "dangerous tool calls: shell tools, destructive commands, injection in arguments, \
             outbound calls to suspect hosts, bursts of calls in one session, and calls aimed at \
             targets only injected content asked for",
        )
        .kinds([EventKind::ToolCall, EventKind::Inference])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        let c = Config::from_settings(&settings)?;
        self.bursts = Bursts::new(c.burst_calls, c.burst_window_secs);
        self.config = c;
        Ok(())
    }

    /// The tables every instance shares, built once for the host's pre-initialisation.
    fn warm_up() {
        datakit::warm_up();
        patterns::warm_up();
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let findings = match &event.payload {
            Payload::ToolCall(call) => self.tool_call(event, call),
            _ => Vec::new(),
        };
        // After the call is judged: its own result cannot have caused it.
        remember(event)?;
        Ok(findings.into_iter().map(|f| f.techniques(TECHNIQUES)).collect())
    }
}

/// What the event's user and untrusted texts name, for [`taint`]; the user's first.
fn remember(event: &Event) -> Result<(), String> {
    let texts = event.texts();
    let users = texts.iter().filter(|t| t.origin == Origin::User);
    users.into_iter().try_for_each(|t| taint::user_said(t.text))?;
    let untrusted = texts.iter().filter(|t| matches!(t.origin, Origin::ToolResult | Origin::Retrieved));
    untrusted.into_iter().try_for_each(|t| taint::content_said(t.text, &event.id, &t.field))
}

impl ToolAbuse {
    fn tool_call(&mut self, event: &Event, call: &ToolCall) -> Vec<Finding> {
        let args = args::strings(&call.arguments);
        let shell = patterns::is_shell_tool(&call.tool);
        let findings = [
            self.dangerous_tool(&call.tool, shell, &args),
            destructive(&call.tool, shell, &args),
            injection(&call.tool, shell, &args),
            self.outbound(&call.tool, &args),
            self.burst(event, &call.tool, &args),
            tainted(&call.tool, self.capability(event, call, &args), &args),
        ];
        findings.into_iter().flatten().collect()
    }

    /// What the call does, by its tool's name, the description the log gives of the tool
    /// (OpenTelemetry's `gen_ai.tool.description`), its arguments, or the operator's table.
    fn capability(&self, event: &Event, call: &ToolCall, args: &[Arg]) -> Option<Capability> {
        let description = event.find_attribute(DESCRIPTION);
        capability::of(&call.tool, description, args, &self.config.capabilities)
    }

    fn dangerous_tool(&self, tool: &str, shell: bool, args: &[Arg]) -> Option<Finding> {
        if !shell || self.config.allowed_tools.iter().any(|t| t == tool) {
            return None;
        }
        let title = format!("the model called {tool}, a tool that runs commands or code");
        // Keys come sorted, so look for the command rather than take the first (`cwd`).
        let command = args.iter().find(|a| COMMAND_KEYS.contains(&a.key.as_str())).or(args.first());
        let command = command.map_or("", |a| a.value.as_str());
        Some(
            Finding::new("tool-abuse/dangerous-tool", title, Severity::Medium)
                .confidence(0.7)
                .evidence(FIELD, masked_excerpt(command, 0..command.len())),
        )
    }

    fn outbound(&self, tool: &str, args: &[Arg]) -> Option<Finding> {
        let allowed = &self.config.allowed_hosts;
        args.iter().find_map(|arg| {
            arg.destinations().into_iter().filter(|d| !allowed.allows(d.host())).find_map(|d| {
                let host = d.host();
                let (what, high) = patterns::suspect_host(host)
                    .or((!allowed.is_empty()).then_some(("a host off the allow-list", false)))?;
                let title = format!("tool {tool} reaches {what}: {host}");
                let severity = if high { Severity::High } else { Severity::Medium };
                Some(
                    Finding::new("tool-abuse/outbound", title, severity)
                        .confidence(0.8)
                        .evidence(FIELD, masked_excerpt(&arg.value, 0..arg.value.len())),
                )
            })
        })
    }

    fn burst(&mut self, event: &Event, tool: &str, args: &[Arg]) -> Option<Finding> {
        let who = event.session.as_deref().or(event.principal.as_deref())?;
        let calls = self.bursts.record(who, event.time_unix_nano)?;
        let (limit, window) = (self.config.burst_calls, self.config.burst_window_secs);
        let title = format!("{who} made {calls} tool calls within {window} s (limit {limit}), the last to {tool}");
        let value = args.first().map_or("", |a| a.value.as_str());
        Some(
            Finding::new("tool-abuse/burst", title, Severity::Medium)
                .confidence(0.8)
                .evidence(FIELD, masked_excerpt(value, 0..value.len())),
        )
    }
}

/// The worst destructive command in a shell tool's arguments or a command argument.
fn destructive(tool: &str, shell: bool, args: &[Arg]) -> Option<Finding> {
    let commands = args.iter().filter(|a| shell || COMMAND_KEYS.contains(&a.key.as_str()));
    let hits: Vec<(&Pattern, &Arg, regex::Match<'_>)> =
        commands.flat_map(|a| DESTRUCTIVE.iter().filter_map(move |p| Some((p, a, p.regex.find(&a.value)?)))).collect();
    let (pattern, arg, m) = hits.iter().find(|(p, ..)| p.critical).or(hits.first())?;
    let severity = if pattern.critical { Severity::Critical } else { Severity::High };
    let title = format!("tool {tool} is told to run {}", pattern.what);
    Some(
        Finding::new("tool-abuse/destructive-command", title, severity)
            .confidence(0.9)
            .evidence(FIELD, masked_excerpt(&arg.value, m.range())),
    )
}

/// Injection in the arguments of a tool that is not a shell (a shell's arguments are
/// commands by design; `destructive` judges them). Command chaining is not looked for
/// in arguments meant to hold a command or a query.
fn injection(tool: &str, shell: bool, args: &[Arg]) -> Option<Finding> {
    if shell {
        return None;
    }
    args.iter().find_map(|arg| {
        let expects_code = COMMAND_KEYS.contains(&arg.key.as_str());
        let applicable = INJECTION.iter().filter(|p| !(expects_code && p.what.starts_with("shell")));
        let (pattern, m) = applicable.into_iter().find_map(|p| Some((p, p.regex.find(&arg.value)?)))?;
        let at = if arg.path.is_empty() { String::new() } else { format!(" `{}`", arg.path) };
        let title = format!("{} in argument{at} of tool {tool}", pattern.what);
        Some(
            Finding::new("tool-abuse/injection", title, Severity::High)
                .confidence(0.8)
                .evidence(FIELD, masked_excerpt(&arg.value, m.range())),
        )
    })
}

/// An argument aimed at a target only injected content asked for, or, in a call that
/// moves money, changes access, shares or deletes, given a value only it named; or a
/// sensitive tool that only such a request named ("use the purge_backups tool") when
/// the user never asked for anything of the kind.
fn tainted(tool: &str, capability: Option<Capability>, args: &[Arg]) -> Option<Finding> {
    let acts_on = |what: &str| format!("acts on {what}, which only untrusted content asked for");
    let by_target = || {
        args.iter().find_map(|a| {
            let (target, source) = taint::caused(&a.value)?;
            let what = Redacted::all(target.strip_prefix("host:").unwrap_or(&target));
            Some((acts_on(&what), masked_excerpt(&a.value, 0..a.value.len()), source))
        })
    };
    let takes_values = capability.is_some_and(|c| !matches!(c, Capability::Send | Capability::Execute));
    let by_value = || {
        let whole = args.iter().filter(|a| !a.value.trim().contains(char::is_whitespace));
        whole.into_iter().find_map(|a| Some((acts_on(&hidden(a)), hidden(a), taint::caused_value(&a.value)?.1)))
    };
    // The user asking for the kind of action ("change my password") may leave the tool's
    // name to a help page; only a call of a kind they never asked for counts.
    let unasked = capability.filter(|c| !taint::user_asked(*c));
    let by_name = || {
        let source = taint::caused_value(tool)?.1;
        Some(("was named only by a request in untrusted content".to_owned(), tool.to_owned(), source))
    };
    let (how, excerpt, source) =
        by_target().or_else(|| takes_values.then(by_value).flatten()).or_else(|| unasked.and_then(|_| by_name()))?;
    let does = capability.map_or(String::new(), |c| format!(" ({})", c.does()));
    let title = format!("tool {tool}{does} {how} (event {}, {}), not the user", source.event, source.field);
    let severity = if capability.is_some_and(Capability::is_grave) { Severity::Critical } else { Severity::High };
    Some(
        Finding::new("tool-abuse/tainted-action", title, severity)
            .confidence(0.8)
            .techniques(INDIRECT)
            .evidence(FIELD, excerpt),
    )
}

/// An argument's value named without giving any of it away (it may be a new
/// password): its key and its length.
fn hidden(arg: &Arg) -> String {
    format!("the value of {} ({} characters, not shown)", arg.path, arg.value.trim().chars().count())
}

/// An excerpt with any personal datum or credential in it masked.
fn masked_excerpt(text: &str, range: std::ops::Range<usize>) -> String {
    Redacted::all(&excerpt(text, range))
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(ToolAbuse, warm_up);

#[cfg(test)]
mod tests;
