use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    aiir_host::cli::Cli::parse().execute().await
}
