//! Configuration: `aiir.toml`, parsed, then validated, every problem reported at once
//! with its TOML path.
//!
//! ```toml
//! [[detector]]
//! name = "model-integrity"            # built-in plugin of that name (no `wasm` given)
//! [detector.settings]
//! allowed = [{ name = "support-assistant", version = "2.3.1", digest = "sha256:…" }]
//!
//! [[detector]]
//! name = "acme-canary"
//! wasm = "plugins/acme_canary.wasm"   # relative to this file
//! sha256 = "9f86d081…"                # optional pin: refuse to load anything else
//!
//! [[detector]]
//! name = "acme-exfil"
//! wasm = "oci://registry.example/acme/exfil:1.4"   # a tag, resolved at every load; or @sha256:…
//!
//! [store]
//! path = "aiir.db"                    # the incident store, relative to this file
//!
//! [correlate]
//! window = "1h"                       # see `correlate::Correlation`
//! escalate_at = [3, 10]
//!
//! [[responder]]
//! name = "rollback"                   # built-in responder of that name
//! mode = "enforce"                    # dry-run (default) | enforce | approve
//! scope = "incident"                  # the default; "any" lets it act beyond its incident
//! reports = false                     # may it file reports (the built-in regulator-report may)
//!
//! [registry]
//! kind = "mlflow"                     # embedded (default) | mlflow: see `registry`
//! url = "http://127.0.0.1:5000"
//! ```

use crate::actuate::scope::{Grants, Reach};
use crate::correlate::{Correlation, Family};
use crate::oci::{self, Reference};
use crate::pack;
use crate::policy::{BreakerConfig, OnError};
pub use crate::problem::Problem;
use crate::registry::Registry;
use crate::role::{Partition, Role};
use crate::runtime::{Grant, KeyedState, Limits, Sandbox, Setup};
use crate::serve::auth::Access;
use crate::store::Mode;
use crate::trust::policy::{self, Trust};
use crate::trust::{KeyId, Keys};
use serde::Deserialize;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// `[[detector]]` entries, each checked on its own so every entry's problems show.
    #[serde(default)]
    detector: Vec<toml::Value>,
    /// `[store]`: where incidents are kept.
    store: Option<toml::Value>,
    /// `[correlate]`: how findings become incidents.
    correlate: Option<toml::Value>,
    /// `[[responder]]` entries, each checked on its own.
    #[serde(default)]
    responder: Vec<toml::Value>,
    /// `[serve]`: who may send to `aiir serve`, and its TLS.
    serve: Option<toml::Value>,
    /// `[trust]`: the keys plugins are signed by, and whether they must be.
    trust: Option<toml::Value>,
    /// `[registry]`: where models live, aiir's own registry or MLflow's.
    registry: Option<toml::Value>,
}

/// The `[store]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    /// `path = "aiir.db"`: the SQLite file, relative to the config file.
    path: Option<PathBuf>,
}

/// The store's file when the config does not name one: beside the config file.
pub const DEFAULT_STORE: &str = "aiir.db";

/// The store's file without a config: `$XDG_STATE_HOME/aiir/aiir.db`, else
/// `~/.local/state/aiir/aiir.db`. What a run keeps belongs to the user, not to the
/// folder it happened to start in, where a store made unasked would hide findings
/// from the next run there. `./aiir.db` only when neither variable is set.
pub fn default_store() -> PathBuf {
    state_store(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// [`default_store`] for these values of `XDG_STATE_HOME` and `HOME`; a relative
/// `XDG_STATE_HOME` is ignored, as the XDG spec says.
fn state_store(xdg_state_home: Option<OsString>, home: Option<OsString>) -> PathBuf {
    let absolute = |v: OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let state = xdg_state_home.and_then(absolute).or_else(|| home.and_then(absolute).map(|h| h.join(".local/state")));
    state.map_or_else(|| PathBuf::from(DEFAULT_STORE), |dir| dir.join("aiir").join(DEFAULT_STORE))
}

/// One `[[detector]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetector {
    /// `name = "prompt-injection"`: unique; names a built-in plugin when `wasm` is absent.
    name: String,
    /// `wasm = "path/to/plugin.wasm"`: a component file, relative to the config file,
    /// or `"oci://HOST/REPO:TAG"` (or `@sha256:…`): a plugin in an OCI registry.
    wasm: Option<PathBuf>,
    /// `sha256 = "…"`: the component's expected sha256, hex; a mismatch refuses to load.
    sha256: Option<String>,
    /// `[detector.settings]`: handed to the plugin's `configure` as JSON.
    #[serde(default)]
    settings: toml::Table,
    /// `grants = ["filesystem"]`: capabilities beyond the always-allowed ones.
    #[serde(default)]
    grants: Vec<Grant>,
    /// `deterministic = true`: fixed clocks and seeded randomness, for reproducible runs.
    #[serde(default)]
    deterministic: bool,
    /// `on_error = "fail-closed"`: what an event the plugin failed on becomes.
    #[serde(default)]
    on_error: OnError,
    /// `[detector.limits]`: CPU, memory and output caps per call.
    #[serde(default)]
    limits: Limits,
    /// `[detector.breaker]`: when repeated failures disable the plugin.
    #[serde(default)]
    breaker: BreakerConfig,
    /// `family = "system-prompt-leak"`: the incident family its findings join
    /// (default: the standard detector's own, else `other`).
    family: Option<String>,
    /// `partition = "model"`: what its state is kept by, `event`, `model`, `dataset`
    /// or `global` (default: the standard detector's own, else `event`).
    partition: Option<String>,
    /// `cases = "acme/cases.toml"`: a cases file the plugin must pass, as `aiir test`
    /// runs it, before it runs (at start and at every reload); relative to the config.
    cases: Option<PathBuf>,
    /// `signed_by = ["release"]`: it must be signed by one of these `[trust] keys`.
    #[serde(default)]
    signed_by: Vec<String>,
    /// `shadow = "prompt-injection"`: a candidate version of that entry, compared with
    /// it on the same events, its findings kept out of everything that acts on them;
    /// `shadow = true`: a candidate compared with nothing.
    shadow: Option<Shadow>,
}

/// What a shadow entry is compared with, as `shadow =` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shadow {
    /// `shadow = "NAME"`: the detector entry of that name, which it may replace.
    Entry(String),
    /// `shadow = true`: no entry; everything it finds is its own.
    Alone,
}

