//! The command line: `aiir run`, `aiir serve`, `aiir inspect`, `aiir test`, `aiir eval`,
//! `aiir new`, the store's `incidents` and `models`, and plugin signatures (`keygen`,
//! `sign-blob`, `verify-blob`).

mod cluster;
mod incidents;
mod lineage;
mod mlflow;
mod models;
mod registry;
mod sign;
mod store;

use crate::decode::Format;
use crate::eval::{EvalOptions, eval};
use crate::output::{Style, diagnostic, terminal};
use crate::registry::watch::WatchOptions;
use crate::review::{ReviewOptions, Verdict, review};
use crate::run::{JobOptions, Outcome, RunOptions, run};
use crate::runtime::{Cache, Grant, Runtime, Sandbox, Setup};
use crate::serve::ingest::Bounds;
use crate::serve::{DEFAULT_GRPC_LISTEN, DEFAULT_LISTEN, ServeOptions, serve};
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// aiir: detect, contain and report incidents where an AI system is the target or
/// the weapon, with sandboxed WebAssembly detector plugins.
#[derive(Debug, Parser)]
#[command(name = "aiir", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output on stderr (-v info, -vv debug); `AIIR_LOG` takes a filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the detectors over model logs and print findings: a readable line each on a
    /// terminal, JSON Lines otherwise.
    ///
    /// Exit status: 0 when every line was inspected, 1 when some lines were rejected
    /// or some plugin calls failed (everything else still went through), 2 on a
    /// configuration or usage error.
    Run(RunArgs),
    /// Receive OpenTelemetry GenAI traces and logs over OTLP/HTTP and OTLP/gRPC and run
    /// them through the same path as `run`: detectors, store, incidents, responders.
    ///
    /// Accepts `POST /v1/traces` and `POST /v1/logs` as OTLP protobuf or OTLP/JSON (gzip
    /// or not), and the trace and logs services' gRPC `Export` on `--grpc-listen`;
    /// serves Prometheus metrics on `GET /metrics` and `GET /healthz`; writes findings
    /// as `run` does. Stops on SIGINT or SIGTERM after inspecting what it has queued.
    ///
    /// An export is answered once its findings are written and stored; if the output
    /// fails, it gets 503 or a closed connection, never 200. A span or log record that
    /// cannot be read is rejected alone (partial success). Each listener holds 64
    /// connections from one address and 256 in all, closing the one idle longest to make
    /// room; headers must arrive within 10 s, a body within 5 s and then at 64 KiB/s.
    Serve(ServeArgs),
    /// Show what a plugin is: name, version, event kinds, world, imports, sha256, size.
    Inspect(InspectArgs),
    /// Run a plugin over the cases of a cases file in the strictest sandbox, and say
    /// which pass.
    ///
    /// Exit status: 0 when every case passed, 1 when some failed, 2 when the cases
    /// file is invalid or the plugin cannot be loaded.
    Test(TestArgs),
    /// Measure a detector chain on a labeled data set: confusion matrix, precision,
    /// recall and false-positive rate per kind of example, beside a length-only
    /// baseline.
    ///
    /// Reads prompt rows (JSON Lines of {"id", "text", "label", "kind"}, each sent as a
    /// user message), agent sessions (JSON Lines of {"id", "events", "label", "kind"},
    /// the events sent in order as one session) or PII sentences (a JSON array of
    /// {"full_text", "spans"}, each sent as a model output).
    Eval(EvalArgs),
    /// Read and manage the incidents of the store: list, show, timeline, close, export.
    Incidents(incidents::IncidentsArgs),
    /// Read and manage the model registry of the store: list, mark-good, history.
    Models(models::ModelsArgs),
    /// Follow the MLflow Model Registry of the config's `[registry]`: every new
    /// version, and every alias set, moved or removed, becomes a model-lifecycle event
    /// (`registered`, `promoted` for the serving alias, `aliased`, `unaliased`) that goes
    /// through the detectors, the host's guard and the store like a log's. A move of
    /// the serving alias onto a quarantined version is a critical finding.
    ///
    /// What it saw last is kept in the store, so `--once` from cron picks up there.
    WatchRegistry(WatchRegistryArgs),
    /// Make a bearer token for a sender of `aiir serve`: prints the token, for the
    /// sender's exporter (`Authorization: Bearer TOKEN`), and its sha256, for the
    /// config's `[[serve.sender]] token_sha256` (the config never holds the token).
    Token,
    /// Start a plugin project: a detector or responder in Rust, Python, JavaScript or C
    /// that builds with one command (`./build.sh`) into a component that needs no
    /// grants, with a cases file it passes (`aiir test NAME.wasm --cases cases.toml`).
    ///
    /// The project holds the contract and the language's SDK under `aiir/`, at this
    /// aiir's version; its README names the toolchain that builds it.
    New(NewArgs),
    /// Run two versions of a detector (or one with two sets of settings) over recorded
    /// logs and say, per rule, in which events only the old or only the new one finds
    /// it, with the cost of each; nothing is stored and no responder runs.
    ///
    /// Exit status: 0 when the two agree on every event, 1 when they differ, 2 on an
    /// error.
    Shadow(ShadowArgs),
    /// Push a component to an OCI registry as a Wasm artifact (an
    /// `application/wasm` layer, the layout wkg and Spin use) and print the reference
    /// pinned to its digest, for a config's `wasm = "oci://…"`.
    ///
    /// Registries on loopback are spoken to in plain HTTP, others over HTTPS unless
    /// `AIIR_REGISTRY_PLAIN_HTTP=HOST[:PORT],…` lists them; credentials, when asked
    /// for, come from `AIIR_REGISTRY_USERNAME` and `AIIR_REGISTRY_PASSWORD`.
    Push(registry::PushArgs),
    /// Inspect the events that `aiir run --publish` sends to a NATS JetStream stream: the
    /// stream's partitions are shared out among the live workers, each partition's
    /// detector state is kept in the stream's key-value bucket, and a worker that dies
    /// has its partitions taken over (from that state) after its lease. Runs until
    /// SIGINT or SIGTERM.
    Worker(cluster::WorkerArgs),
    /// Store what a stream's workers found: each line, once every partition it went to
    /// has replied, goes through the store, correlation and responders as in `aiir run`,
    /// in the order it was published, so incidents are global.
    Ingest(cluster::IngestArgs),
    /// Pull a plugin from an OCI registry into a file and print the reference pinned to
    /// the digest its tag resolved to. Pulled plugins are cached by digest (under the
    /// cache directory's `oci/`), so a digest once pulled needs no registry.
    Pull(registry::PullArgs),
    /// Sign a plugin in an OCI registry: a cosign signature of its manifest digest,
    /// stored beside it (tag `sha256-<hex>.sig`), which `cosign verify --key` and
    /// containers/image's `sigstoreSigned` policy check too. Prints the reference
    /// pinned to the digest signed.
    Sign(registry::SignArgs),
    /// Check a plugin in an OCI registry against trusted public keys, offline (no
    /// transparency log), and say which key signed it.
    ///
    /// Exit status: 0 when a given key signed it, 1 when none did, 2 when the plugin,
    /// a key or the registry cannot be read.
    Verify(registry::VerifyArgs),
    /// Make a key pair for signing plugins: PREFIX.key, the private key (PKCS#8 PEM,
    /// mode 0600), and PREFIX.pub, the public key (SPKI PEM) for the config's
    /// `[trust] keys` and for `cosign verify --key`. Refuses to overwrite either file.
    ///
    /// The key is ECDSA P-256, the kind cosign's keyed signatures use, unencrypted:
    /// keep PREFIX.key where only the signer reads it.
    #[command(after_long_help = sign::KEYGEN_EXAMPLES)]
    Keygen(sign::KeygenArgs),
    /// Sign a plugin file: prints the signature (base64 of an ECDSA P-256 signature
    /// over the file's SHA-256), the one `cosign sign-blob --key` makes.
    #[command(after_long_help = sign::SIGN_EXAMPLES)]
    SignBlob(sign::SignBlobArgs),
    /// Check a plugin file's signature against trusted public keys, offline, and say
    /// which key signed it. Reads signatures made by `aiir sign-blob`,
    /// `cosign sign-blob --key` and `openssl dgst -sha256 -sign` (in base64).
    ///
    /// Exit status: 0 when a given key signed the file, 1 when none did, 2 when a key,
    /// the signature or the file cannot be read.
    #[command(after_long_help = sign::VERIFY_EXAMPLES)]
    VerifyBlob(sign::VerifyBlobArgs),
}

