//! The parallel pipeline: events spread over worker threads, each with its own
//! replica of the chain, and every event's replies handed back in input order.
//!
//! Stateful detectors keep state by some key, and must see every event of a key, in
//! order, in one instance. So each plugin's share of an event goes to the worker its
//! `Partition` picks: by default the event's own key (session, else principal,
//! else model name, else id), which keeps a session or a principal on one worker;
//! the pack's detectors whose state spans other keys are partitioned by that key
//! instead (`model-integrity` by model, `data-poisoning` by data set) or run on one
//! worker (`model-extraction`, which compares each principal with the population of
//! principals). One event may thus be inspected by two workers at once; the
//! collector puts its replies together, in config order, before handing it back.
//!
//! Queues are bounded: [`Pipeline::push`] waits when the events in flight reach a
//! limit, so memory stays bounded when input outruns the workers. With one worker the
//! chain runs on the caller's task, with no queue at all.
//!
//! Each worker's chain has its own circuit breakers: a breaker counts the failures of
//! its plugin in that worker, and disables the plugin in that worker only.
//!
//! A reload renews every chain in place ([`Pipeline::renew`]): the workers hand their
//! chains back, and go on with them renewed, so the detectors a reload keeps stay in
//! their warm instances, each on the worker that had it. A plugin's worker depends on
//! its name and the event, never on its place in the chain. Keys are shared out by a
//! spread fixed at the start, which gives the worker of a global plugin fewer keys so
//! that the workers make about as many calls; a reload keeps it.

use crate::chain::{Chain, Renewal, Reply};
use crate::role::Partition;
use crate::runtime::Event;
use anyhow::Context as _;
use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most workers `aiir run` starts without being told.
pub const MAX_DEFAULT_WORKERS: usize = 8;
/// Events in flight per worker before [`Pipeline::push`] waits.
const IN_FLIGHT_PER_WORKER: usize = 64;
/// The most answers a worker holds back to send together while more jobs wait in its
/// queue: one wake-up of the collector per batch instead of per event.
const ANSWER_BATCH: usize = 16;

/// One event and what each plugin that wanted it made of it, in config order.
pub type Inspected = (Event, Vec<Reply>);

/// One worker per core, at most [`MAX_DEFAULT_WORKERS`].
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get).min(MAX_DEFAULT_WORKERS)
}

impl Partition {
    /// The worker, of `spread`'s, that inspects `event` for the plugin called `name`.
    fn worker(self, name: &str, event: &Event, spread: &Spread) -> usize {
        match self {
            Self::Global => spread.home(name),
            _ => spread.pick(self.key(event)),
        }
    }
}

/// How keys are shared out among the workers. A global plugin sees every event on its
/// one worker, so that worker takes a smaller share of the keys: each worker then makes
/// about as many plugin calls. A function of the config alone, so a key's worker is
/// the same for the whole run.
#[derive(Debug, Clone)]
struct Spread {
    /// Worker `i` takes the hashes (modulo the last bound) below `bounds[i]`.
    bounds: Vec<u64>,
}

impl Spread {
    /// The spread over `workers` of plugins with these partitions and names.
    fn new<'a>(routes: impl IntoIterator<Item = (Partition, &'a str)>, workers: usize) -> Self {
        let workers = workers.max(1);
        let (mut pinned, mut keyed) = (vec![0u64; workers], 0u64);
        for (partition, name) in routes {
            match partition {
                Partition::Global => pinned[home(name, workers)] += 1,
                Partition::Event => keyed += 1,
                Partition::Model | Partition::Dataset => {}
            }
        }
        // In calls per event times `workers`: each worker's fair part is all the calls,
        // less what its global plugins already make.
        let all = keyed + pinned.iter().sum::<u64>();
        let mut shares: Vec<u64> = pinned.iter().map(|&p| all.saturating_sub(p * workers as u64)).collect();
        if shares.iter().all(|&s| s == 0) {
            shares = vec![1; workers];
        }
        let bounds = shares
            .iter()
            .scan(0, |sum, s| {
                *sum += s;
                Some(*sum)
            })
            .collect();
        Self { bounds }
    }

    /// The worker of the global plugin called `name`.
    fn home(&self, name: &str) -> usize {
        home(name, self.bounds.len())
    }

    /// The worker of `key`.
    fn pick(&self, key: &str) -> usize {
        let total = self.bounds.last().copied().unwrap_or(1).max(1);
        let at = fnv1a(key.as_bytes()) % total;
        self.bounds.iter().position(|&b| at < b).unwrap_or(0)
    }
}

