use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `depot backup` and `depot restore`: the database as one pg_dump file.
pub mod backup;
/// Benchmarks that print their figures (recorded in BENCHMARKS.md).
pub mod bench;
/// `depot bench data`: lists, searches, pages and exports at a city's scale.
pub mod data_bench;
/// `depot bench events`: the event log grown to tens of millions of rows.
mod events_bench;
/// `depot bench gate`: passage judgment on an independent door model.
pub mod gate_bench;
/// `depot bench ingest`: load through the reader pipeline.
mod ingest_bench;
/// `depot reader probe`: check a reader's wiring.
pub mod reader;
/// `depot import assets`: the asset register from a file; `depot bench import`.
pub mod register;
/// `depot serve`, `migrate`, `user`, `token`: running the service.
pub mod service;
/// `depot tag write`: commission or rewrite one tag through a reader.
pub mod tag;
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
    /// How the log on stderr is written: `text` for people, or `json` for a log collector
    /// (one JSON object a line; what is said to people, such as where the service listens,
    /// then goes to stdout so that stderr holds JSON only)
    #[arg(long, global = true, value_enum, env = "DEPOT_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: HTTP API and pages (embedded PostgreSQL unless DATABASE_URL is set).
    Serve(service::ServeArgs),
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Back up the depot database to FILE (pg_dump's custom format); consistent while the
    /// service runs.
    Backup(backup::BackupArgs),
    /// Restore the depot database from FILE into an empty database (`--force`: replace the
    /// data there). Stop the service first.
    Restore(backup::RestoreArgs),
    /// Manage users.
    #[command(subcommand)]
    User(service::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(service::TokenCommand),
    /// Talk to one reader directly.
    #[command(subcommand)]
    Reader(reader::ReaderCommand),
    /// Write tags through a reader.
    #[command(subcommand)]
    Tag(tag::TagCommand),
    /// Record a reader session to a trace file.
    Record(trace::RecordArgs),
    /// Replay a trace through the inventory engine and print the facts.
    Replay(trace::ReplayArgs),
    /// Work with reader traces.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Import data from files.
    #[command(subcommand)]
    Import(register::ImportCommand),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// A line for the person running the command (where the service listens, the demo's
/// logins): on stderr beside a text log, on stdout when the log is JSON.
pub fn say(line: &str) {
    match LOG_FORMAT.get() {
        Some(LogFormat::Json) => println!("{line}"),
        _ => eprintln!("{line}"),
    }
}

/// Entry point of the binary: parse arguments, run, map errors to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
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
            // The cause chain on one line, no backtrace.
            match cli_format() {
                LogFormat::Json => tracing::error!(error = %format!("{e:#}"), "depot stopped"),
                LogFormat::Text => eprintln!("depot: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => service::serve(&cli.config, args).await,
        Command::Migrate => service::migrate(&cli.config).await,
        Command::Backup(args) => backup::backup(&cli.config, args).await,
        Command::Restore(args) => backup::restore(&cli.config, args).await,
        Command::User(cmd) => service::user(&cli.config, cmd).await,
        Command::Token(cmd) => service::token(&cli.config, cmd).await,
        Command::Reader(cmd) => reader::run(cmd).await,
        Command::Tag(cmd) => tag::run(&cli.config, cmd).await,
        Command::Record(args) => trace::record(args).await,
        Command::Replay(args) => trace::replay(args).await,
        Command::Trace(cmd) => trace::run(cmd).await,
        Command::Import(cmd) => register::run(&cli.config, cmd).await,
        Command::Bench(cmd) => bench::run(&cli.config, cmd).await,
    }
}

fn cli_format() -> LogFormat {
    LOG_FORMAT.get().copied().unwrap_or(LogFormat::Text)
}

/// What is logged unless `DEPOT_LOG` says otherwise: `info`, but not the pool's own account
/// of a lost database connection (each request it fails logs one line) or PostgreSQL's
/// notices.
const DEFAULT_LOG: &str = "info,sqlx_core::pool=error,sqlx::postgres::notice=warn";

/// The log on stderr, filtered by `DEPOT_LOG` (default [`DEFAULT_LOG`]). JSON: one object a line,
/// `{"timestamp", "level", "target", "message", …fields}`, the event's fields at the top
/// level.
fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let _ = LOG_FORMAT.set(format);
    let filter =
        EnvFilter::try_from_env("DEPOT_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