impl Shadow {
    /// The name of the entry it is compared with, if any.
    pub fn entry(&self) -> Option<&str> {
        match self {
            Self::Entry(name) => Some(name),
            Self::Alone => None,
        }
    }
}

impl<'de> Deserialize<'de> for Shadow {
    /// A string (the entry's name) or `true`; `false` is refused rather than read as
    /// "not a shadow", so that the key is never written in vain.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Shadow;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the name of the detector entry it shadows, or true")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Shadow, E> {
                Ok(Shadow::Entry(name.to_owned()))
            }
            fn visit_bool<E: serde::de::Error>(self, flag: bool) -> Result<Shadow, E> {
                flag.then_some(Shadow::Alone).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Bool(flag), &self))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// One `[[responder]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponder {
    /// `name = "rollback"`: unique; names a built-in responder when `wasm` is absent.
    name: String,
    /// `wasm = "path/to/responder.wasm"`: a component file, relative to the config
    /// file, or an `oci://` reference.
    wasm: Option<PathBuf>,
    /// `sha256 = "…"`: the component's expected sha256, hex.
    sha256: Option<String>,
    /// `mode = "enforce"`: what becomes of its proposals (default `dry-run`).
    #[serde(default)]
    mode: Option<String>,
    /// `allow_hosts = ["127.0.0.1:8080"]`: the webhook hosts its `notify` may POST to.
    #[serde(default)]
    allow_hosts: Vec<String>,
    /// `scope = "any"`: it may roll back, quarantine and block beyond its incident's
    /// models, artifacts and principals (default `"incident"`).
    #[serde(default)]
    scope: Reach,
    /// `reports = true`: it may file reports, the ones `incidents export` shows
    /// (default: only the built-in `regulator-report`).
    reports: Option<bool>,
    /// `[responder.settings]`: handed to the plugin's `configure` as JSON.
    #[serde(default)]
    settings: toml::Table,
    /// `[responder.limits]`: CPU, memory and output caps per call.
    #[serde(default)]
    limits: Limits,
    /// `signed_by = ["release"]`: it must be signed by one of these `[trust] keys`.
    #[serde(default)]
    signed_by: Vec<String>,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The detectors, in the order of the file.
    pub detectors: Vec<DetectorConfig>,
    /// The responders, in the order of the file.
    pub responders: Vec<ResponderConfig>,
    /// The incident store's file: `[store] path`, else `aiir.db` beside the config
    /// file, else (no config) [`default_store`].
    pub store: PathBuf,
    /// How findings become incidents: `[correlate]`.
    pub correlate: Correlation,
    /// Who may send to `aiir serve`: `[serve]`.
    pub serve: Access,
    /// Where models live: `[registry]`, the store's own by default.
    pub registry: Registry,
}

/// One detector to run.
#[derive(Debug, Clone)]
pub struct DetectorConfig {
    /// The TOML path of its entry, `detector[0]`, for messages.
    pub path: String,
    /// The component's bytes.
    pub wasm: Vec<u8>,
    /// Where the bytes came from: a file, `built-in`, or an `oci://` reference pinned
    /// to the digest it resolved to.
    pub origin: String,
    /// Its name, settings, limits and sandbox.
    pub setup: Setup,
    /// What an event it failed on becomes.
    pub on_error: OnError,
    /// When it is disabled.
    pub breaker: BreakerConfig,
    /// What its findings mean to the host.
    pub role: Role,
    /// The cases file it must pass before it runs, if the config names one.
    pub cases: Option<PathBuf>,
    /// When it is a shadow: what it is compared with. A shadow's findings reach no
    /// store, incident, responder, output or count: only the divergence report.
    pub shadow: Option<Shadow>,
}