#[derive(Debug, Args)]
struct ShadowArgs {
    /// The version running now (.wasm).
    old: PathBuf,
    /// The version to promote (.wasm); the same file again compares settings.
    new: PathBuf,
    /// Recorded logs in the `--format`.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// How the logs are written.
    #[arg(short, long, value_enum, default_value_t = Format::Aiir)]
    format: Format,
    /// The settings of both, as JSON.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    settings: String,
    /// The old one's settings, instead of `--settings`.
    #[arg(long, value_name = "JSON")]
    old_settings: Option<String>,
    /// The new one's settings, instead of `--settings`.
    #[arg(long, value_name = "JSON")]
    new_settings: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, Args)]
struct NewArgs {
    /// What the plugin is.
    #[arg(value_enum)]
    kind: crate::scaffold::Kind,
    /// The plugin's name: lowercase letters, digits and dashes.
    name: String,
    /// The language to write it in.
    #[arg(short, long, value_enum, default_value_t = crate::scaffold::Lang::Rust)]
    lang: crate::scaffold::Lang,
    /// Where to write the project [default: ./NAME]; must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// The labeled data set.
    data: PathBuf,
    /// Use the detectors of this config file.
    #[arg(short, long, value_name = "FILE", conflicts_with = "plugin")]
    config: Option<PathBuf>,
    /// A built-in plugin of the chain (repeatable) [default: prompt-injection, jailbreak
    /// and system-prompt-leak for prompts; sensitive-data-leak for PII].
    #[arg(short, long, value_name = "NAME")]
    plugin: Vec<String>,
    /// Also hold out each source (or kind) of a prompt data set in turn: figures on
    /// rows nothing was fitted to, beside the development-set figures.
    #[arg(long, value_name = "BY")]
    folds: Option<crate::eval::Folds>,
    /// Also list the rows the chain got wrong (missed attacks, flagged benign rows),
    /// with the rules that fired: what to read when improving a detector.
    #[arg(long)]
    errors: bool,
    /// Print the measurements as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    job: JobArgs,
    /// How the inputs are written: aiir JSON Lines, OTLP/JSON traces or logs (one export
    /// request a line, GenAI calls become events), OpenAI logs (Chat Completions,
    /// Responses and Batch lines), Anthropic Messages API logs or OpenLineage run events
    /// (one a line: training runs' lineage).
    #[arg(short, long, value_enum, default_value_t = Format::Aiir)]
    format: Format,
    #[command(flatten)]
    stream: StreamArgs,
    #[command(flatten)]
    publish: cluster::PublishArgs,
    /// Log files in the `--format`; `-` or none reads stdin. A line may hold at most
    /// 16 MiB (16777216 bytes): a longer one is reported, skipped to its next newline
    /// and counted as rejected.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// What `run` and `serve` share: the chain, the store, and where findings go.
#[derive(Debug, Args)]
struct JobArgs {
    /// Config file (aiir.toml); without it the built-in standard pack runs.
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write findings to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How findings are written: aiir JSON Lines, OCSF Detection Finding events (class
    /// 2004) for a SIEM, or one readable line each [default: text when stdout is a
    /// terminal, else aiir].
    #[arg(long, value_enum, value_name = "STYLE")]
    output_format: Option<Style>,
    /// Worker threads inspecting events [default: one per core, at most 8]; events of
    /// one session or principal stay on one worker, and findings keep the input order.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,
    #[command(flatten)]
    cache: CacheArgs,
    /// The incident store, a SQLite file [default: the config's `[store] path`, else
    /// aiir.db beside the config; without a config $XDG_STATE_HOME/aiir/aiir.db, else
    /// ~/.local/state/aiir/aiir.db]. It keeps findings, incidents, actions and
    /// checkpoints: a finding stored before is shown again, marked, but joins no
    /// incident twice; responders answer the incidents, and `--follow` resumes where it
    /// stopped. The summary names it.
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
    /// Keep no store: write every finding, open no incident, run no responder.
    #[arg(long, conflicts_with = "store")]
    no_store: bool,
}

impl JobArgs {
    fn options(self) -> JobOptions {
        let terminal = self.output.is_none() && std::io::stdout().is_terminal();
        JobOptions {
            style: Style::choose(self.output_format, terminal),
            config: self.config,
            output: self.output,
            cache_dir: self.cache.dir(),
            store: self.store,
            no_store: self.no_store,
            workers: self.workers.map_or_else(crate::pipeline::default_workers, usize::from),
        }
    }
}

#[derive(Debug, Args)]
struct WatchRegistryArgs {
    #[command(flatten)]
    job: JobArgs,
    /// Time between polls: `30s`, `500ms`.
    #[arg(long, value_name = "TIME", default_value = "30s", value_parser = parse_interval)]
    interval: Duration,
    /// Poll once, store what changed, and stop.
    #[arg(long)]
    once: bool,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    job: JobArgs,
    #[command(flatten)]
    publish: cluster::PublishArgs,
    /// Address to listen on; port 0 picks a free one. Anything but loopback is reachable
    /// from other machines, without authentication: say so explicitly.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Address to listen on for OTLP/gRPC (the trace and logs services); port 0 picks a
    /// free one.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_GRPC_LISTEN)]
    grpc_listen: SocketAddr,
    /// Do not listen for OTLP/gRPC.
    #[arg(long, conflicts_with = "grpc_listen")]
    no_grpc: bool,
    /// Largest request body in bytes, compressed and decompressed (413 past it; gRPC:
    /// RESOURCE_EXHAUSTED).
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    max_body_bytes: usize,
    /// Export requests queued for the detectors before new ones get 503. The queue is
    /// bounded in events and bytes too (--queue-events, --queue-bytes): a request that
    /// would pass any bound gets 503 (gRPC: UNAVAILABLE) and its exporter retries it.
    /// A request is answered once its findings are written and stored.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    queue: u32,
    /// Events queued for the detectors before new requests get 503.
    #[arg(long, value_name = "N", default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(1..))]
    queue_events: u32,
    /// Bytes of event text (messages, documents, tool calls, attributes) queued for the
    /// detectors before new requests get 503.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    queue_bytes: usize,
    /// How long a GenAI call's span and its log records wait for each other before the
    /// call is inspected with what has arrived (exporters send traces and logs apart).
    #[arg(long, value_name = "TIME", default_value = "10s", value_parser = parse_interval)]
    join_wait: Duration,
    /// With a config: reload the chain when the config file or a plugin file it names
    /// changes, as SIGHUP does; a config with any problem is refused and the running
    /// chain goes on (`[serve]` changes need a restart).
    #[arg(long)]
    watch: bool,
}

#[derive(Debug, Args)]
struct StreamArgs {
    /// Keep reading the input files as they grow, like `tail -F` (across rotation and
    /// truncation), until SIGINT or SIGTERM.
    #[arg(short = 'F', long, requires = "inputs", conflicts_with = "no_store")]
    follow: bool,
    /// With `--follow` and a config: reload the chain when the config file or a plugin
    /// file it names changes, as SIGHUP does. A reload builds and starts the whole new
    /// chain first, and a config with any problem is refused: the running chain goes on.
    #[arg(long, requires = "follow")]
    watch: bool,
    /// How often a followed file is checked for new lines: `250ms`, `1s`.
    #[arg(long, value_name = "TIME", default_value = "200ms", value_parser = parse_interval)]
    poll_interval: Duration,
    /// How many lines may wait between reading and the detectors; reading pauses
    /// when they are full.
    #[arg(long, value_name = "LINES", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    queue: u32,
    /// Show no progress line (it is shown only on a terminal, for large inputs).
    #[arg(long)]
    no_progress: bool,
}

/// `250ms`, `2s` or a plain number of milliseconds.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.strip_suffix("ms") {
        Some(n) => (n, 1),
        None => text.strip_suffix('s').map_or((text, 1), |n| (n, 1000)),
    };
    match number.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_millis(n * unit)),
        _ => Err(format!("expected a time such as 250ms or 1s, not {text:?}")),
    }
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// A plugin component (.wasm).
    plugin: PathBuf,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, Args)]
