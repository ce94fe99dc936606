//! `exfiltration`: model output and tool calls that carry data to hosts outside an
//! allow-list.
//!
//! - `exfiltration/markdown-image` (high): an image in model output whose URL carries
//!   personal data, credentials or words of the conversation. The client fetches it
//!   as soon as the answer renders: the classic zero-click exfiltration channel of
//!   an injected model. Medium for an encoded blob alone; low, with an allow-list, for
//!   an image from an unlisted host that carries nothing visible.
//! - `exfiltration/link` (medium): the same in a link, which needs a click; high when
//!   it carries a credential, low for an encoded blob alone.
//! - `exfiltration/tool-call` (high): a tool call that sends data (URL, message body)
//!   to a host or mail domain outside the list: a credential, a card, SSN or IBAN, an
//!   encoded blob, three or more pieces of personal data, or one to a recipient the
//!   user never named in the session (the session's user messages are remembered in
//!   the host's keyed state). Personal data the user gave in the session is theirs to
//!   send and does not count.
//!
//! One finding per rule per field, one evidence entry per link, each URL shown with
//! its data masked.

mod config;
mod payload;
mod tools;

use aiir_sdk::prelude::*;
use config::Config;
use datakit::link::{self, Link, LinkKind};
use datakit::{MAX_EVIDENCE, MAX_FINDINGS, target};
use payload::{Carried, Conversation};
use statekit::{Kept, supplied};

/// The mail addresses (and other targets) the session's user named.
const USERS: Kept = Kept::new("user");

const RENDERING: [&str; 2] = ["AML.T0077", "LLM05"];
const TOOL_USE: [&str; 2] = ["AML.T0086", "LLM05"];

/// The detector: the hosts that may receive data.
#[derive(Debug, Default)]
pub struct Exfiltration {
    config: Config,
}

impl Detector for Exfiltration {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "exfiltration",
            env!("CARGO_PKG_VERSION"),
            "markdown images and links in model output, and tool calls, that carry data to hosts outside an allow-list",
        )
        .kinds([EventKind::Inference, EventKind::ToolCall])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    /// The tables every instance shares, built once for the host's pre-initialisation.
    fn warm_up() {
        datakit::warm_up();
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        Ok(match &event.payload {
            Payload::Inference(i) => {
                let users = i.input.iter().filter(|m| m.role == Role::User);
                // A chat log repeats the conversation with every call: each target is written once.
                let users: Vec<&str> = users.map(|m| m.content.as_str()).collect();
                users.iter().for_each(|text| supplied::remember(text));
                let mut named = users.iter().flat_map(|text| target::targets(text));
                named.try_for_each(|t| USERS.insert_new(&[&t.key], &true).map(drop))?;
                // What the model was told by its user, its tools and its operator;
                // retrieved pages are left out, as an injected page quotes itself.
                let told = i.input.iter().filter(|m| m.role != Role::Assistant).map(|m| m.content.as_str());
                let conversation = Conversation::new(told);
                let outputs = event.texts().into_iter().filter(|t| t.origin == Origin::Assistant);
                outputs.flat_map(|t| self.check_output(&t, &conversation)).take(MAX_FINDINGS).collect()
            }
            Payload::ToolCall(call) => self.check_tool_call(&call.tool, &call.arguments).into_iter().collect(),
            _ => Vec::new(),
        })
    }
}

/// One flagged link: how bad, how sure, and what it carries.
struct Verdict {
    severity: Severity,
    confidence: f32,
    carried: Carried,
    shown: String,
}

impl Exfiltration {
    /// At most one finding per rule (image, link) for a piece of model output.
    fn check_output(&self, text: &Text<'_>, conversation: &Conversation) -> Vec<Finding> {
        let flagged: Vec<(LinkKind, Verdict)> =
            link::links(text.text).into_iter().filter_map(|l| Some((l.kind, self.judge(&l, conversation)?))).collect();
        [LinkKind::Image, LinkKind::Link]
            .into_iter()
            .filter_map(|kind| {
                let verdicts: Vec<&Verdict> = flagged.iter().filter(|(k, _)| *k == kind).map(|(_, v)| v).collect();
                (!verdicts.is_empty()).then(|| link_finding(kind, &text.field, &verdicts))
            })
            .collect()
    }

    /// Whether a link goes outside the list carrying data, and how bad that is.
    fn judge(&self, link: &Link<'_>, conversation: &Conversation) -> Option<Verdict> {
        let url = link::parse(link.url)?;
        if self.config.allowed_hosts.allows(&url.host) {
            return None;
        }
        let (carried, shown) = payload::url(&url, conversation);
        let listed = !self.config.allowed_hosts.is_empty();
        let (severity, confidence) = match link.kind {
            LinkKind::Image if carried.has_data() => (Severity::High, 0.9),
            LinkKind::Image if carried.encoded => (Severity::Medium, 0.6),
            LinkKind::Image if listed => (Severity::Low, 0.5),
            LinkKind::Link if carried.has_secret() => (Severity::High, 0.85),
            LinkKind::Link if carried.has_data() => (Severity::Medium, 0.75),
            LinkKind::Link if carried.encoded => (Severity::Low, 0.5),
            _ => return None,
        };
        Some(Verdict { severity, confidence, carried, shown })
    }

    fn check_tool_call(&self, tool: &str, arguments: &str) -> Option<Finding> {
        let named = |address: &str| USERS.get::<bool>(&[address]).is_some();
        let out = tools::check(arguments, &self.config.allowed_hosts, &named)?;
        let unnamed = if out.unnamed { ", an address the user never named" } else { "" };
        let title = format!("tool {tool} sends {} to {}{unnamed}", out.carried.describe(), out.destinations.join(", "));
        let confidence = if out.carried.has_data() { 0.9 } else { 0.6 };
        let field = "payload.tool_call.arguments";
        let finding =
            Finding::new("exfiltration/tool-call", title, Severity::High).confidence(confidence).techniques(TOOL_USE);
        let finding = out.destinations.iter().take(MAX_EVIDENCE).fold(finding, |f, d| f.evidence(field, d.clone()));
        Some(match out.data_excerpt {
            Some(data) => finding.evidence(field, data),
            None => finding,
        })
    }
}

fn link_finding(kind: LinkKind, field: &str, verdicts: &[&Verdict]) -> Finding {
    let worst = verdicts.iter().max_by_key(|v| v.severity as u8).expect("at least one verdict");
    let (rule, noun) = match kind {
        LinkKind::Image => ("exfiltration/markdown-image", "image"),
        LinkKind::Link => ("exfiltration/link", "link"),
    };
    let what = if worst.carried.any() { worst.carried.describe() } else { "nothing visible".to_owned() };
    let count = if verdicts.len() > 1 { format!("{} × ", verdicts.len()) } else { String::new() };
    let title = format!("{count}{noun} in model output to an unlisted host, carrying {what}");
    let confidence = verdicts.iter().map(|v| v.confidence).fold(0.0, f32::max);
    let finding = Finding::new(rule, title, worst.severity).confidence(confidence).techniques(RENDERING);
    verdicts.iter().take(MAX_EVIDENCE).fold(finding, |f, v| f.evidence(field, v.shown.clone()))
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(Exfiltration, warm_up);

#[cfg(test)]
mod tests;