/// The worker, of `workers`, of the global plugin called `name`.
fn home(name: &str, workers: usize) -> usize {
    usize::try_from(fnv1a(name.as_bytes()) % workers as u64).unwrap_or(0)
}

impl Partition {
    /// The partition, of `n`, that `event` falls in for this class (the global class
    /// has one): what `aiir worker`s share out.
    pub fn bucket(self, event: &Event, n: u16) -> u16 {
        if self == Self::Global { 0 } else { bucket_of(self.key(event), n) }
    }
}

/// The partition, of `n`, of the key `key`.
pub fn bucket_of(key: &str, n: u16) -> u16 {
    u16::try_from(fnv1a(key.as_bytes()) % u64::from(n.max(1))).unwrap_or(0)
}

/// A stable hash (the same in every run and build), unlike std's.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The chain, run on the caller's task or spread over worker threads.
#[derive(Debug)]
pub struct Pipeline {
    chain: Chain,
    parallel: Option<Parallel>,
}

impl Pipeline {
    /// Run `chain` on `workers` threads (at least one). With one, events go straight
    /// to `chain`; with more, each worker starts its own replica of it and `chain`
    /// only describes the plugins.
    pub async fn start(chain: Chain, workers: usize) -> anyhow::Result<Self> {
        let parallel = if workers > 1 { Some(Parallel::start(&chain, workers).await?) } else { None };
        Ok(Self { chain, parallel })
    }

    /// The chain's plugins and policies, for writing replies.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Start, for each worker, its own instances of what `renewal` starts afresh, so
    /// that [`Pipeline::renew`] has only to put them in place.
    pub async fn prepare(&self, renewal: Renewal) -> anyhow::Result<Renewals> {
        let mut workers = Vec::new();
        if self.parallel.is_some() {
            for _ in 0..self.workers() {
                workers.push(renewal.replica().await.context("cannot start a worker")?);
            }
        }
        Ok(Renewals { chain: renewal, workers })
    }

    /// Put a reload's chains in place, with nothing in flight (the caller has flushed):
    /// each worker hands its chain back and goes on with it renewed. Fails only when a
    /// worker died, which ends the job.
    pub async fn renew(&mut self, renewals: Renewals) -> anyhow::Result<()> {
        self.chain.renew(renewals.chain);
        let Some(parallel) = &mut self.parallel else { return Ok(()) };
        debug_assert!(parallel.slots.is_empty(), "a renewal with events in flight");
        let mut chains = parallel.stop().await?;
        for (chain, renewal) in chains.iter_mut().zip(renewals.workers) {
            chain.renew(renewal);
        }
        // The spread stays: a reload moves no key to another worker.
        let spread = parallel.spread.clone();
        *parallel = Parallel::run(chains, &self.chain, spread)?;
        Ok(())
    }

    /// How many workers inspect events.
    pub fn workers(&self) -> usize {
        self.parallel.as_ref().map_or(1, |p| p.jobs.len())
    }

    /// Hand in the next event (`at` names its place in the input for messages) and
    /// take back every event whose replies are complete, in input order: none, it
    /// alone, or several. Waits while the events in flight are at the limit. Not
    /// cancel-safe: drop the pipeline rather than a `push` in progress.
    pub async fn push(&mut self, event: Event, at: &str) -> Vec<Inspected> {
        match &mut self.parallel {
            None => {
                let replies = self.chain.inspect(&event, at).await;
                vec![(event, replies)]
            }
            Some(p) => p.push(&self.chain, event, at).await,
        }
    }