struct TestArgs {
    /// A plugin component (.wasm).
    plugin: PathBuf,
    /// The cases file (TOML): events, and the findings each case expects or forbids.
    #[arg(long, value_name = "FILE")]
    cases: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Link what the plugin imports beyond the contract, as a config's `grants` would:
    /// `filesystem` (no directory opened) or `sockets` (every address denied). Repeat
    /// for both. None by default.
    #[arg(long = "grant", value_name = "GRANT", value_parser = grant)]
    grants: Vec<Grant>,
    /// Then send each case's events N times through one instance and report the growth
    /// of its memory per call: a leak a single pass cannot show fails the test.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    soak: Option<u32>,
    #[command(flatten)]
    cache: CacheArgs,
}

/// A grant by the name a config gives it.
fn grant(name: &str) -> Result<Grant, String> {
    let known = Grant::ALL.map(Grant::name);
    Grant::ALL.into_iter().find(|g| g.name() == name).ok_or_else(|| format!("use one of {}", known.join(", ")))
}

#[derive(Debug, Args)]
struct CacheArgs {
    /// Directory of precompiled plugins [default: $AIIR_CACHE_DIR, else ~/.cache/aiir].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every plugin afresh; read and write no cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl CacheArgs {
    fn dir(&self) -> Option<PathBuf> {
        if self.no_cache { None } else { self.cache_dir.clone().or_else(Cache::default_dir) }
    }
}