/// One responder to run.
#[derive(Debug, Clone)]
pub struct ResponderConfig {
    /// The TOML path of its entry, `responder[0]`, for messages.
    pub path: String,
    /// The component's bytes.
    pub wasm: Vec<u8>,
    /// Where the bytes came from: a file, or `built-in`.
    pub origin: String,
    /// Its name, settings, limits and (always empty) sandbox.
    pub setup: Setup,
    /// What becomes of its proposals.
    pub mode: Mode,
    /// The webhook hosts its `notify` actions may reach.
    pub allow_hosts: Vec<String>,
    /// What it may do beyond its incident's scope.
    pub grants: Grants,
}

/// The responder that files reports unless the operator says otherwise.
pub const REPORTING_RESPONDER: &str = "regulator-report";

/// Whether a responder may file reports: as granted, else only the built-in
/// regulator-report (a component of the operator's own may take its name, not its
/// grant).
fn reports_granted(granted: Option<bool>, name: &str, origin: &str) -> bool {
    granted.unwrap_or(name == REPORTING_RESPONDER && origin == BUILT_IN)
}

/// The origin of a component embedded in the binary.
pub const BUILT_IN: &str = "built-in";

impl DetectorConfig {
    /// The operator's name for it.
    pub fn name(&self) -> &str {
        &self.setup.name
    }
}

/// Every problem found in a configuration.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file, when there is one.
    pub file: Option<PathBuf>,
    /// What is wrong, in file order.
    pub problems: Vec<Problem>,
    /// Whether plugins whose settings were not checked remain: their problems, if
    /// any, show once these are fixed.
    pub unchecked: bool,
}

impl ConfigError {
    /// The problems of `file`, every plugin's settings among them.
    pub fn new(file: Option<&Path>, problems: Vec<Problem>) -> Self {
        Self { file: file.map(Path::to_owned), problems, unchecked: false }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_ref().map_or("built-in default".into(), |p| p.display().to_string());
        write_problems(f, &format!("invalid configuration {file}"), &self.problems)?;
        if self.unchecked {
            write!(f, "\n  (the plugins' settings are checked once these are fixed: more problems may follow)")?;
        }
        Ok(())
    }
}

/// A configuration with the problems found in it. Its entries are those without
/// problems, so that their plugins can still be started to check their settings, and
/// every problem be reported at once.
#[derive(Debug)]
pub struct Checked {
    /// What could be read.
    pub config: Config,
    /// What is wrong, in file order.
    pub problems: Vec<Problem>,
}

impl Checked {
    /// The configuration, or its problems without the plugins' settings checked.
    pub fn strict(self, file: Option<&Path>) -> Result<Config, ConfigError> {
        if self.problems.is_empty() {
            return Ok(self.config);
        }
        let unchecked = !self.config.detectors.is_empty() || !self.config.responders.is_empty();
        Err(ConfigError { unchecked, ..ConfigError::new(file, self.problems) })
    }
}

/// `{what}: N problems`, then each problem on its own indented line with its path;
/// shared with the cases files of `aiir test`.
pub(crate) fn write_problems(f: &mut fmt::Formatter<'_>, what: &str, problems: &[Problem]) -> fmt::Result {
    let n = problems.len();
    write!(f, "{what}: {n} problem{}", if n == 1 { "" } else { "s" })?;
    for p in problems {
        match p.path.as_str() {
            "" => write!(f, "\n  {}", p.message)?,
            path => write!(f, "\n  {path}: {}", p.message)?,
        }
    }
    Ok(())
}

/// The configuration used when no file is given: the standard pack with its default
/// settings, less the detectors it leaves for a config to name ([`pack::OPT_IN`]).
pub fn default_config() -> Config {
    pack_config(|name| !pack::OPT_IN.contains(&name))
}

/// The default configuration with the pack's detectors that `chosen` picks, opt-in
/// ones included.
pub fn pack_config(chosen: impl Fn(&str) -> bool) -> Config {
    let detectors = pack::PACK
        .iter()
        .filter(|(name, _)| chosen(name))
        .enumerate()
        .map(|(i, (name, wasm))| DetectorConfig {
            path: format!("detector[{i}]"),
            wasm: wasm.to_vec(),
            origin: BUILT_IN.into(),
            setup: Setup { name: (*name).to_owned(), settings: "{}".into(), ..Setup::default() },
            on_error: OnError::default(),
            breaker: BreakerConfig::default(),
            role: Role::of_pack(name).unwrap_or(Role::UNKNOWN),
            cases: None,
            shadow: None,
        })
        .collect();
    // Responders only record what they would do until the operator chooses a mode.
    // `regulator-report` needs the provider's and the system's identity: only a
    // config can give it.
    let responders = pack::RESPONDERS
        .iter()
        .filter(|(name, _)| *name != "regulator-report")
        .enumerate()
        .map(|(i, (name, wasm))| ResponderConfig {
            path: format!("responder[{i}]"),
            wasm: wasm.to_vec(),
            origin: BUILT_IN.into(),
            setup: Setup { name: (*name).to_owned(), settings: "{}".into(), ..Setup::default() },
            mode: Mode::DryRun,
            allow_hosts: Vec::new(),
            grants: Grants::default(),
        })
        .collect();
    let serve = Access { metrics_open: true, ..Access::default() };
    let registry = Registry::Embedded;
    Config { detectors, responders, store: default_store(), correlate: Correlation::default(), serve, registry }
}

