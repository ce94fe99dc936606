//! `aiir worker`, `aiir ingest` and `aiir run --publish`: detection spread over
//! machines on NATS JetStream (see [`crate::cluster`]).

use super::{CacheArgs, JobArgs, RunArgs, parse_interval};
use crate::cluster::ingest::{IngestOptions, ingest};
use crate::cluster::publish::{PublishOptions, Target, publish};
use crate::cluster::worker::{WorkerOptions, work};
use crate::cluster::{DEFAULT_PARTITIONS, DEFAULT_STREAM};
use crate::run::Outcome;
use anyhow::bail;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where `run` sends its events instead of inspecting them.
#[derive(Debug, Args)]
pub(super) struct PublishArgs {
    /// Send the lines and events to a NATS JetStream stream (`nats://HOST:PORT`) for
    /// `aiir worker`s to inspect and `aiir ingest` to store, instead of inspecting them.
    #[arg(long, value_name = "URL")]
    pub publish: Option<String>,
    /// The stream, with --publish.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STREAM, requires = "publish")]
    pub stream: String,
    /// Partitions per class of detector state, when this is the stream's first
    /// publisher: the most workers that share a class's events.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARTITIONS, requires = "publish", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub partitions: u16,
}

/// The bus a worker or the ingest reads.
#[derive(Debug, Args)]
struct BusArgs {
    /// The NATS server, `nats://HOST:PORT`.
    #[arg(long, value_name = "URL")]
    nats: String,
    /// The stream the publishers send to.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STREAM)]
    stream: String,
}

#[derive(Debug, Args)]
pub(super) struct WorkerArgs {
    #[command(flatten)]
    bus: BusArgs,
    /// Config file: the same as the publishers' and the ingest's [default: the standard pack].
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// This worker's name, unique among the stream's workers [default: HOST-PID].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// How long a lease on a partition lasts unrenewed: a worker that dies has its
    /// partitions taken over by the others after it.
    #[arg(long, value_name = "TIME", default_value = "5s", value_parser = parse_interval)]
    lease: Duration,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, Args)]
pub(super) struct IngestArgs {
    #[command(flatten)]
    bus: BusArgs,
    #[command(flatten)]
    job: JobArgs,
    /// Stop once every line published before the start is stored, instead of at SIGINT
    /// or SIGTERM.
    #[arg(long)]
    once: bool,
}

impl PublishArgs {
    /// The stream to publish to, if any.
    pub fn target(&self) -> Option<Target> {
        let url = self.publish.clone()?;
        Some(Target { url, stream: self.stream.clone(), partitions: self.partitions })
    }
}

/// `aiir run --publish`.
pub(super) async fn publish_command(args: RunArgs, target: Target) -> anyhow::Result<ExitCode> {
    let job = &args.job;
    if args.stream.follow || job.output.is_some() || job.store.is_some() || job.no_store || job.workers.is_some() {
        bail!(
            "--publish sends the events on: --follow, --output, --store, --no-store and --workers are for `aiir ingest` and `aiir worker`"
        );
    }
    let opts = PublishOptions {
        target,
        config: args.job.config,
        cache_dir: args.job.cache.dir(),
        inputs: if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs },
        format: args.format,
        queue: args.stream.queue as usize,
    };
    let sent = publish(&opts).await?;
    Ok(if sent.rejected > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `aiir worker`.
pub(super) async fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let name = args.name.unwrap_or_else(|| format!("{}-{}", crate::cluster::host_name(), std::process::id()));
    let opts = WorkerOptions {
        url: args.bus.nats,
        stream: args.bus.stream,
        config: args.config,
        cache_dir: args.cache.dir(),
        name,
        lease: args.lease,
    };
    work(&opts).await?;
    Ok(ExitCode::SUCCESS)
}

/// `aiir ingest`.
pub(super) async fn ingest_command(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let opts = IngestOptions { url: args.bus.nats, stream: args.bus.stream, job: args.job.options(), once: args.once };
    Ok(match ingest(&opts).await? {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Partial => ExitCode::from(1),
    })
}