impl Cli {
    /// Run the command; the process exit code.
    pub async fn execute(self) -> ExitCode {
        init_tracing(self.verbose);
        let result = match self.command {
            Command::Run(args) => run_command(args).await,
            Command::Serve(args) => serve_command(args).await,
            Command::Inspect(args) => inspect(args).await.map(|()| ExitCode::SUCCESS),
            Command::Test(args) => test(args).await,
            Command::Eval(args) => eval_command(args).await.map(|()| ExitCode::SUCCESS),
            Command::Incidents(args) => incidents::execute(args).await.map(|()| ExitCode::SUCCESS),
            Command::Models(args) => models::execute(args).await.map(|()| ExitCode::SUCCESS),
            Command::WatchRegistry(args) => watch_registry(args).await,
            Command::Token => token().map(|()| ExitCode::SUCCESS),
            Command::New(args) => new(args).map(|()| ExitCode::SUCCESS),
            Command::Shadow(args) => shadow(args).await,
            Command::Worker(args) => cluster::worker(args).await,
            Command::Ingest(args) => cluster::ingest_command(args).await,
            Command::Push(args) => registry::push(args).await.map(|()| ExitCode::SUCCESS),
            Command::Pull(args) => registry::pull(args).await.map(|()| ExitCode::SUCCESS),
            Command::Sign(args) => registry::sign(args).await.map(|()| ExitCode::SUCCESS),
            Command::Verify(args) => registry::verify(args).await,
            Command::Keygen(args) => sign::keygen(args).map(|()| ExitCode::SUCCESS),
            Command::SignBlob(args) => sign::sign(args).map(|()| ExitCode::SUCCESS),
            Command::VerifyBlob(args) => sign::verify(args),
        };
        result.unwrap_or_else(|e| {
            diagnostic(&format!("aiir: error: {e:#}"));
            ExitCode::from(2)
        })
    }
}