/// The largest config file read: 16 MiB. Past it, or when the path is not a regular
/// file (a FIFO, `/dev/zero`), it is refused unread.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Read and validate a configuration file; the plugins' settings are not checked
/// when other problems are found (the error says so).
pub fn load(file: &Path) -> Result<Config, ConfigError> {
    load_checked(file)?.strict(Some(file))
}

/// Read and validate a configuration file, keeping what could be read beside the
/// problems; an error only when it cannot be read or is not TOML.
pub fn load_checked(file: &Path) -> Result<Checked, ConfigError> {
    let fail = |problems| ConfigError::new(Some(file), problems);
    let text = crate::file::read_text_capped(file, MAX_CONFIG_BYTES)
        .map_err(|e| fail(vec![Problem::new("", format!("cannot read: {e}"))]))?;
    parse_checked(&text, file.parent().unwrap_or(Path::new("."))).map_err(fail)
}

/// Parse and validate configuration text; relative paths are taken from `base`.
pub fn parse(text: &str, base: &Path) -> Result<Config, Vec<Problem>> {
    let checked = parse_checked(text, base)?;
    if checked.problems.is_empty() { Ok(checked.config) } else { Err(checked.problems) }
}

/// [`parse`], keeping what could be read beside the problems; an error only when the
/// text is not TOML.
pub fn parse_checked(text: &str, base: &Path) -> Result<Checked, Vec<Problem>> {
    let value: toml::Value = toml::from_str(text).map_err(|e| vec![toml_problem(&e)])?;
    let mut problems = Vec::new();
    let raw: Option<RawConfig> = parse_lenient(value, "", &mut problems);
    let (detector, store, correlate, responder, serve, trust, registry) =
        raw.map(|r| (r.detector, r.store, r.correlate, r.responder, r.serve, r.trust, r.registry)).unwrap_or_default();
    let store = parse_store(store, base, &mut problems);
    let registry = crate::registry::parse(registry, &mut problems);
    let trust = crate::trust::policy::parse(trust, base, &mut problems);
    let serve = crate::serve::auth::parse(serve, base, &mut problems);
    let correlate = parse_correlate(correlate, &mut problems);
    let mut detectors = Vec::new();
    let mut entries = Vec::new();
    for (i, value) in detector.into_iter().enumerate() {
        let path = format!("detector[{i}]");
        if let Some(d) = parse_lenient::<RawDetector>(value, &path, &mut problems) {
            entries.push(Entry { name: d.name.clone(), path: path.clone(), shadow: d.shadow.clone() });
            detectors.extend(resolve(d, path, base, &trust, &mut problems));
        }
    }
    let mut responders = Vec::new();
    for (i, value) in responder.into_iter().enumerate() {
        let path = format!("responder[{i}]");
        if let Some(r) = parse_lenient(value, &path, &mut problems) {
            responders.extend(resolve_responder(r, path, base, &trust, &mut problems));
        }
    }
    check_names(detectors.iter().map(|d| (d.name(), d.path.as_str())), &mut problems);
    check_names(responders.iter().map(|r| (r.setup.name.as_str(), r.path.as_str())), &mut problems);
    check_shadows(&entries, &mut problems);
    if detectors.is_empty() && problems.is_empty() {
        problems.push(Problem::new("detector", "no detectors configured: add a [[detector]] entry"));
    }
    Ok(Checked { config: Config { detectors, responders, store, correlate, serve, registry }, problems })
}

fn parse_store(value: Option<toml::Value>, base: &Path, problems: &mut Vec<Problem>) -> PathBuf {
    let raw: Option<RawStore> = value.and_then(|v| parse_lenient(v, "store", problems));
    base.join(raw.and_then(|r| r.path).unwrap_or_else(|| PathBuf::from(DEFAULT_STORE)))
}

fn parse_correlate(value: Option<toml::Value>, problems: &mut Vec<Problem>) -> Correlation {
    let correlate: Correlation = value.and_then(|v| parse_lenient(v, "correlate", problems)).unwrap_or_default();
    problems.extend(correlate.problems("correlate"));
    correlate
}

/// Deserialize a table with serde (`deny_unknown_fields` and all), recording every
/// problem rather than the first: each offending value is recorded, removed, and the
/// rest parsed again. A "missing field" that only follows from such a removal is
/// not reported twice.
pub(crate) fn parse_lenient<T: serde::de::DeserializeOwned>(
    mut value: toml::Value,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let mut removed: Vec<String> = Vec::new();
    loop {
        let error = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let at = Some(error.path().to_string()).filter(|p| p != ".").unwrap_or_default();
        let message = error.inner().message().to_owned();
        let consequence = message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
            .is_some_and(|field| removed.contains(&join(&at, field)));
        if !consequence {
            problems.push(Problem::new(join(path, &at), message));
        }
        remove_at(&mut value, error.path())?;
        removed.push(at);
    }
}

