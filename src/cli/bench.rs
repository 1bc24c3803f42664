use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Decode RO_ACCESS_REPORTs into TagReads, against sllurp in the same run.
    Llrp(super::reader::BenchArgs),
    /// Inventory engine: throughput, bytes per tracked tag, end-to-end replay.
    Engine(super::trace::BenchArgs),
    /// Sustained load from many readers through engine and fact store: rates, read-to-commit
    /// latency, CPU and memory (on a scratch database).
    Ingest(super::ingest_bench::IngestBenchArgs),
    /// Zone presence on shelves (the independent radio model, many seeds per isolation):
    /// false moves, flapping, between tags, first placements, how soon real moves are seen.
    Zones(super::zones_bench::ZonesBenchArgs),
    /// Gate passages judged on an independent door model: right, asked, missed, wrong
    /// direction and false passages per front-to-back ratio, over many seeds.
    Gate(super::gate_bench::GateBenchArgs),
    /// A city's data (1M assets, 5M events, 300k loans, 900k reservations by default) in a
    /// scratch database, then every list, search, page, report and export under concurrent
    /// clients: p50, p99 and throughput per endpoint.
    Data(super::data_bench::DataBenchArgs),
    /// The event log grown in steps to 50M rows on a city's assets: an asset's timeline, an
    /// order's history, a page in time order and one append, timed at each size.
    Events(super::events_bench::EventsBenchArgs),
    /// Import a generated asset register (10,000 rows by default) into scratch databases:
    /// the dry run's and the import's time.
    Import(super::register::ImportBenchArgs),
}

pub async fn run(over: &crate::config::Overrides, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest(args) => super::ingest_bench::run(over, args).await,
        BenchCommand::Llrp(args) => super::reader::bench(args),
        BenchCommand::Engine(args) => super::trace::bench(args),
        BenchCommand::Zones(args) => super::zones_bench::run(args),
        BenchCommand::Gate(args) => super::gate_bench::run(args),
        BenchCommand::Data(args) => super::data_bench::run(over, args).await,
        BenchCommand::Events(args) => super::events_bench::run(over, args).await,
        BenchCommand::Import(args) => super::register::bench(over, args).await,
    }
}
