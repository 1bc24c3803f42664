use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Connect to one reader and print its reads as JSON Lines.
    Probe {
        /// llrp://HOST[:PORT], uhf18:///dev/ttyUSB0?baud=57600, uhf18+tcp://HOST:PORT,
        /// r2000:///dev/ttyUSB0?baud=115200 or r2000+tcp://HOST:PORT
        address: String,
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long)]
        seconds: Option<u64>,
    },
}

pub async fn run(cmd: ReaderCommand) -> anyhow::Result<()> {
    match cmd {
        ReaderCommand::Probe { address, .. } => anyhow::bail!("reader probe {address}: not built yet"),
    }
}

pub fn bench() -> anyhow::Result<()> {
    anyhow::bail!("bench llrp: not built yet")
}
