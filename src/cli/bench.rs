use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Decode RO_ACCESS_REPORTs into TagReads, against sllurp in the same run.
    Llrp(super::reader::BenchArgs),
    /// Inventory engine: throughput, bytes per tracked tag, end-to-end replay.
    Engine(super::trace::BenchArgs),
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Llrp(args) => super::reader::bench(args),
        BenchCommand::Engine(args) => super::trace::bench(args),
    }
}
