use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmarks that print their figures (recorded in BENCHMARKS.md).
pub mod bench;
/// `depot bench data`: lists, searches, pages and exports at a city's scale.
pub mod data_bench;
/// `depot bench gate`: passage judgment on an independent door model.
pub mod gate_bench;
/// `depot bench ingest`: load through the reader pipeline.
mod ingest_bench;
/// `depot reader probe`: check a reader's wiring.
pub mod reader;
/// `depot serve`, `migrate`, `user`, `token`: running the service.
pub mod service;
/// `depot record`, `depot replay`, `depot trace synth`: reader traces.
pub mod trace;
/// `depot bench zones`: zone presence against the shelf radio model's ground truth.
pub mod zones_bench;

/// Depot: RFID-tracked public asset depot service.
#[derive(Debug, Parser)]
#[command(name = "depot", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub config: crate::config::Overrides,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: HTTP API and pages (embedded PostgreSQL unless DATABASE_URL is set).
    Serve(service::ServeArgs),
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(service::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(service::TokenCommand),
    /// Talk to one reader directly.
    #[command(subcommand)]
    Reader(reader::ReaderCommand),
    /// Record a reader session to a trace file.
    Record(trace::RecordArgs),
    /// Replay a trace through the inventory engine and print the facts.
    Replay(trace::ReplayArgs),
    /// Work with reader traces.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Entry point of the binary: parse arguments, run, map errors to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("depot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => service::serve(&cli.config, args).await,
        Command::Migrate => service::migrate(&cli.config).await,
        Command::User(cmd) => service::user(&cli.config, cmd).await,
        Command::Token(cmd) => service::token(&cli.config, cmd).await,
        Command::Reader(cmd) => reader::run(cmd).await,
        Command::Record(args) => trace::record(args).await,
        Command::Replay(args) => trace::replay(args).await,
        Command::Trace(cmd) => trace::run(cmd).await,
        Command::Bench(cmd) => bench::run(&cli.config, cmd).await,
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("DEPOT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
