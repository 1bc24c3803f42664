use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Decode RO_ACCESS_REPORTs into TagReads.
    Llrp,
    /// Inventory engine throughput.
    Engine,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Llrp => super::reader::bench(),
        BenchCommand::Engine => super::trace::bench(),
    }
}
