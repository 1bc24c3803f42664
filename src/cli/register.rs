//! `depot import assets FILE`: a register file (CSV or XLSX) taken in all or nothing, as a
//! keeper or admin; and `depot bench import`: how long a register of N rows takes to import
//! into a scratch database.

use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use sqlx::postgres::PgConnectOptions;

use super::service::Database;
use crate::app::register::{self, Format, ImportReport};
use crate::app::App;
use crate::auth::Role;
use crate::config::{Config, Overrides};
use crate::db;
use crate::domain::bounds::{Known as _, Months};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import the asset register (header
    /// `epc,name,category,original_value,acquired_on,source_class,owner_department,zone,model,serial_number,supplier,acquisition_method,funding_source,finance_card_no,useful_life_months`):
    /// all or nothing, every error named by line and column.
    Assets {
        /// The file: `.xlsx` is read as a workbook, anything else as CSV (UTF-8).
        file: std::path::PathBuf,
        /// Only check the file; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who imports (an admin or keeper): the intake and the log name them.
        #[arg(long)]
        user: String,
    },
}

pub async fn run(over: &Overrides, cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Assets {
        file,
        dry_run,
        user,
    } = cmd;
    let bytes = read_bounded(&file)?;
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
        _ => Format::sniff(&bytes),
    };
    let config = Config::load(over, None)?;
    let database = Database::open(&config).await?;
    let result = async {
        let actor = {
            let mut conn = database.pool.acquire().await?;
            db::credentials::actor_by_username(&mut conn, &user).await?
        };
        let app = App::new(database.pool.clone(), config.clone());
        let report = register::import(&app, &actor, &bytes, format, dry_run).await?;
        print_report(&file.display().to_string(), &report);
        if report.error_count > 0 {
            anyhow::bail!("nothing was imported: {} errors", report.error_count);
        }
        Ok(())
    }
    .await;
    database.close().await?;
    result
}