    /// The next event in input order once its replies are complete; `None` when
    /// nothing is in flight.
    pub async fn next(&mut self) -> Option<Inspected> {
        let p = self.parallel.as_mut()?;
        if p.slots.is_empty() {
            return None;
        }
        p.wait_head().await;
        p.pop_head()
    }

    /// Every event still in flight, in input order, once complete.
    pub async fn flush(&mut self) -> Vec<Inspected> {
        let mut out = Vec::new();
        while let Some(done) = self.next().await {
            out.push(done);
        }
        out
    }
}

/// The renewal of each chain a pipeline runs: its own, and one per worker.
#[derive(Debug)]
pub struct Renewals {
    chain: Renewal,
    workers: Vec<Renewal>,
}

/// A plugin's share of an event, for one worker.
struct Job {
    seq: u64,
    event: Arc<Event>,
    at: Arc<str>,
    plugins: Vec<usize>,
}

/// What a worker made of a job. `seq == WORKER_DIED` says a worker panicked.
struct Part {
    seq: u64,
    replies: Vec<Reply>,
}

const WORKER_DIED: u64 = u64::MAX;

/// An event in flight: the parts it still waits for, and the replies so far.
struct Slot {
    event: Arc<Event>,
    waiting: usize,
    replies: Vec<Reply>,
}

/// The workers' queues, the queue they answer on, where they hand their chains back,
/// and the reorder buffer.
struct Parallel {
    jobs: Vec<mpsc::Sender<Job>>,
    done: mpsc::Receiver<Vec<Part>>,
    back: Vec<oneshot::Receiver<Chain>>,
    /// Each plugin's partition and name, which pick its worker.
    routes: Vec<(Partition, String)>,
    /// Which worker a key goes to.
    spread: Spread,
    /// Events in flight, oldest first; `slots[0]` has sequence number `first`.
    slots: VecDeque<Slot>,
    first: u64,
    limit: usize,
}

impl std::fmt::Debug for Parallel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parallel").field("workers", &self.jobs.len()).field("in_flight", &self.slots.len()).finish()
    }
}

impl Parallel {
    async fn start(chain: &Chain, workers: usize) -> anyhow::Result<Self> {
        let mut replicas = Vec::with_capacity(workers);
        for _ in 0..workers {
            replicas.push(chain.replica().await.context("cannot start a worker")?);
        }
        let names = chain.plugins().into_iter().map(|p| p.name());
        let spread = Spread::new(chain.roles().map(|r| r.partition).zip(names), workers);
        Self::run(replicas, chain, spread)
    }

    /// One worker for each of `replicas`, routing by the plugins of `chain` and `spread`.
    fn run(replicas: Vec<Chain>, chain: &Chain, spread: Spread) -> anyhow::Result<Self> {
        let workers = replicas.len();
        let limit = IN_FLIGHT_PER_WORKER * workers;
        // Room for every part of every event in flight: a worker never waits to answer,
        // so the caller waiting for room in a worker's queue always gets it.
        let (done_tx, done) = mpsc::channel(limit * workers);
        let (mut jobs, mut back) = (Vec::with_capacity(workers), Vec::with_capacity(workers));
        for (index, replica) in replicas.into_iter().enumerate() {
            let (tx, rx) = mpsc::channel(IN_FLIGHT_PER_WORKER);
            let (back_tx, back_rx) = oneshot::channel();
            spawn_worker(index, replica, rx, done_tx.clone(), back_tx)?;
            jobs.push(tx);
            back.push(back_rx);
        }
        let names = chain.plugins().into_iter().map(|p| p.name().to_owned());
        let routes = chain.roles().map(|r| r.partition).zip(names).collect();
        let slots = VecDeque::with_capacity(limit);
        Ok(Self { jobs, done, back, routes, spread, slots, first: 0, limit })
    }

    /// Close the workers' queues and take their chains back, in worker order.
    async fn stop(&mut self) -> anyhow::Result<Vec<Chain>> {
        self.jobs.clear();
        let mut chains = Vec::with_capacity(self.back.len());
        for back in self.back.drain(..) {
            chains.push(back.await.context("a pipeline worker died")?);
        }
        Ok(chains)
    }

