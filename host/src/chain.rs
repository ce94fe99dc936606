//! The chain: the configured detectors, started, with their routes and failure
//! policies. `aiir run` and `aiir eval` both push events through it. A reload renews
//! it in place ([`Renewal`]): the detectors it keeps go on in their warm instances.

use crate::config::{self, Config, DetectorConfig, Problem};
use crate::output::{self, terminal};
use crate::policy::{Breaker, BreakerConfig, OnError, PACE_CALLS, Pace};
use crate::role::Role;
use crate::route::Routes;
use crate::runtime::{
    CallStats, Event, Finding, LoadError, Outgoing, Plugin, PluginError, Reason, Runtime, StateWrite, Verdict,
};
use std::time::Instant;

/// A started plugin with its failure policy.
#[derive(Debug)]
struct Slot {
    plugin: Plugin,
    role: Role,
    on_error: OnError,
    breaker: Breaker,
    pace: Pace,
    /// Whether its entry is a shadow: its findings are only compared.
    shadow: bool,
}

/// What the host does around a slot's calls, from its config entry: all a reload may
/// change of a slot it keeps.
#[derive(Debug, Clone, Copy)]
struct Policy {
    on_error: OnError,
    breaker: BreakerConfig,
    shadow: bool,
}

impl Policy {
    fn of(d: &DetectorConfig) -> Self {
        Self { on_error: d.on_error, breaker: d.breaker, shadow: d.shadow.is_some() }
    }
}

impl Slot {
    fn new(plugin: Plugin, role: Role, policy: Policy) -> Self {
        let Policy { on_error, breaker, shadow } = policy;
        Self { plugin, role, on_error, breaker: Breaker::new(breaker), pace: Pace::new(breaker), shadow }
    }

    fn policy(&self) -> Policy {
        Policy { on_error: self.on_error, breaker: self.breaker.config(), shadow: self.shadow }
    }

    /// The same slot under a new entry's policy: its breaker and pace go on unless the
    /// entry changed them, since they describe this very instance's calls.
    fn adopt(mut self, policy: Policy) -> Self {
        if policy.breaker != self.breaker.config() {
            (self.breaker, self.pace) = (Breaker::new(policy.breaker), Pace::new(policy.breaker));
        }
        (self.on_error, self.shadow) = (policy.on_error, policy.shadow);
        self
    }

    /// The same plugin with its own fresh instance and a closed breaker.
    async fn replica(&self) -> Result<Self, PluginError> {
        let plugin = self.plugin.replica().await.map_err(|e| {
            PluginError::new(e.reason, format!("plugin {:?} cannot start another instance: {e}", self.plugin.name()))
        })?;
        Ok(Self::new(plugin, self.role, self.policy()))
    }

    /// One call, held to the plugin's time budget: a call that keeps the median of
    /// the recent calls over it fails as `slow`, and feeds the breaker like any failure.
    /// What the call wrote to its keyed state stands even when it is failed as slow:
    /// the instance that wrote it is kept.
    async fn inspect(&mut self, event: &Outgoing<'_>) -> Verdict {
        if self.breaker.is_open() {
            let result = Err(PluginError::new(Reason::Disabled, "disabled by its circuit breaker"));
            return Verdict { result, stats: CallStats::default(), state: Vec::new() };
        }
        let partition = self.role.partition.key(event.event());
        let mut verdict = self.plugin.inspect_outgoing(event, partition).await;
        if let Some(median) = self.pace.record(verdict.stats.wall).filter(|_| verdict.result.is_ok()) {
            let detail = format!(
                "its calls take {} ms (median of the last {PACE_CALLS}), over its time budget of {} ms",
                median.as_millis(),
                self.pace.budget().as_millis()
            );
            verdict.result = Err(PluginError::new(Reason::Slow, detail));
        }
        verdict
    }
}

/// What one plugin made of one event.
#[derive(Debug)]
pub struct Reply {
    /// Index of the plugin in the chain.
    pub plugin: usize,
    /// Its findings, or why it has none.
    pub result: Result<Vec<Finding>, PluginError>,
    /// What the call cost; zero when the plugin was not called (breaker open).
    pub stats: CallStats,
    /// What it changed in its keyed state.
    pub state: Vec<StateWrite>,
}

