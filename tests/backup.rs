//! `depot backup` and `depot restore` as an operator runs them: a database with data and a
//! log, backed up while it is written to, restored into a fresh one — the same rows, the
//! same log, each asset's state its log's; a database that holds data is replaced only with
//! `--force`. And the embedded cluster, backed up while `depot serve` runs on it.

mod common;

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::World;
use depot::db::events::{self, Context};
use depot::domain::lifecycle::AssetAction;
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;

fn url_of(options: &PgConnectOptions, database: &str) -> String {
    format!(
        "postgres://{}@localhost/{database}?host={}",
        options.get_username(),
        options
            .get_socket()
            .expect("the test database is on a unix socket")
            .display()
    )
}

/// `depot ARGS` with `env`: whether it succeeded, and what it said.
fn depot(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_depot"));
    cmd.args(args).env("DEPOT_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// Every row of the tables that hold the business, and where the sequences stand.
async fn contents(pool: &PgPool) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for table in [
        "departments",
        "users",
        "warehouses",
        "zones",
        "categories",
        "assets",
        "loans",
        "reservations",
        "events",
        "_sqlx_migrations",
    ] {
        let rows: Value = sqlx::query_scalar(&format!(
            "select coalesce(jsonb_agg(to_jsonb(t) order by t::text), '[]') from {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((table.to_owned(), rows));
    }
    let giai: i64 = sqlx::query_scalar("select last_value from giai_asset_reference")
        .fetch_one(pool)
        .await
        .unwrap();
    out.push(("giai_asset_reference".into(), json!(giai)));
    out
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("depot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_backup_taken_while_written_restores_the_same_data_and_log(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let stock = world.stock(world.tables, 4).await;
    let loan = world.approved_loan(&stock[..2]).await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let options = pool.connect_options();
    let source = options.get_database().unwrap().to_owned();
    let url = url_of(&options, &source);
    let scratch = Scratch::new(&format!("backup-{source}"));
    let file = scratch.0.join("depot.backup");

    // While the backup runs, an asset goes to repair and back, over and over, each step its
    // own transaction: a state and its event are in the backup together or not at all.
    let stop = Arc::new(AtomicBool::new(false));
    let steps = Arc::new(AtomicU64::new(0));
    let writer = {
        let (pool, stop, steps, asset) = (pool.clone(), stop.clone(), steps.clone(), stock[3]);
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                for action in [AssetAction::SendToRepair, AssetAction::Repair] {
                    let mut tx = pool.begin().await.unwrap();
                    events::transition(&mut tx, asset, action, &Context::default())
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                    steps.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    while steps.load(Ordering::Relaxed) < 10 {
        tokio::task::yield_now().await;
    }
    let before = steps.load(Ordering::Relaxed);
    let backup = {
        let (file, url) = (file.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            depot(
                &["backup", file.to_str().unwrap()],
                &[("DATABASE_URL", &url)],
            )
        })
        .await
        .unwrap()
    };
    let during = steps.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(backup.0, "{}", backup.1);
    assert!(backup.1.contains("backed up"), "{}", backup.1);
    assert!(during > 0, "nothing was written while the backup ran");
    assert!(std::fs::metadata(&file).unwrap().len() > 0);

    // Into a fresh database beside it.
    // Named after the test's database (whose name is already as long as PostgreSQL allows).
    let fresh = format!("restored_{}", &source[source.len().saturating_sub(20)..]);
    sqlx::query(&format!("create database \"{fresh}\""))
        .execute(&pool)
        .await
        .unwrap();
    let fresh_url = url_of(&options, &fresh);
    let restore = |force: bool| {
        let (file, url) = (file.clone(), fresh_url.clone());
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["restore", file.to_str().unwrap()];
            if force {
                args.push("--force");
            }
            depot(&args, &[("DATABASE_URL", &url)])
        })
    };
    let (ok, said) = restore(false).await.unwrap();
    assert!(ok, "{said}");
    assert!(said.contains("4 assets"), "{said}");
    let restored = PgPool::connect(&fresh_url).await.unwrap();
    let world_restored = World {
        pool: restored.clone(),
        ..world
    };
    world_restored.assert_log_agrees().await;
    let (theirs, ours) = (contents(&restored).await, contents(&pool).await);
    // The source went on being written after the snapshot: its log is longer, and the
    // restored log is a prefix of it.
    for ((table, restored_rows), (_, source_rows)) in theirs.iter().zip(&ours) {
        match table.as_str() {
            "events" => {
                let (r, s) = (
                    restored_rows.as_array().unwrap(),
                    source_rows.as_array().unwrap(),
                );
                assert!(r.len() < s.len(), "the writer's later events are not in it");
                for event in r {
                    assert!(s.contains(event), "{event} is not in the source's log");
                }
            }
            "assets" => {
                // The asset in and out of repair may stand either way; the rest are equal.
                let strip = |rows: &Value| {
                    let mut rows = rows.as_array().unwrap().clone();
                    for row in &mut rows {
                        let row = row.as_object_mut().unwrap();
                        if row["id"] == json!(stock[3]) {
                            row.remove("state");
                            row.remove("updated_at");
                        }
                    }
                    rows
                };
                assert_eq!(strip(restored_rows), strip(source_rows), "{table}");
            }
            _ => assert_eq!(restored_rows, source_rows, "{table}"),
        }
    }

    // Restored again: a database that holds data is left alone, unless forced.
    sqlx::query("insert into departments (code, name) values ('NEW', 'Added after')")
        .execute(&restored)
        .await
        .unwrap();
    let (ok, said) = restore(false).await.unwrap();
    assert!(!ok, "{said}");
    assert!(said.contains("--force"), "{said}");
    let added: i64 = sqlx::query_scalar("select count(*) from departments where code = 'NEW'")
        .fetch_one(&restored)
        .await
        .unwrap();
    assert_eq!(added, 1, "a refused restore changed the database");
    restored.close().await;
    let (ok, said) = restore(true).await.unwrap();
    assert!(ok, "{said}");
    let restored = PgPool::connect(&fresh_url).await.unwrap();
    let again = contents(&restored).await;
    assert_eq!(
        again, theirs,
        "a forced restore is the backup, nothing else"
    );
    restored.close().await;
    sqlx::query(&format!("drop database \"{fresh}\" with (force)"))
        .execute(&pool)
        .await
        .unwrap();

    // A file that is no backup is refused, and says so.
    let junk = scratch.0.join("junk");
    std::fs::write(&junk, "not a dump").unwrap();
    let (ok, said) = depot(
        &["restore", junk.to_str().unwrap(), "--force"],
        &[("DATABASE_URL", &url)],
    );
    assert!(!ok && said.contains("pg_restore failed"), "{said}");
    let still: i64 = sqlx::query_scalar("select count(*) from assets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(still, 4, "a failed restore left the database changed");
}

/// Stop `depot serve` as systemd does (SIGTERM), so that it stops its cluster.
fn terminate(serve: &mut common::site::Process) {
    let pid = serve.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(serve.wait().unwrap().success());
}

#[test]
fn the_embedded_cluster_is_backed_up_while_serving_and_restored_elsewhere() {
    let scratch = Scratch::new("embedded-backup");
    let (served, other, file) = (
        scratch.0.join("a"),
        scratch.0.join("b"),
        scratch.0.join("depot.backup"),
    );
    let run = |args: &[&str], dir: &Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_depot"))
            .args(args)
            .env("DEPOT_LOG", "warn")
            .env("DEPOT_DATA_DIR", dir)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let mut serve = common::site::depot_serve();
    serve
        .env_remove("DATABASE_URL")
        .env("DEPOT_DATA_DIR", &served);
    let (mut serving, _) = common::site::spawn_serving(serve);
    let (ok, said) = run(
        &[
            "user",
            "add",
            "keeper1",
            "--role",
            "keeper",
            "--password",
            "long enough password",
        ],
        &served,
    );
    assert!(ok, "{said}");
    let (ok, said) = run(&["backup", file.to_str().unwrap()], &served);
    assert!(ok, "{said}");
    // Restoring under a running service is refused.
    let (ok, said) = run(&["restore", file.to_str().unwrap(), "--force"], &served);
    assert!(!ok && said.contains("stop it"), "{said}");
    terminate(&mut serving);

    // A new data directory: nobody there, until the backup is restored.
    let (ok, said) = run(&["token", "create", "--user", "keeper1"], &other);
    assert!(!ok, "{said}");
    let (ok, said) = run(&["restore", file.to_str().unwrap()], &other);
    assert!(
        !ok && said.contains("--force"),
        "the token attempt migrated it: {said}"
    );
    let (ok, said) = run(&["restore", file.to_str().unwrap(), "--force"], &other);
    assert!(ok, "{said}");
    let (ok, said) = run(&["token", "create", "--user", "keeper1"], &other);
    assert!(ok, "{said}");
}