async fn run_command(args: RunArgs) -> anyhow::Result<ExitCode> {
    if let Some(target) = args.publish.target() {
        return cluster::publish_command(args, target).await;
    }
    let opts = RunOptions {
        job: args.job.options(),
        inputs: args.inputs,
        format: args.format,
        follow: args.stream.follow.then_some(args.stream.poll_interval),
        queue: args.stream.queue as usize,
        progress: !args.stream.no_progress,
        watch: args.stream.watch,
    };
    Ok(match run(&opts).await? {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Partial => ExitCode::from(1),
    })
}

async fn watch_registry(args: WatchRegistryArgs) -> anyhow::Result<ExitCode> {
    if args.job.no_store {
        anyhow::bail!("watch-registry keeps what it saw in the store: --no-store cannot be used");
    }
    let opts = WatchOptions { job: args.job.options(), interval: args.interval, once: args.once };
    Ok(match crate::registry::watch::watch(&opts).await? {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Partial => ExitCode::from(1),
    })
}

async fn serve_command(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let opts = ServeOptions {
        job: args.job.options(),
        listen: args.listen,
        grpc_listen: (!args.no_grpc).then_some(args.grpc_listen),
        max_body: args.max_body_bytes,
        queue: Bounds { requests: args.queue as usize, events: args.queue_events as usize, bytes: args.queue_bytes },
        join_wait: args.join_wait,
        watch: args.watch,
        publish: args.publish.target(),
    };
    serve(&opts).await?;
    // Rejected requests and plugin failures were answered and counted as they came;
    // a server stopped on request has done its job.
    Ok(ExitCode::SUCCESS)
}

