//! `depot backup FILE` and `depot restore FILE`: the depot database as one file in
//! `pg_dump`'s custom format, from the embedded cluster or `DATABASE_URL`.
//!
//! A backup is consistent while the service runs: `pg_dump` reads one snapshot. A restore
//! goes into an empty database, or with `--force` replaces what is there, in one transaction
//! (`pg_restore`'s SQL run by `psql --single-transaction`, after the database is emptied in
//! the same transaction): a restore that fails leaves the database as it was.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use clap::Args;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::config::{Config, Overrides};
use crate::db;
use crate::db::embedded::{self, EmbeddedPostgres};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (replaced once the backup is complete).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file `depot backup` wrote.
    pub file: PathBuf,
    /// Replace the data the database holds (without it, a database that holds any is left
    /// alone).
    #[arg(long)]
    pub force: bool,
}

/// The database the configuration names, reached by PostgreSQL's own client programs.
enum Target {
    Url {
        url: String,
        password: Option<String>,
    },
    Embedded(EmbeddedPostgres),
}

impl Target {
    async fn open(config: &Config) -> anyhow::Result<Target> {
        Ok(match &config.database_url {
            Some(url) => {
                let (url, password) = split_password(url);
                Target::Url { url, password }
            }
            None => Target::Embedded(EmbeddedPostgres::start(&config.data_dir).await?),
        })
    }

    /// `program` (`pg_dump`, `pg_restore`) connected to the database.
    async fn client(&self, program: &str) -> anyhow::Result<Command> {
        Ok(match self {
            Target::Url { url, password } => {
                let bindir = embedded::client_bindir().await.with_context(|| {
                    format!("no PostgreSQL client programs found for {program} (install postgresql-client)")
                })?;
                let mut cmd = Command::new(bindir.join(program));
                cmd.arg("--dbname").arg(url);
                if let Some(p) = password {
                    cmd.env("PGPASSWORD", p);
                }
                cmd.kill_on_drop(true);
                cmd
            }
            Target::Embedded(pg) => pg.client(program),
        })
    }

    async fn pool(&self, config: &Config) -> anyhow::Result<sqlx::PgPool> {
        let options = match self {
            Target::Url { .. } => config
                .database_url
                .as_deref()
                .unwrap_or_default()
                .parse()
                .context("DATABASE_URL is not a PostgreSQL URL")?,
            Target::Embedded(pg) => pg.connect_options(),
        };
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .context("cannot open the database")
    }

    async fn close(self) -> anyhow::Result<()> {
        if let Target::Embedded(pg) = self {
            pg.stop().await?;
        }
        Ok(())
    }
}

