use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Decode RO_ACCESS_REPORTs into TagReads.
    Llrp(super::reader::BenchArgs),
    /// Inventory engine throughput.
    Engine,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Llrp(args) => super::reader::bench(args),
        BenchCommand::Engine => super::trace::bench(),
    }
}
