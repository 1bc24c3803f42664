//! `depot serve`, `depot migrate`, `depot user add`, `depot token create`.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;

use crate::app::people::{insert_user, NewUser};
use crate::app::App;
use crate::auth::{self, Role};
use crate::config::{Config, Overrides};
use crate::db::{self, embedded::EmbeddedPostgres};
use crate::domain::bounds::{NewPassword, OutOfBounds, Text};
use crate::ingest::{self, Ingest};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "DEPOT_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Seed a small demo world (departments, users with password `demo`, assets, orders in
    /// every state) if the database has no users yet.
    #[arg(long)]
    pub demo: bool,
    /// This instance's name among those on the same database (1–50 of letters, digits,
    /// `.`, `_`, `-`) [default: the host's name and the process id]
    #[arg(long, env = "DEPOT_INSTANCE")]
    pub instance: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        username: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Department code (required for requesters).
        #[arg(long)]
        department: Option<String>,
        /// Name shown in the pages [default: the username]
        #[arg(long)]
        display_name: Option<String>,
        /// Where notifications are e-mailed (needs the SMTP settings)
        #[arg(long)]
        email: Option<String>,
        /// Password, at least 10 characters; read from the DEPOT_PASSWORD environment
        /// variable if not given.
        #[arg(long, env = "DEPOT_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (it is shown only once).
    Create {
        /// Whose token it is.
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "gate reader bridge".
        #[arg(long, default_value = "api")]
        name: String,
        /// Expire after this many days (1 to 3650) [default: `token_days` of the
        /// configuration, 90]
        #[arg(long)]
        days: Option<i64>,
    },
}

/// A database for the command's lifetime: the configured one, or the embedded cluster.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
    /// The task that starts a dead embedded postmaster again (the service only).
    watch: Option<tokio::task::JoinHandle<()>>,
}

impl Database {
    /// The database, its schema brought up to date; a tool's statements (seeding,
    /// replays, benchmarks) are not bounded in time.
    pub async fn open(config: &Config) -> anyhow::Result<Database> {
        Self::open_with(config, true, None).await
    }

    /// The server only, its database left as it is: for a benchmark that makes and drops
    /// scratch databases beside it (and must not put Depot's schema into, say, a shared
    /// cluster's `postgres` database).
    pub async fn open_server(config: &Config) -> anyhow::Result<Database> {
        Self::open_with(config, false, None).await
    }

    /// `migrate`: bring the schema up to date first; `statement_timeout`: bound each
    /// statement of the pool (the service's `statement_timeout_s`).
    async fn open_with(
        config: &Config,
        migrate: bool,
        statement_timeout: Option<std::time::Duration>,
    ) -> anyhow::Result<Database> {
        let (options, embedded) = match &config.database_url {
            Some(url) => (
                url.parse::<PgConnectOptions>()
                    .context("DATABASE_URL is not a PostgreSQL URL")?,
                None,
            ),
            None => {
                let pg = EmbeddedPostgres::start(&config.data_dir).await?;
                (pg.connect_options(), Some(pg))
            }
        };
        let pool = if migrate {
            db::connect(options, statement_timeout, config.time_zone).await
        } else {
            db::pool_options(config.time_zone)
                .connect_with(options)
                .await
        };
        let pool = match pool {
            Ok(pool) => pool,
            Err(e) => {
                if let Some(pg) = embedded {
                    let _ = pg.stop().await;
                }
                return Err(e).context("cannot open the database");
            }
        };
        Ok(Database {
            pool,
            embedded,
            watch: None,
        })
    }

    /// Keep the embedded cluster running: a postmaster that dies is started again.
    pub fn supervise(&mut self) {
        self.watch = self.embedded.as_ref().and_then(|pg| pg.supervise());
    }

    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(watch) = &self.watch {
            watch.abort();
        }
        self.pool.close().await;
        if let Some(pg) = self.embedded {
            pg.stop().await?;
        }
        Ok(())
    }
}