/// Remove the value at a serde path; `None` when there is nothing there to remove.
fn remove_at(value: &mut toml::Value, path: &serde_path_to_error::Path) -> Option<()> {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let (last, parents) = segments.split_last()?;
    let mut node = value;
    for segment in parents {
        node = match segment {
            Segment::Map { key } => node.get_mut(key.as_str())?,
            Segment::Seq { index } => node.get_mut(*index)?,
            _ => return None,
        };
    }
    match last {
        Segment::Map { key } => node.as_table_mut()?.remove(key).map(drop),
        Segment::Seq { index } => {
            let array = node.as_array_mut()?;
            (*index < array.len()).then(|| drop(array.remove(*index)))
        }
        _ => None,
    }
}

pub(crate) fn toml_problem(e: &toml::de::Error) -> Problem {
    Problem::new("", e.to_string().trim_end().replace('\n', "\n    "))
}

/// Append a serde path (`.` for the root) to a TOML path.
pub fn join(base: &str, sub: &str) -> String {
    match sub {
        "" | "." => base.to_owned(),
        s if base.is_empty() => s.to_owned(),
        s if s.starts_with('[') => format!("{base}{s}"),
        s => format!("{base}.{s}"),
    }
}

/// Turn a parsed entry into a detector to run, or record why it cannot be.
fn resolve(
    d: RawDetector,
    path: String,
    base: &Path,
    trust: &Trust,
    problems: &mut Vec<Problem>,
) -> Option<DetectorConfig> {
    let before = problems.len();
    let component = Component {
        name: &d.name,
        builtins: pack::PACK,
        wasm: d.wasm.as_deref(),
        sha256: d.sha256.as_deref(),
        limits: &d.limits,
        signed_by: &d.signed_by,
        trust,
    };
    let (wasm, origin) = component.resolve(&path, base, problems)?;
    let role = role(&d, &wasm, &path, problems);
    let settings = serde_json::to_string(&d.settings).expect("a TOML table is valid JSON");
    let sandbox = Sandbox { grants: d.grants, deterministic: d.deterministic };
    let state = KeyedState::new(d.limits.max_state_bytes);
    let setup = Setup { name: d.name, settings, limits: d.limits, sandbox, state };
    let cases = d.cases.map(|file| base.join(file));
    if let Some(file) = cases.as_ref().filter(|f| !f.is_file()) {
        problems.push(Problem::new(format!("{path}.cases"), format!("cannot read {}: not a file", file.display())));
    }
    (problems.len() == before).then_some(DetectorConfig {
        path,
        wasm,
        origin,
        setup,
        on_error: d.on_error,
        breaker: d.breaker,
        role,
        cases,
        shadow: d.shadow,
    })
}

/// A detector's role: the component's own by identity, with what the operator set.
fn role(d: &RawDetector, wasm: &[u8], path: &str, problems: &mut Vec<Problem>) -> Role {
    let mut role = Role::of_component(wasm);
    if let Some(name) = &d.family {
        match Family::parse(name) {
            Some(family) => role.family = family,
            None => problems.push(unknown(path, "family", name, Family::ALL.map(Family::as_str))),
        }
    }
    if let Some(name) = &d.partition {
        match Partition::parse(name) {
            Some(partition) => role.partition = partition,
            None => problems.push(unknown(path, "partition", name, Partition::ALL.map(Partition::as_str))),
        }
    }
    role
}

/// `{path}.{key}`: `name` is none of `known`.
pub(crate) fn unknown<const N: usize>(path: &str, key: &str, name: &str, known: [&str; N]) -> Problem {
    let known = known.map(|k| format!("{k:?}")).join(", ");
    Problem::new(format!("{path}.{key}"), format!("unknown {key} {name:?}: expected one of {known}"))
}

/// Turn a parsed entry into a responder to run, or record why it cannot be.
fn resolve_responder(
    r: RawResponder,
    path: String,
    base: &Path,
    trust: &Trust,
    problems: &mut Vec<Problem>,
) -> Option<ResponderConfig> {
    let before = problems.len();
    let mode = match r.mode.as_deref() {
        None => Mode::DryRun,
        Some(text) => Mode::parse(text).unwrap_or_else(|| {
            let message = format!("unknown mode {text:?}: expected \"dry-run\", \"enforce\" or \"approve\"");
            problems.push(Problem::new(format!("{path}.mode"), message));
            Mode::DryRun
        }),
    };
    let component = Component {
        name: &r.name,
        builtins: pack::RESPONDERS,
        wasm: r.wasm.as_deref(),
        sha256: r.sha256.as_deref(),
        limits: &r.limits,
        signed_by: &r.signed_by,
        trust,
    };
    let (wasm, origin) = component.resolve(&path, base, problems)?;
    let settings = serde_json::to_string(&r.settings).expect("a TOML table is valid JSON");
    // Responders get no grants: they only read what the host hands them.
    let grants = Grants { reach: r.scope, reports: reports_granted(r.reports, &r.name, &origin) };
    let setup = Setup { name: r.name, settings, limits: r.limits, ..Setup::default() };
    (problems.len() == before).then_some(ResponderConfig {
        path,
        wasm,
        origin,
        setup,
        mode,
        allow_hosts: r.allow_hosts,
        grants,
    })
}