fn read_bounded(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > register::MAX_BYTES as u64 {
        anyhow::bail!(
            "{} is larger than {} MiB: import the register in parts",
            path.display(),
            register::MAX_BYTES / 1024 / 1024
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn print_report(file: &str, report: &ImportReport) {
    for e in &report.errors {
        match e.column {
            Some(column) => println!("{file}:{}: {column}: {}", e.line, e.message),
            None => println!("{file}:{}: {}", e.line, e.message),
        }
    }
    if report.error_count > report.errors.len() {
        println!(
            "… and {} more errors",
            report.error_count - report.errors.len()
        );
    }
    match (report.stored, report.dry_run, report.error_count) {
        (true, _, _) => println!(
            "imported {} assets as intake {} ({} EPCs commissioned)",
            report.rows,
            report.intake_id.unwrap_or_default(),
            report.epcs_assigned
        ),
        (false, true, 0) => println!(
            "{} rows checked, no errors ({} EPCs would be commissioned); nothing stored",
            report.rows, report.epcs_assigned
        ),
        _ => {}
    }
}

#[derive(Debug, Args)]
pub struct ImportBenchArgs {
    /// Rows in the register file.
    #[arg(long, default_value_t = 10_000)]
    pub rows: usize,
    /// Runs, each into a fresh scratch database.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

/// Import a generated register of `rows` rows (half with EPCs, half commissioned; every
/// card field filled) into a scratch database with the places and kinds it names, `runs`
/// times; print the dry run's and the import's time.
pub async fn bench(over: &Overrides, args: ImportBenchArgs) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let server = Database::open_server(&config).await?;
    let csv = register_file(args.rows);
    println!(
        "register of {} rows, {:.1} MiB of CSV",
        args.rows,
        csv.len() as f64 / 1024.0 / 1024.0
    );
    let mut result = Ok(());
    for run in 1..=args.runs.max(1) {
        let name = format!("depot_bench_import_{}_{run}", std::process::id());
        db::create_database(&server.pool, &name)
            .await
            .context("creating the scratch database")?;
        let options: PgConnectOptions = (*server.pool.connect_options()).clone().database(&name);
        let outcome = async {
            let pool = db::connect(options, None, config.time_zone).await?;
            let out = import_once(&pool, &config, &csv).await;
            pool.close().await;
            out
        }
        .await;
        let _ = db::drop_database(&server.pool, &name).await;
        match outcome {
            Ok((checked, imported)) => println!(
                "run {run}: dry run {:.2} s, import {:.2} s ({:.0} rows/s)",
                checked,
                imported,
                args.rows as f64 / imported
            ),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    server.close().await?;
    result
}

async fn import_once(
    pool: &sqlx::PgPool,
    config: &Config,
    csv: &[u8],
) -> anyhow::Result<(f64, f64)> {
    let actor = {
        let mut conn = pool.acquire().await?;
        let department = db::people::create_department(
            &mut conn,
            &db::people::NewDepartment {
                code: "FIN".known(),
                name: "Finance Bureau".known(),
                ..Default::default()
            },
        )
        .await?;
        let _ = department;
        let warehouse = db::places::create_warehouse(
            &mut conn,
            &db::places::NewWarehouse {
                code: "W1".known(),
                name: "Main depot".known(),
                ..Default::default()
            },
        )
        .await?;
        for zone in ["A", "B"] {
            db::places::create_zone(
                &mut conn,
                warehouse.id,
                &db::places::NewZone {
                    code: zone.known(),
                    name: zone.known(),
                    kind: "storage".known(),
                    ..Default::default()
                },
            )
            .await?;
        }
        for (code, life) in [("TBL", 180), ("LAP", 72)] {
            db::places::create_category(
                &mut conn,
                &db::places::NewCategory {
                    code: code.known(),
                    name: code.known(),
                    useful_life_months: Some(Months::known(life)),
                    daily_rent_fen: None,
                    ..Default::default()
                },
            )
            .await?;
        }
        let user = crate::app::people::insert_user(
            &mut conn,
            &crate::app::people::NewUser {
                username: "bench".known(),
                display_name: None,
                password: "bench password".known(),
                role: Role::Keeper,
                department_id: None,
                email: Default::default(),
            },
        )
        .await?;
        db::credentials::actor(&mut conn, user.id).await?
    };
    let app = App::new(pool.clone(), config.clone());
    let started = Instant::now();
    let checked = register::import(&app, &actor, csv, Format::Csv, true).await?;
    let dry = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        checked.error_count == 0,
        "the generated register has errors: {:?}",
        checked.errors
    );
    let started = Instant::now();
    let report = register::import(&app, &actor, csv, Format::Csv, false).await?;
    let took = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.stored,
        "the register was not stored: {:?}",
        report.errors
    );
    Ok((dry, took))
}

/// A register of `rows` rows naming the bench's places and kinds.
pub fn register_file(rows: usize) -> Vec<u8> {
    let mut out = register::file::csv_head();
    for i in 0..rows {
        let epc = if i % 2 == 0 {
            format!("E2801160{:016X}", i)
        } else {
            String::new()
        };
        let cells = vec![
            epc,
            format!("Folding table 折叠桌 #{i}"),
            if i % 3 == 0 { "LAP" } else { "TBL" }.to_owned(),
            format!("{}.{:02}", 400 + i % 5000, i % 100),
            format!("20{:02}-{:02}-{:02}", 10 + i % 15, 1 + i % 12, 1 + i % 28),
            "other_idle".to_owned(),
            if i % 4 == 0 { "FIN" } else { "" }.to_owned(),
            if i % 10 == 0 {
                ""
            } else if i % 2 == 0 {
                "W1/A"
            } else {
                "W1/B"
            }
            .to_owned(),
            format!("ZD-{}", i % 40),
            format!("SN{i:08}"),
            "Mianyang Furniture Co., Ltd.".to_owned(),
            "purchase".to_owned(),
            "fiscal appropriation 财政拨款".to_owned(),
            format!("KP{i:08}"),
            if i % 5 == 0 {
                "96".to_owned()
            } else {
                String::new()
            },
        ];
        register::file::csv_line(&cells, &mut out);
    }
    out.into_bytes()
}
