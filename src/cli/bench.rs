use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Decode RO_ACCESS_REPORTs into TagReads.
    Llrp,
    /// Inventory engine: throughput, bytes per tracked tag, end-to-end replay.
    Engine(super::trace::BenchArgs),
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Llrp => super::reader::bench(),
        BenchCommand::Engine(args) => super::trace::bench(args),
    }
}