/// What detector and responder entries share: a name, where the component comes from,
/// its pin, its limits and who must have signed it.
struct Component<'a> {
    name: &'a str,
    builtins: pack::Table,
    wasm: Option<&'a Path>,
    sha256: Option<&'a str>,
    limits: &'a Limits,
    signed_by: &'a [String],
    trust: &'a Trust,
}

impl Component<'_> {
    /// The component's bytes and origin; every problem recorded at its path.
    fn resolve(&self, path: &str, base: &Path, problems: &mut Vec<Problem>) -> Option<(Vec<u8>, String)> {
        if let Err(problem) = aiir_boundary::validate_name(self.name) {
            problems.push(Problem::new(format!("{path}.name"), problem));
        }
        let keys = self.trust.keys_for(self.signed_by, path, problems);
        let (wasm, origin) = match self.wasm {
            Some(file) => match file.to_str().filter(|f| Reference::is_oci(f)) {
                Some(reference) => pull_wasm(reference, keys.as_ref(), path, problems)?,
                None => read_wasm(&base.join(file), keys.as_ref(), path, problems)?,
            },
            None if !self.signed_by.is_empty() => {
                problems.push(Problem::new(
                    format!("{path}.signed_by"),
                    "a built-in plugin carries no signature: signed_by applies to a wasm = entry",
                ));
                return None;
            }
            None => builtin(self.builtins, self.name, path, problems)?,
        };
        if let Some(expected) = self.sha256 {
            check_pin(expected, &wasm, path, problems);
        }
        for (key, message) in self.limits.problems() {
            problems.push(Problem::new(format!("{path}.limits.{key}"), message));
        }
        Some((wasm, origin))
    }
}

/// A plugin file, and its signature when `keys` must have signed it.
fn read_wasm(file: &Path, keys: Option<&Keys>, path: &str, problems: &mut Vec<Problem>) -> Option<(Vec<u8>, String)> {
    let origin = file.display().to_string();
    let checked = crate::runtime::read_component(file)
        .map_err(|e| format!("cannot read {origin}: {e}"))
        .and_then(|bytes| signed(keys, &origin, bytes, |keys, bytes| policy::check_file(keys, file, bytes)));
    wasm_problem(checked.map(|bytes| (bytes, origin)), path, problems)
}

/// The value, or its error recorded at `{path}.wasm`.
fn wasm_problem<T>(result: Result<T, String>, path: &str, problems: &mut Vec<Problem>) -> Option<T> {
    result.map_err(|message| problems.push(Problem::new(format!("{path}.wasm"), message))).ok()
}

/// `bytes` when no signature is asked for or `check` finds a trusted signer, who is
/// logged; else why not, naming `origin`.
fn signed(
    keys: Option<&Keys>,
    origin: &str,
    bytes: Vec<u8>,
    check: impl FnOnce(&Keys, &[u8]) -> Result<KeyId, String>,
) -> Result<Vec<u8>, String> {
    let Some(keys) = keys else { return Ok(bytes) };
    let signer = check(keys, &bytes).map_err(|e| format!("{origin}: {e}: refusing to load it"))?;
    tracing::info!(plugin = origin, %signer, "signature verified");
    Ok(bytes)
}

/// A plugin from a registry: a tag resolved to its digest now, every time the config
/// is read; the origin is the reference pinned to that digest. When `keys` must have
/// signed it, a cosign signature of that digest must verify.
fn pull_wasm(
    reference: &str,
    keys: Option<&Keys>,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<(Vec<u8>, String)> {
    let store = oci::Store::default_dir().map(oci::Store::new);
    let pulled = Reference::parse(reference)
        .map_err(anyhow::Error::msg)
        .and_then(|reference| oci::blocking(oci::pull(&reference, store.as_ref())))
        .map_err(|e| format!("cannot pull {reference}: {e:#}"));
    let checked = pulled.and_then(|pulled| {
        tracing::info!(plugin = path, reference, digest = %pulled.digest, "pulled");
        let origin = pulled.reference.to_string();
        let check = |keys: &Keys, _: &[u8]| policy::check_pulled(keys, &pulled, store.as_ref());
        signed(keys, &origin, pulled.wasm.clone(), check).map(|wasm| (wasm, origin))
    });
    wasm_problem(checked, path, problems)
}

fn builtin(table: pack::Table, name: &str, path: &str, problems: &mut Vec<Problem>) -> Option<(Vec<u8>, String)> {
    match pack::lookup(table, name) {
        Some(bytes) => Some((bytes.to_vec(), BUILT_IN.into())),
        None => {
            let names = pack::names_of(table).join(", ");
            problems.push(Problem::new(
                path,
                format!("no `wasm` path given and no built-in plugin is named {name:?} (built-ins: {names})"),
            ));
            None
        }
    }
}

fn check_pin(expected: &str, wasm: &[u8], path: &str, problems: &mut Vec<Problem>) {
    let actual = crate::runtime::sha256_hex(wasm);
    if !expected.eq_ignore_ascii_case(&actual) {
        problems.push(Problem::new(
            format!("{path}.sha256"),
            format!("the component's sha256 is {actual}, not the pinned {expected}: refusing to load it"),
        ));
    }
}

/// Names are unique among the entries of one kind: (name, TOML path) pairs.
fn check_names<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>, problems: &mut Vec<Problem>) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (name, path) in entries {
        if let Some(first) = seen.insert(name, path) {
            problems.push(Problem::new(format!("{path}.name"), format!("duplicate name {name:?} (also {first})")));
        }
    }
}