    async fn push(&mut self, chain: &Chain, event: Event, at: &str) -> Vec<Inspected> {
        if self.slots.len() >= self.limit {
            self.wait_head().await;
        }
        let mut out = Vec::new();
        self.take_ready(&mut out);
        self.dispatch(chain, event, at).await;
        out
    }

    /// Send each worker its share of the event.
    async fn dispatch(&mut self, chain: &Chain, event: Event, at: &str) {
        let seq = self.first + self.slots.len() as u64;
        let workers = self.jobs.len();
        let mut shares: Vec<Vec<usize>> = vec![Vec::new(); workers];
        for &i in chain.targets(&event) {
            let (partition, name) = &self.routes[i];
            shares[partition.worker(name, &event, &self.spread)].push(i);
        }
        let event = Arc::new(event);
        let at: Arc<str> = Arc::from(at);
        let waiting = shares.iter().filter(|s| !s.is_empty()).count();
        self.slots.push_back(Slot { event: Arc::clone(&event), waiting, replies: Vec::new() });
        for (worker, plugins) in shares.into_iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            let job = Job { seq, event: Arc::clone(&event), at: Arc::clone(&at), plugins };
            // A worker's queue closes only when its thread is gone, which `receive` reports.
            let _ = self.jobs[worker].send(job).await;
        }
    }

    /// Wait until the oldest event in flight is complete.
    async fn wait_head(&mut self) {
        while self.slots.front().is_some_and(|s| s.waiting > 0) {
            let parts = self.done.recv().await;
            self.receive(parts);
        }
    }

    /// Take what the workers have answered so far, then every complete event at the head.
    fn take_ready(&mut self, out: &mut Vec<Inspected>) {
        while let Ok(parts) = self.done.try_recv() {
            self.receive(Some(parts));
        }
        while self.slots.front().is_some_and(|s| s.waiting == 0) {
            out.extend(self.pop_head());
        }
    }

    fn receive(&mut self, parts: Option<Vec<Part>>) {
        // Workers stop only when the pipeline is dropped, or on a bug.
        let parts = parts.filter(|ps| ps.iter().all(|p| p.seq != WORKER_DIED));
        for part in parts.expect("a pipeline worker panicked") {
            let slot = &mut self.slots[usize::try_from(part.seq - self.first).expect("a slot in flight")];
            slot.replies.extend(part.replies);
            slot.waiting -= 1;
        }
    }

    fn pop_head(&mut self) -> Option<Inspected> {
        let mut slot = self.slots.pop_front()?;
        self.first += 1;
        slot.replies.sort_by_key(|r| r.plugin);
        // The workers dropped their references before answering.
        let event = Arc::try_unwrap(slot.event).unwrap_or_else(|shared| (*shared).clone());
        Some((event, slot.replies))
    }
}

/// A worker thread with its own single-threaded runtime: plugin calls are async only
/// for their deadlines, so one thread per worker keeps each on its own core.
fn spawn_worker(
    index: usize,
    mut chain: Chain,
    mut jobs: mpsc::Receiver<Job>,
    done: mpsc::Sender<Vec<Part>>,
    back: oneshot::Sender<Chain>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot start a worker's runtime")?;
    // The future is made on the worker's thread: a plugin call's future is not `Send`.
    let work = move || {
        runtime.block_on(async move {
            let _guard = PanicGuard(done.clone());
            while let Some(job) = jobs.recv().await {
                let mut parts = vec![work_on(&mut chain, job).await];
                while parts.len() < ANSWER_BATCH {
                    let Ok(job) = jobs.try_recv() else { break };
                    parts.push(work_on(&mut chain, job).await);
                }
                if done.send(parts).await.is_err() {
                    break;
                }
            }
            // Its queue closed: the pipeline takes the chain back, or has gone.
            let _ = back.send(chain);
        });
    };
    std::thread::Builder::new()
        .name(format!("aiir-worker-{index}"))
        .spawn(work)
        .context("cannot start a worker thread")?;
    Ok(())
}