/// The configured detectors, ready for events.
#[derive(Debug)]
pub struct Chain {
    slots: Vec<Slot>,
    routes: Routes,
}

impl Chain {
    /// Load and start every configured detector; report every one that fails, as
    /// config problems at the detector's TOML path.
    pub async fn start(runtime: &Runtime, config: &Config) -> Result<Self, Vec<Problem>> {
        let fresh = Renewal::start(runtime, config, &vec![None; config.detectors.len()]).await?;
        let mut chain = Self::of(Vec::new());
        chain.renew(fresh);
        Ok(chain)
    }

    fn of(slots: Vec<Slot>) -> Self {
        let routes = Routes::new(&slots.iter().map(|s| s.plugin.info()).collect::<Vec<_>>());
        Self { slots, routes }
    }

    /// Become the renewal's chain: the slots it keeps are taken over, warm instances,
    /// breakers and pace included, in its order; the rest are dropped.
    pub fn renew(&mut self, renewal: Renewal) {
        let mut running: Vec<Option<Slot>> = std::mem::take(&mut self.slots).into_iter().map(Some).collect();
        let slots = renewal.0.into_iter().map(|part| match part {
            Renewed::Fresh(slot) => *slot,
            Renewed::Kept { from, policy } => running[from].take().expect("a running slot kept once").adopt(policy),
        });
        *self = Self::of(slots.collect());
    }

    /// The plugins, in config order.
    pub fn plugins(&self) -> Vec<&Plugin> {
        self.slots.iter().map(|s| &s.plugin).collect()
    }

    /// The plugin at `index`.
    pub fn plugin(&self, index: usize) -> &Plugin {
        &self.slots[index].plugin
    }

    /// What the findings of the plugin at `index` mean to the host.
    pub fn role(&self, index: usize) -> Role {
        self.slots[index].role
    }

    /// The roles of the plugins, in config order.
    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        self.slots.iter().map(|s| s.role)
    }

    /// Whether the plugin at `index` is a shadow entry's.
    pub fn is_shadow(&self, index: usize) -> bool {
        self.slots[index].shadow
    }

    /// The replies whose findings count: all but the shadows'. The one filter between
    /// a shadow's findings and the store, incidents, responders, output and counts;
    /// bound to the config entry, not to anything the plugin says.
    pub fn counted<'a>(&'a self, replies: &'a [Reply]) -> impl Iterator<Item = &'a Reply> {
        replies.iter().filter(|r| !self.is_shadow(r.plugin))
    }

    /// Whether the plugin at `index` fails closed.
    pub fn fails_closed(&self, index: usize) -> bool {
        self.slots[index].on_error == OnError::FailClosed
    }

    /// The indices of the plugins that want this event, in config order.
    pub fn targets(&self, event: &Event) -> &[usize] {
        self.routes.targets(event)
    }

    /// Another chain of the same plugins, each with its own fresh instance and a
    /// closed breaker, for another worker: nothing is loaded again.
    pub async fn replica(&self) -> Result<Chain, PluginError> {
        let mut slots = Vec::with_capacity(self.slots.len());
        for s in &self.slots {
            slots.push(s.replica().await?);
        }
        Ok(Self::of(slots))
    }

    /// Send an event to every plugin that wants it. A plugin whose breaker is open
    /// is not called; its outcome is a `disabled` error. `at` names the event's
    /// place in the input for messages.
    pub async fn inspect(&mut self, event: &Event, at: &str) -> Vec<Reply> {
        inspect_with(&mut self.slots, self.routes.targets(event), event, at).await
    }

    /// Send an event to these plugins only (indices into the chain, each of which
    /// wants the event), as [`Chain::inspect`] does.
    pub async fn inspect_only(&mut self, plugins: &[usize], event: &Event, at: &str) -> Vec<Reply> {
        inspect_with(&mut self.slots, plugins, event, at).await
    }
}

/// What a reload makes of one detector of the new config.
#[derive(Debug)]
enum Renewed {
    /// It goes on in the running chain's slot `from`, under its new entry's policy.
    Kept { from: usize, policy: Policy },
    /// It starts afresh (boxed: a slot holds a whole plugin).
    Fresh(Box<Slot>),
}