/// A detector entry as parsed, before its component is read: what shadow checks need.
/// Its problems elsewhere do not hide it, so a shadow of it is not refused for naming
/// nothing.
#[derive(Debug)]
struct Entry {
    name: String,
    path: String,
    shadow: Option<Shadow>,
}

/// A shadow names another entry of the config, one that is not itself a shadow: it is
/// compared with what runs in the chain.
fn check_shadows(entries: &[Entry], problems: &mut Vec<Problem>) {
    for entry in entries {
        let Some(target) = entry.shadow.as_ref().and_then(Shadow::entry) else { continue };
        let at = format!("{}.shadow", entry.path);
        let message = match entries.iter().find(|e| e.name == target) {
            _ if target == entry.name => "an entry cannot shadow itself".to_owned(),
            None => {
                let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                format!("no detector entry is named {target:?} (entries: {})", names.join(", "))
            }
            Some(other) if other.shadow.is_some() => {
                format!(
                    "{target:?} ({}) is a shadow itself: a shadow is compared with an entry of the chain",
                    other.path
                )
            }
            Some(_) => continue,
        };
        problems.push(Problem::new(at, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let errors = parse(text, Path::new("/nonexistent")).unwrap_err();
        errors.into_iter().map(|p| format!("{}: {}", p.path, p.message)).collect()
    }

    #[test]
    fn without_a_config_the_store_is_in_the_state_directory() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(state_store(os("/x/state"), os("/home/u")), Path::new("/x/state/aiir/aiir.db"));
        assert_eq!(state_store(None, os("/home/u")), Path::new("/home/u/.local/state/aiir/aiir.db"));
        assert_eq!(state_store(os("rel"), os("/home/u")), Path::new("/home/u/.local/state/aiir/aiir.db"));
        assert_eq!(state_store(os(""), None), Path::new("aiir.db"));
    }

    #[test]
    fn builtin_entries_need_no_path() {
        let config = parse("[[detector]]\nname = \"prompt-injection\"\n", Path::new(".")).unwrap();
        assert_eq!(config.detectors[0].origin, "built-in");
        assert_eq!(config.detectors[0].setup.settings, "{}");
    }

    #[test]
    fn every_entry_reports_its_problems() {
        let got = problems(
            "[[detector]]\nname = \"prompt-injection\"\nwasmm = \"x\"\n\
             [[detector]]\nname = \"Bad Name\"\nwasm = \"missing.wasm\"\n\
             [[detector]]\nname = 5\n",
        );
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(got[0].starts_with("detector[0].wasmm: unknown field `wasmm`"), "{got:#?}");
        assert!(got[1].starts_with("detector[1].name: \"Bad Name\" is not a name: use lowercase"), "{got:#?}");
        assert!(got[2].starts_with("detector[1].wasm: cannot read /nonexistent/missing.wasm"), "{got:#?}");
        assert!(got[3].starts_with("detector[2].name: invalid type"), "{got:#?}");
    }

    #[test]
    fn several_problems_in_one_entry_are_all_reported() {
        let got = problems("top = 1\n[[detector]]\nname = 5\nwasm = 6\nextra = true\n");
        assert_eq!(
            got,
            [
                "top: unknown field `top`, expected one of `detector`, `store`, `correlate`, `responder`, `serve`, `trust`, `registry`",
                "detector[0].extra: unknown field `extra`, expected one of `name`, `wasm`, `sha256`, `settings`, `grants`, `deterministic`, `on_error`, `limits`, `breaker`, `family`, `partition`, `cases`, `signed_by`, `shadow`",
                "detector[0].name: invalid type: integer `5`, expected a string",
                "detector[0].wasm: invalid type: integer `6`, expected path string",
            ]
        );
    }

    #[test]
    fn store_and_correlate_tables_are_read_and_checked() {
        let detector = "[[detector]]\nname = \"prompt-injection\"\n";
        let config = parse(detector, Path::new("/etc/aiir")).unwrap();
        assert_eq!((config.store, config.correlate), (PathBuf::from("/etc/aiir/aiir.db"), Correlation::default()));
        let text = format!("{detector}[store]\npath = \"var/i.db\"\n[correlate]\nwindow = \"30m\"\n");
        let config = parse(&text, Path::new("/etc/aiir")).unwrap();
        assert_eq!(config.store, PathBuf::from("/etc/aiir/var/i.db"));
        assert_eq!(config.correlate.window, std::time::Duration::from_secs(1800));
        let got =
            problems(&format!("{detector}[store]\nfile = 1\n[correlate]\nwindow = \"soon\"\nescalate_at = [0]\n"));
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].starts_with("store.file: unknown field `file`, expected `path`"), "{got:#?}");
        assert!(got[1].starts_with("correlate.window: \"soon\" is not a duration"), "{got:#?}");
        assert!(got[2].starts_with("correlate.escalate_at: [0] must be"), "{got:#?}");
    }

    #[test]
    fn responder_entries_are_checked_like_detectors() {
        let got = problems(
            "[[detector]]\nname = \"prompt-injection\"\n\
             [[responder]]\nname = \"ours\"\nwasm = \"missing.wasm\"\nmode = \"yolo\"\nallow_host = []\n",
        );
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].starts_with("responder[0].allow_host: unknown field `allow_host`"), "{got:#?}");
        assert!(got[1].starts_with("responder[0].mode: unknown mode \"yolo\""), "{got:#?}");
        assert!(got[2].starts_with("responder[0].wasm: cannot read /nonexistent/missing.wasm"), "{got:#?}");
    }

    #[test]
    fn responders_act_within_their_incident_and_only_regulator_report_files_reports_unless_granted() {
        let detector = "[[detector]]\nname = \"prompt-injection\"\n";
        let text = format!(
            "{detector}[[responder]]\nname = \"rollback\"\n\
             [[responder]]\nname = \"contain\"\nscope = \"any\"\nreports = true\n\
             [[responder]]\nname = \"regulator-report\"\n[responder.settings]\nx = 1\n"
        );
        let config = parse(&text, Path::new(".")).unwrap();
        let grants: Vec<Grants> = config.responders.iter().map(|r| r.grants).collect();
        assert_eq!(
            grants,
            [
                Grants { reach: Reach::Incident, reports: false },
                Grants { reach: Reach::Any, reports: true },
                Grants { reach: Reach::Incident, reports: true },
            ]
        );
        assert!(
            !reports_granted(None, REPORTING_RESPONDER, "own.wasm"),
            "a component of that name is not the built-in"
        );
        let got = problems(&format!("{detector}[[responder]]\nname = \"rollback\"\nscope = \"all\"\nreports = 1\n"));
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].starts_with("responder[0].reports: invalid type: integer `1`, expected a boolean"), "{got:#?}");
        assert!(
            got[1].starts_with("responder[0].scope: unknown variant `all`, expected `incident` or `any`"),
            "{got:#?}"
        );
    }

    #[test]
    fn a_shadow_names_the_entry_it_is_compared_with_or_none() {
        let text = "[[detector]]\nname = \"prompt-injection\"\n\
                    [[detector]]\nname = \"candidate\"\nwasm = \"x.wasm\"\nshadow = \"prompt-injection\"\n";
        let got = problems(text);
        assert_eq!(got.len(), 1, "only the missing file: {got:#?}");
        let config = parse(
            "[[detector]]\nname = \"jailbreak\"\n[[detector]]\nname = \"prompt-injection\"\nshadow = \"jailbreak\"\n\
                            [[detector]]\nname = \"exfiltration\"\nshadow = true\n",
            Path::new("."),
        )
        .unwrap();
        let shadows: Vec<Option<Shadow>> = config.detectors.iter().map(|d| d.shadow.clone()).collect();
        assert_eq!(shadows, [None, Some(Shadow::Entry("jailbreak".into())), Some(Shadow::Alone)]);
    }

    #[test]
    fn a_shadow_of_nothing_of_itself_or_of_a_shadow_is_refused_at_its_path() {
        let got = problems(
            "[[detector]]\nname = \"jailbreak\"\n\
             [[detector]]\nname = \"prompt-injection\"\nshadow = \"prompt-injection\"\n\
             [[detector]]\nname = \"exfiltration\"\nshadow = \"jailbrake\"\n\
             [[detector]]\nname = \"tool-abuse\"\nshadow = true\n\
             [[detector]]\nname = \"model-extraction\"\nshadow = \"tool-abuse\"\n\
             [[detector]]\nname = \"data-poisoning\"\nshadow = false\n\
             [[detector]]\nname = \"model-integrity\"\nshadow = 3\n",
        );
        assert_eq!(
            got,
            [
                "detector[5].shadow: invalid value: boolean `false`, expected the name of the detector entry it shadows, or true",
                "detector[6].shadow: invalid type: integer `3`, expected the name of the detector entry it shadows, or true",
                "detector[1].shadow: an entry cannot shadow itself",
                "detector[2].shadow: no detector entry is named \"jailbrake\" (entries: jailbreak, prompt-injection, exfiltration, tool-abuse, model-extraction, data-poisoning, model-integrity)",
                "detector[4].shadow: \"tool-abuse\" (detector[3]) is a shadow itself: a shadow is compared with an entry of the chain",
            ]
        );
    }

    #[test]
    fn duplicate_names_and_empty_files_are_reported() {
        let dup = problems("[[detector]]\nname = \"prompt-injection\"\n[[detector]]\nname = \"prompt-injection\"\n");
        assert_eq!(dup, ["detector[1].name: duplicate name \"prompt-injection\" (also detector[0])"]);
        assert_eq!(problems(""), ["detector: no detectors configured: add a [[detector]] entry"]);
    }
}