async fn work_on(chain: &mut Chain, job: Job) -> Part {
    let replies = chain.inspect_only(&job.plugins, &job.event, &job.at).await;
    // Dropped before answering, so that the collector gets the event back without a copy.
    Part { seq: job.seq, replies }
}

/// Tells the collector when its worker panics, so that it does not wait forever.
struct PanicGuard(mpsc::Sender<Vec<Part>>);

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.try_send(vec![Part { seq: WORKER_DIED, replies: Vec::new() }]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_line;

    fn event(id: &str, session: Option<&str>, principal: Option<&str>, model: &str) -> Event {
        let mut e = decode_line(&format!(
            r#"{{"id":"{id}","time":"2026-11-27T13:00:00Z","source":"api","model":{{"name":"{model}"}},
               "payload":{{"inference":{{"input":[{{"role":"user","content":"hi"}}]}}}}}}"#
        ))
        .unwrap();
        (e.session, e.principal) = (session.map(Into::into), principal.map(Into::into));
        e
    }

    fn workers_of(partition: Partition, events: &[Event], workers: usize) -> Vec<usize> {
        let spread = Spread::new([], workers);
        events.iter().map(|e| partition.worker("model-extraction", e, &spread)).collect()
    }

    #[test]
    fn the_hash_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_session_goes_to_one_worker_else_a_principal_else_a_model() {
        for n in 1..40 {
            let session = format!("s{n}");
            let one_session: Vec<Event> = (0..5)
                .map(|i| event(&format!("e{i}"), Some(&session), Some(&format!("p{i}")), &format!("m{i}")))
                .collect();
            let w = workers_of(Partition::Event, &one_session, 4);
            assert!(w.iter().all(|&x| x == w[0]), "{session}: {w:?}");
            let one_principal: Vec<Event> =
                (0..5).map(|i| event(&format!("e{i}"), None, Some(&session), &format!("m{i}"))).collect();
            let w = workers_of(Partition::Event, &one_principal, 4);
            assert!(w.iter().all(|&x| x == w[0]), "{session}: {w:?}");
            let one_model: Vec<Event> =
                (0..5).map(|i| event(&format!("e{i}"), Some(&format!("s{i}")), None, &session)).collect();
            let w = workers_of(Partition::Model, &one_model, 4);
            assert!(w.iter().all(|&x| x == w[0]), "{session}: {w:?}");
        }
    }

    #[test]
    fn sessions_spread_over_the_workers() {
        let events: Vec<Event> = (0..400).map(|n| event("e", Some(&format!("sess-{n:04}")), None, "m")).collect();
        let mut per_worker = [0; 4];
        for w in workers_of(Partition::Event, &events, 4) {
            per_worker[w] += 1;
        }
        assert!(per_worker.iter().all(|&n| (70..=130).contains(&n)), "{per_worker:?}");
    }

    #[test]
    fn the_worker_of_a_global_plugin_takes_fewer_keys() {
        // Seven plugins by session and one global: its worker should take 3 of the 7
        // session plugins' calls per event on average, the other 4, so 4 calls each.
        let routes = (0..7).map(|_| (Partition::Event, "by-session")).chain([(Partition::Global, "model-extraction")]);
        let spread = Spread::new(routes, 2);
        let home = spread.home("model-extraction");
        let events: Vec<Event> = (0..2000).map(|n| event("e", Some(&format!("sess-{n:04}")), None, "m")).collect();
        let at_home = events.iter().filter(|e| Partition::Event.worker("x", e, &spread) == home).count();
        assert!((780..=940).contains(&at_home), "{at_home} of 2000 sessions on the global plugin's worker");
        assert_eq!(Spread::new([(Partition::Event, "a")], 1).bounds.len(), 1);
    }

    #[test]
    fn a_global_plugin_stays_on_one_worker() {
        let events: Vec<Event> = (0..20).map(|n| event(&format!("e{n}"), Some(&format!("s{n}")), None, "m")).collect();
        let home = usize::try_from(fnv1a(b"model-extraction") % 4).unwrap();
        assert_eq!(workers_of(Partition::Global, &events, 4), vec![home; 20]);
    }
}
