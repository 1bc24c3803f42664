//! The embedded default: a private PostgreSQL cluster in the data directory.
//!
//! Depot runs the system's own server binaries (`initdb`, `pg_ctl`), listening on a unix
//! socket inside the cluster directory only, never on TCP. initdb and postgres refuse to run
//! as root, so under root they run as the `postgres` system user, which then owns the cluster.
//!
//! One Depot process owns a data directory at a time (its pid in `depot.pid`; a pid that
//! is no longer running owns nothing). The owner starts the cluster, or adopts one
//! left running by an owner that died, stops it when done, and may [`supervise`] it: a
//! postmaster that dies is started again. A second process on the same directory (a `depot
//! user add` while the service runs) is a guest: it uses the running cluster and never stops
//! it.
//!
//! [`supervise`]: EmbeddedPostgres::supervise

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use tokio::process::Command;

/// The system user the server runs as when Depot runs as root.
const UNPRIVILEGED_USER: &str = "postgres";
/// `sun_path` is 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
const SOCKET_NAME: &str = ".s.PGSQL.5432";
pub const DATABASE: &str = "depot";
const SUPERUSER: &str = "depot";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries found (looked on PATH, via `pg_config --bindir` and under \
         /usr/lib/postgresql/*/bin). Install them with `sudo apt-get install postgresql`, or set \
         DATABASE_URL to use an existing server"
    )]
    NoServer,
    #[error(
        "Depot runs as root, and PostgreSQL refuses to; it needs the unprivileged system user \
         `{UNPRIVILEGED_USER}` (created by `apt-get install postgresql`), or run Depot as a normal user"
    )]
    NoUnprivilegedUser,
    #[error(
        "the `{UNPRIVILEGED_USER}` user cannot reach {0}: choose a --data-dir it can enter (for example \
         /var/lib/depot) or let it through with `chmod o+x` on the parent directories"
    )]
    Unreachable(PathBuf),
    #[error("the socket path {0} is too long for a unix socket ({MAX_SOCKET_PATH} bytes at most): choose a shorter --data-dir")]
    SocketPathTooLong(PathBuf),
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A running private cluster. Call [`EmbeddedPostgres::stop`] on shutdown.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    server: Server,
    /// The data directory's pid file, while this process owns the cluster; `None`: a guest.
    owner: Option<PathBuf>,
}

/// How to run the cluster's server binaries.
#[derive(Debug, Clone)]
struct Server {
    bindir: PathBuf,
    cluster: PathBuf,
    run_as: Option<&'static str>,
}

/// The supervisor looks at the postmaster this often ...
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// ... and starts a dead one again after a backoff from 1 s doubling up to this.
const RESTART_BACKOFF_MAX: Duration = Duration::from_secs(30);

impl EmbeddedPostgres {
    /// Create the cluster if it does not exist yet, and start it unless it is running.
    pub async fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let bindir = find_bindir().await.ok_or(EmbeddedError::NoServer)?;
        std::fs::create_dir_all(data_dir)?;
        let data_dir = std::fs::canonicalize(data_dir)?;
        let cluster = data_dir.join("postgres");
        let socket = cluster.join(SOCKET_NAME);
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedError::SocketPathTooLong(socket));
        }
        let run_as = if running_as_root() {
            if !user_exists(UNPRIVILEGED_USER).await {
                return Err(EmbeddedError::NoUnprivilegedUser);
            }
            Some(UNPRIVILEGED_USER)
        } else {
            None
        };
        let owner = claim(&data_dir)?;
        let server = Server {
            bindir,
            cluster,
            run_as,
        };
        if owner.is_some() {
            server.init().await?;
        }
        server.ensure_running(owner.is_some()).await?;
        if owner.is_none() {
            tracing::info!(cluster = %server.cluster.display(), "another Depot owns this data directory: using its PostgreSQL, which it will stop");
        }
        Ok(EmbeddedPostgres { server, owner })
    }

    /// How to connect to the `depot` database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.server.connect_options_for(DATABASE)
    }

    pub fn cluster_dir(&self) -> &Path {
        &self.server.cluster
    }

    /// A client program of the cluster's own version (`pg_dump`, `pg_restore`, `psql`) bound
    /// to the `depot` database over the cluster's socket, run as the server's user. Its files
    /// travel through its stdin and stdout, which Depot reads and writes itself: the server's
    /// user need not reach them.
    pub fn client(&self, program: &str) -> Command {
        let mut cmd = self.server.command(program);
        cmd.arg("--host").arg(&self.server.cluster).args([
            "--username",
            SUPERUSER,
            "--dbname",
            DATABASE,
        ]);
        cmd.kill_on_drop(true);
        cmd
    }

    /// Whether this process owns the cluster (and so stops it).
    pub fn owns(&self) -> bool {
        self.owner.is_some()
    }

    /// Watch the postmaster and start it again when it dies, with a backoff, logging what
    /// happened; queued facts wait in the meantime (see `ingest`). Only the owner does
    /// this; abort the task before [`EmbeddedPostgres::stop`].
    pub fn supervise(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.owner.as_ref()?;
        let server = self.server.clone();
        Some(tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                tokio::time::sleep(WATCH_EVERY).await;
                if server.is_running().await {
                    backoff = Duration::from_secs(1);
                    continue;
                }
                tracing::warn!(cluster = %server.cluster.display(), "the private PostgreSQL is not running; starting it again");
                match server.start().await {
                    Ok(()) => tracing::info!("private PostgreSQL started again"),
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in_s = backoff.as_secs(), "could not start the private PostgreSQL");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(RESTART_BACKOFF_MAX);
                    }
                }
            }
        }))
    }

    /// Stop the server if this process owns it (fast shutdown: sessions end, data is safe).
    pub async fn stop(self) -> Result<(), EmbeddedError> {
        if self.owner.is_none() {
            return Ok(());
        }
        let mut stop = self.server.command("pg_ctl");
        stop.arg("stop")
            .arg("-w")
            .arg("-m")
            .arg("fast")
            .arg("-D")
            .arg(&self.server.cluster);
        run("stopping PostgreSQL", &mut stop).await?;
        tracing::info!("private PostgreSQL stopped");
        Ok(())
    }
}

impl Server {
    async fn init(&self) -> Result<(), EmbeddedError> {
        if self.cluster.join("PG_VERSION").exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.cluster)?;
        if let Some(user) = self.run_as {
            run(
                "chown",
                Command::new("chown")
                    .arg(format!("{user}:"))
                    .arg(&self.cluster),
            )
            .await?;
            if !run_quiet(
                Command::new("runuser")
                    .args(["-u", user, "--", "test", "-w"])
                    .arg(&self.cluster),
            )
            .await
            {
                return Err(EmbeddedError::Unreachable(self.cluster.clone()));
            }
        }
        tracing::info!(cluster = %self.cluster.display(), "creating the private PostgreSQL cluster");
        let mut cmd = self.command("initdb");
        cmd.arg("-D").arg(&self.cluster).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]);
        run("initdb", &mut cmd).await?;
        Ok(())
    }

    async fn is_running(&self) -> bool {
        let mut status = self.command("pg_ctl");
        status.arg("status").arg("-D").arg(&self.cluster);
        run_quiet(&mut status).await
    }

    /// Start the server unless it runs; the owner adopts one left running (its owner died
    /// without stopping it), a guest only uses it.
    async fn ensure_running(&self, owner: bool) -> Result<(), EmbeddedError> {
        if self.is_running().await {
            if owner {
                tracing::info!(cluster = %self.cluster.display(), "adopting the private PostgreSQL left running by a Depot that did not stop it");
            }
            return self.create_database().await;
        }
        if !owner {
            // The owner is starting it, or stopping it: a guest does not race it.
            return Err(EmbeddedError::Command {
                what: "using the private PostgreSQL".into(),
                detail: "another Depot owns this data directory and its PostgreSQL is not running"
                    .into(),
            });
        }
        self.start().await?;
        tracing::info!(cluster = %self.cluster.display(), "private PostgreSQL started");
        self.create_database().await
    }

    async fn start(&self) -> Result<(), EmbeddedError> {
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0770",
            self.cluster.display()
        );
        let log = self.cluster.join("server.log");
        let mut start = self.command("pg_ctl");
        start
            .arg("start")
            .arg("-w")
            .arg("-D")
            .arg(&self.cluster)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(options);
        run(
            "starting PostgreSQL (see its log in the cluster directory)",
            &mut start,
        )
        .await?;
        Ok(())
    }

    async fn create_database(&self) -> Result<(), EmbeddedError> {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = self
            .connect_options_for("postgres")
            .connect()
            .await
            .map_err(|e| EmbeddedError::Command {
                what: "connecting to the private PostgreSQL".into(),
                detail: e.to_string(),
            })?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await
                .map_err(|e| EmbeddedError::Command {
                    what: "looking up the depot database".into(),
                    detail: e.to_string(),
                })?;
        if !exists {
            sqlx::query(&format!("create database {DATABASE}"))
                .execute(&mut conn)
                .await
                .map_err(|e| EmbeddedError::Command {
                    what: "creating the depot database".into(),
                    detail: e.to_string(),
                })?;
        }
        let _ = conn.close().await;
        Ok(())
    }

    fn connect_options_for(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.cluster)
            .username(SUPERUSER)
            .database(database)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        let mut cmd = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        // The server must not die with Depot's terminal: it is stopped explicitly.
        cmd.process_group(0).kill_on_drop(false);
        cmd
    }
}

async fn run(what: &str, cmd: &mut Command) -> Result<Output, EmbeddedError> {
    let out = cmd.output().await.map_err(|e| EmbeddedError::Command {
        what: what.into(),
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        let detail = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let detail = if detail.is_empty() {
            out.status.to_string()
        } else {
            detail
        };
        return Err(EmbeddedError::Command {
            what: what.into(),
            detail,
        });
    }
    Ok(out)
}

async fn run_quiet(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    matches!(cmd.status().await, Ok(s) if s.success())
}

impl Drop for EmbeddedPostgres {
    /// Let go of the data directory (a process that dies lets go by dying).
    fn drop(&mut self) {
        if let Some(pid_file) = &self.owner {
            let _ = std::fs::remove_file(pid_file);
        }
    }
}

/// Claim the data directory for this process: its pid file, or `None` if a running process
/// (possibly this one, through another handle) owns it.
fn claim(data_dir: &Path) -> std::io::Result<Option<PathBuf>> {
    let pid_file = data_dir.join("depot.pid");
    let owner = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok());
    if owner.is_some_and(running) {
        return Ok(None);
    }
    std::fs::write(&pid_file, format!("{}\n", std::process::id()))?;
    Ok(Some(pid_file))
}

/// Whether process `pid` runs (a zombie that nobody reaped yet does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_owned();
            Some(!matches!(state.as_str(), "Z" | "X"))
        })
        .unwrap_or(false)
}

/// The effective uid, from /proc (no libc call needed).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

async fn user_exists(name: &str) -> bool {
    run_quiet(Command::new("id").arg("-u").arg(name)).await
}

/// Where the newest PostgreSQL programs are (`pg_dump` there reads any older server).
pub async fn client_bindir() -> Option<PathBuf> {
    find_bindir().await
}

/// PATH first, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
async fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server(&dir) {
                // Debian links initdb into PATH; pg_ctl must sit beside the real binary.
                let real = std::fs::canonicalize(dir.join("initdb")).ok()?;
                let real_dir = real.parent()?.to_path_buf();
                return Some(if has_server(&real_dir) { real_dir } else { dir });
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output().await {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}