fn token() -> anyhow::Result<()> {
    let (token, hash) = crate::serve::auth::new_token().context("cannot read random bytes")?;
    crate::output::print_text(&format!(
        "token: {token}\n\n# for the config of aiir serve:\n[[serve.sender]]\nname = \"…\"\ntoken_sha256 = \"{hash}\"\nsources = [\"…\"]"
    ));
    Ok(())
}

async fn shadow(args: ShadowArgs) -> anyhow::Result<ExitCode> {
    use crate::shadow::{ShadowOptions, Side};
    let side =
        |wasm: PathBuf, own: Option<String>| Side { wasm, settings: own.unwrap_or_else(|| args.settings.clone()) };
    let opts = ShadowOptions {
        old: side(args.old.clone(), args.old_settings.clone()),
        new: side(args.new.clone(), args.new_settings.clone()),
        inputs: args.inputs.clone(),
        format: args.format,
        cache_dir: args.cache.dir(),
    };
    let report = crate::shadow::shadow(&opts).await?;
    if args.json {
        crate::output::print_json(&serde_json::to_string_pretty(&report)?);
    } else {
        crate::output::print_text(&report.to_string());
    }
    Ok(if report.agree() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn new(args: NewArgs) -> anyhow::Result<()> {
    let files = crate::scaffold::project(args.kind, &args.name, args.lang)?;
    let dir = args.path.unwrap_or_else(|| PathBuf::from(&args.name));
    crate::scaffold::write(&dir, &files)?;
    let shown = dir.display();
    crate::output::print_text(&format!(
        "created {} {:?} in {shown} ({} files)\n\nnext:\n  cd {shown}\n  ./build.sh                                   # its README.md names the toolchain\n  aiir test {}.wasm --cases cases.toml",
        args.lang.folder(),
        args.name,
        files.len(),
        args.name,
    ));
    Ok(())
}

async fn eval_command(args: EvalArgs) -> anyhow::Result<()> {
    let opts = EvalOptions {
        data: args.data,
        config: args.config,
        plugins: args.plugin,
        cache_dir: args.cache.dir(),
        folds: args.folds,
        errors: args.errors,
    };
    let report = eval(&opts).await?;
    if args.json {
        crate::output::print_json(&serde_json::to_string_pretty(&report)?);
    } else {
        crate::output::print_text(report.to_string().trim_end());
    }
    Ok(())
}

async fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let opts = ReviewOptions {
        plugin: args.plugin,
        cases: args.cases,
        json: args.json,
        cache_dir: args.cache.dir(),
        grants: args.grants,
        soak: args.soak,
    };
    Ok(match review(&opts).await? {
        Verdict::Passed => ExitCode::SUCCESS,
        Verdict::Failed => ExitCode::from(1),
    })
}

async fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let name = args.plugin.display().to_string();
    let wasm = crate::runtime::read_component(&args.plugin).with_context(|| format!("cannot read {name}"))?;
    let runtime = Runtime::new(args.cache.dir(), false)?;
    // Load with every grant so that imports can be listed, marked when they need one.
    let everything = Sandbox { grants: Grant::ALL.to_vec(), ..Sandbox::default() };
    let setup = Setup { name: name.clone(), ..Setup::default() };
    let described = match runtime.describe(&wasm, &everything, &setup).await {
        Ok(described) => described,
        Err(e) => bail!("plugin {name}: {e}{}", refused_shape(&wasm)),
    };
    let crate::runtime::Described { world, info, stats, imports } = described;
    let needs_grant = Sandbox::default().ungranted(&imports);
    let hint =
        if needs_grant.is_empty() { String::new() } else { format!("\n           {}", crate::runtime::BUILD_WITHOUT) };
    let version = imports.iter().find_map(|i| i.strip_prefix("aiir:plugin/")?.split_once('@').map(|(_, v)| v));
    let world = version.map_or(format!("aiir:plugin/{world}"), |v| format!("aiir:plugin/{world}@{v}"));
    let imports: Vec<String> = imports
        .iter()
        .map(|i| {
            let shown = terminal::line(i);
            if needs_grant.contains(&i.as_str()) { format!("{shown}  (needs a grant)") } else { shown.into_owned() }
        })
        .collect();
    let kinds: Vec<&str> = info.kinds.iter().map(|k| crate::route::kind_name(*k)).collect();
    let kinds =
        if world.contains("responder") { "(a responder: it is handed incidents)".into() } else { kinds.join(", ") };
    // What the plugin says of itself is its own text: one line each, but the settings
    // doc, which is documented as several lines.
    let settings = match info.settings.as_str() {
        "" => "(none)".into(),
        doc => terminal::text(doc).replace('\n', "\n           "),
    };
    let text = format!(
        "plugin     {} {}\nabout      {}\nworld      {world}\nkinds      {}\nsha256     {}\nsize       {} bytes\nimports    {}\nsettings   {settings}",
        terminal::line(&info.name),
        terminal::line(&info.version),
        terminal::line(&info.description),
        kinds,
        stats.sha256,
        stats.size,
        imports.join("\n           ") + &hint,
    );
    crate::output::print_text(&text);
    Ok(())
}

/// What a refused component imports and exports, when it can be read that far: the
/// author's first clue to which build flag brought in what.
fn refused_shape(wasm: &[u8]) -> String {
    let Ok(shape) = crate::runtime::shape(wasm) else { return String::new() };
    let list = |names: &[String]| {
        let shown: Vec<String> = names.iter().take(40).map(|n| terminal::line(n).into_owned()).collect();
        let more = names.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else if shown.is_empty() {
            "nothing".into()
        } else {
            shown.join(", ")
        }
    };
    format!("\n  imports: {}\n  exports: {}", list(&shape.imports), list(&shape.exports))
}

/// Whether log lines are coloured: only on a terminal (in a pipe or a file escapes are
/// noise), and not when `NO_COLOR` is set to anything but the empty string.
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AIIR_LOG").unwrap_or_else(|_| default.into());
    let ansi = colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_coloured_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())), "an empty NO_COLOR is unset");
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
