use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Reader address, as for `depot reader probe`.
    pub address: String,
    /// Output trace file.
    #[arg(long, short)]
    pub output: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Trace file (JSON Lines).
    pub file: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Synthesize a realistic trace.
    Synth,
}

pub async fn record(_args: RecordArgs) -> anyhow::Result<()> {
    anyhow::bail!("record: not built yet")
}

pub async fn replay(_args: ReplayArgs) -> anyhow::Result<()> {
    anyhow::bail!("replay: not built yet")
}

pub async fn run(_cmd: TraceCommand) -> anyhow::Result<()> {
    anyhow::bail!("trace: not built yet")
}

pub fn bench() -> anyhow::Result<()> {
    anyhow::bail!("bench engine: not built yet")
}