/// A URL without its password (which would show in the process list), and the password.
fn split_password(url: &str) -> (String, Option<String>) {
    let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_owned(), None);
    };
    if at < scheme {
        return (url.to_owned(), None);
    }
    match url[scheme + 3..at].split_once(':') {
        Some((user, password)) => (
            format!("{}{user}{}", &url[..scheme + 3], &url[at..]),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            if let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a client program said on stderr, for an error.
fn stderr_of(output: &std::process::Output) -> String {
    let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if said.is_empty() {
        output.status.to_string()
    } else {
        said
    }
}

pub async fn backup(over: &Overrides, args: BackupArgs) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let target = Target::open(&config).await?;
    let result = dump(&target, &args.file).await;
    target.close().await?;
    let bytes = result?;
    crate::cli::say(&format!(
        "backed up the depot database to {} ({bytes} bytes)",
        args.file.display()
    ));
    Ok(())
}

/// `pg_dump` into a file beside `file`, renamed to it once complete.
async fn dump(target: &Target, file: &Path) -> anyhow::Result<u64> {
    let partial = file.with_extension("partial");
    let mut cmd = target.client("pg_dump").await?;
    cmd.args(["--format=custom", "--no-password"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().context("cannot run pg_dump")?;
    let mut stdout = child.stdout.take().expect("piped");
    let copied = async {
        let mut out = tokio::fs::File::create(&partial)
            .await
            .with_context(|| format!("cannot write {}", partial.display()))?;
        let n = tokio::io::copy(&mut stdout, &mut out).await?;
        out.flush().await?;
        out.sync_all().await?;
        anyhow::Ok(n)
    }
    .await;
    let output = child.wait_with_output().await?;
    let done = match (copied, output.status.success()) {
        (Ok(n), true) => Ok(n),
        (Err(e), _) => Err(e),
        (Ok(_), false) => Err(anyhow::anyhow!("pg_dump failed: {}", stderr_of(&output))),
    };
    match done {
        Ok(n) => {
            tokio::fs::rename(&partial, file)
                .await
                .with_context(|| format!("cannot write {}", file.display()))?;
            Ok(n)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(e)
        }
    }
}

pub async fn restore(over: &Overrides, args: RestoreArgs) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let target = Target::open(&config).await?;
    let result = load(&config, &target, file, args.force).await;
    target.close().await?;
    let (assets, events) = result?;
    crate::cli::say(&format!(
        "restored {} into the depot database: {assets} assets, {events} events",
        args.file.display()
    ));
    Ok(())
}

async fn load(
    config: &Config,
    target: &Target,
    file: std::fs::File,
    force: bool,
) -> anyhow::Result<(i64, i64)> {
    if let Target::Embedded(pg) = target {
        if !pg.owns() {
            anyhow::bail!(
                "a running Depot owns {}: stop it before restoring",
                config.data_dir.display()
            );
        }
    }
    let pool = target.pool(config).await?;
    let mut conn = pool.acquire().await?;
    let replace = db::backup::holds_data(&mut conn).await?;
    if replace && !force {
        anyhow::bail!(
            "the database already holds data; give --force to replace it with the backup"
        );
    }
    // pg_restore turns the file into SQL; psql runs it, after emptying the database when
    // replacing, as one transaction: committed only if pg_restore read the whole file and
    // every statement succeeded.
    let bindir = embedded::client_bindir().await.context(
        "no PostgreSQL client programs found for pg_restore (install postgresql-client)",
    )?;
    let mut restore = Command::new(bindir.join("pg_restore"));
    restore
        .args(["--no-owner", "--no-acl", "--file=-"])
        .stdin(Stdio::from(file))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut restore = restore.spawn().context("cannot run pg_restore")?;
    let mut psql = target.client("psql").await?;
    psql.args([
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set",
        "ON_ERROR_STOP=1",
        "--no-password",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut psql = psql.spawn().context("cannot run psql")?;
    let mut script = restore.stdout.take().expect("piped");
    let mut input = psql.stdin.take().expect("piped");
    let fed = async {
        if replace {
            input.write_all(db::backup::CLEAR.as_bytes()).await?;
        }
        tokio::io::copy(&mut script, &mut input).await?;
        anyhow::Ok(())
    }
    .await;
    let restored = restore.wait_with_output().await?;
    if !restored.status.success() || fed.is_err() {
        // psql commits at the end of its input: it must not see one.
        let _ = psql.start_kill();
        let _ = psql.wait().await;
        drop(input);
        return Err(match fed {
            Err(e) if restored.status.success() => e.context("psql stopped reading"),
            _ => anyhow::anyhow!("pg_restore failed: {}", stderr_of(&restored)),
        });
    }
    drop(input);
    let loaded = psql.wait_with_output().await?;
    if !loaded.status.success() {
        anyhow::bail!("restoring failed, nothing changed: {}", stderr_of(&loaded));
    }
    let tally = db::backup::tally(&mut conn)
        .await
        .context("the restored database is not Depot's")?;
    drop(conn);
    pool.close().await;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            split_password("postgres://depot:s%40cret@db.example/depot?sslmode=require"),
            (
                "postgres://depot@db.example/depot?sslmode=require".into(),
                Some("s@cret".into())
            )
        );
        assert_eq!(
            split_password("postgres://depot@localhost/postgres?host=/tmp/pg"),
            (
                "postgres://depot@localhost/postgres?host=/tmp/pg".into(),
                None
            )
        );
    }
}