/// A new config's chain as a reload builds it before the running chain is touched:
/// its changed and added detectors started, the others named by their running slot.
/// [`Chain::renew`] puts it in place, between two events.
#[derive(Debug)]
pub struct Renewal(Vec<Renewed>);

impl Renewal {
    /// Start every detector of `config` that `keep` maps to no running slot (`keep[i]`
    /// is the index, in the running chain, of the slot detector `i` goes on in);
    /// report every one that fails, as [`Chain::start`] does.
    pub async fn start(runtime: &Runtime, config: &Config, keep: &[Option<usize>]) -> Result<Self, Vec<Problem>> {
        let mut parts = Vec::with_capacity(config.detectors.len());
        let mut problems = Vec::new();
        for (d, &from) in config.detectors.iter().zip(keep) {
            let policy = Policy::of(d);
            match from {
                Some(from) => parts.push(Renewed::Kept { from, policy }),
                None => match start_one(runtime, d).await {
                    Ok(plugin) => parts.push(Renewed::Fresh(Box::new(Slot::new(plugin, d.role, policy)))),
                    Err(e) => problems.extend(problems_of(&d.path, d.name(), &d.origin, e)),
                },
            }
        }
        if problems.is_empty() { Ok(Self(parts)) } else { Err(problems) }
    }

    /// The same renewal for another replica of the chain: its fresh plugins each with
    /// their own instance.
    pub async fn replica(&self) -> Result<Self, PluginError> {
        let mut parts = Vec::with_capacity(self.0.len());
        for part in &self.0 {
            parts.push(match part {
                Renewed::Kept { from, policy } => Renewed::Kept { from: *from, policy: *policy },
                Renewed::Fresh(slot) => Renewed::Fresh(Box::new(slot.replica().await?)),
            });
        }
        Ok(Self(parts))
    }
}

async fn inspect_with(slots: &mut [Slot], plugins: &[usize], event: &Event, at: &str) -> Vec<Reply> {
    let mut outcomes = Vec::with_capacity(plugins.len());
    // Packed once for every packed detector it goes to.
    let outgoing = Outgoing::new(event);
    for &i in plugins {
        let slot = &mut slots[i];
        let Verdict { result, stats, state } = slot.inspect(&outgoing).await;
        if let Err(error) = &result {
            report_failure(slot, event, at, error);
        }
        outcomes.push(Reply { plugin: i, result, stats, state });
    }
    outcomes
}

async fn start_one(runtime: &Runtime, d: &DetectorConfig) -> Result<Plugin, LoadError> {
    let plugin = runtime.load(&d.wasm, &d.setup.sandbox)?.start(d.setup.clone()).await?;
    let stats = plugin.stats();
    tracing::info!(plugin = d.name(), cached = stats.cached, load_ms = stats.load_time.as_secs_f64() * 1e3, "loaded");
    Ok(plugin)
}

/// A load error as config problems: settings errors at their own paths. `path` is
/// the plugin's TOML path; `origin` where its component came from.
pub(crate) fn problems_of(path: &str, name: &str, origin: &str, e: LoadError) -> Vec<Problem> {
    match e {
        LoadError::Settings(errors) => errors
            .into_iter()
            .map(|s| {
                // The path and the message are the plugin's text.
                let at = config::join(&format!("{path}.settings"), &terminal::line(&s.path));
                Problem::new(at, format!("plugin {name:?}: {}", terminal::line(&s.message)))
            })
            .collect(),
        other => vec![Problem::new(path, format!("plugin {name:?} ({origin}): {other}"))],
    }
}

/// Say what failed, and open the breaker when the plugin keeps failing.
fn report_failure(slot: &mut Slot, event: &Event, at: &str, error: &PluginError) {
    if error.reason == Reason::Disabled {
        return;
    }
    let name = slot.plugin.name();
    output::diagnostic(&format!("aiir: plugin {name:?} did not inspect event {:?} ({at}): {error}", event.id));
    if slot.breaker.record_failure(Instant::now()) {
        let c = slot.breaker.config();
        output::diagnostic(&format!(
            "aiir: plugin {name:?} DISABLED for the rest of the run after {} failures within {} s; \
             events it would have inspected are recorded as not inspected",
            c.failures, c.window_secs
        ));
    }
}