pub async fn serve(over: &Overrides, args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(over, args.listen)?;
    tracing::info!(?config, "starting");
    let timeout = std::time::Duration::from_secs(config.statement_timeout_s);
    let mut database = Database::open_with(&config, true, Some(timeout)).await?;
    database.supervise();
    if let Some(name) = &args.instance {
        anyhow::ensure!(
            ingest::claim::Instance::valid_name(name),
            "--instance {name:?}: 1 to 50 of ASCII letters, digits, '.', '_' and '-'"
        );
    }
    let instance = ingest::claim::Instance::new(args.instance);
    let result = run_server(&database, config, args.demo, instance).await;
    database.close().await?;
    result
}

async fn run_server(
    database: &Database,
    config: Config,
    demo: bool,
    instance: ingest::claim::Instance,
) -> anyhow::Result<()> {
    if demo {
        crate::demo::seed(&database.pool, &config)
            .await
            .context("seeding the demo")?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    if !config.readers.is_empty() || !config.gates.is_empty() {
        let mut tx = database.pool.begin().await?;
        crate::db::readers::apply_config(&mut tx, &config.readers, &config.gates)
            .await
            .map_err(|e| anyhow::anyhow!("readers and gates in the configuration file: {e}"))?;
        tx.commit().await?;
    }
    let options = ingest::Options {
        clock_skew: std::time::Duration::from_secs(config.clock_skew_s),
        reader_backoff_max: std::time::Duration::from_secs(config.reader_backoff_max_s),
        instance,
        ..ingest::Options::default()
    };
    let ingest = Ingest::start(database.pool.clone(), options)
        .await
        .context("starting the reader pipeline")?;
    crate::cli::say(&format!("Depot is serving on http://{addr}"));
    let app = App::new(database.pool.clone(), config).with_ingest(ingest.clone());
    let lending = demo.then(|| tokio::spawn(crate::demo::keep_lending(app.clone())));
    let served = crate::server::serve(listener, app, shutdown_signal()).await;
    if let Some(lending) = lending {
        lending.abort();
    }
    tracing::info!("stopped serving; storing the last facts");
    ingest.shutdown().await;
    Ok(served?)
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

pub async fn migrate(over: &Overrides) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let database = Database::open(&config).await?;
    crate::cli::say("the database schema is up to date");
    database.close().await
}

pub async fn user(over: &Overrides, cmd: UserCommand) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let database = Database::open(&config).await?;
    let result = async {
        let UserCommand::Add {
            username,
            role,
            department,
            display_name,
            email,
            password,
        } = cmd;
        let mut conn = database.pool.acquire().await?;
        let department_id = match &department {
            Some(code) => Some(
                db::people::department_by_code(&mut conn, code)
                    .await?
                    .with_context(|| format!("no department with code {code:?}"))?,
            ),
            None => None,
        };
        let bounded = |what: &str, e: OutOfBounds| anyhow::anyhow!("{what}: {e}");
        let body = NewUser {
            username: Text::parse(username).map_err(|e| bounded("username", e))?,
            display_name: display_name
                .map(Text::parse)
                .transpose()
                .map_err(|e| bounded("--display-name", e))?,
            password: NewPassword::parse(password).map_err(|e| bounded("--password", e))?,
            role,
            department_id,
            email: crate::domain::bounds::Email::parse(email.unwrap_or_default())
                .map_err(|e| bounded("--email", e))?,
        };
        let user = insert_user(&mut conn, &body)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "created user {} ({:?}) with id {}",
            user.username, user.role, user.id
        );
        anyhow::Ok(())
    }
    .await;
    database.close().await?;
    result
}

pub async fn token(over: &Overrides, cmd: TokenCommand) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let database = Database::open(&config).await?;
    let TokenCommand::Create { user, name, days } = cmd;
    let days = days.unwrap_or(config.token_days);
    let result = async {
        if !(1..=crate::config::MAX_TOKEN_DAYS).contains(&days) {
            anyhow::bail!(
                "--days is 1 to {}: every token expires",
                crate::config::MAX_TOKEN_DAYS
            );
        }
        let name = Text::parse(name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
        let mut conn = database.pool.acquire().await?;
        let token = auth::create_api_token(&mut conn, &user, &name, Some(days)).await?;
        println!("{token}");
        anyhow::Ok(())
    }
    .await;
    database.close().await?;
    result
}
