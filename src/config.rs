//! Configuration, layered: built-in defaults, then a TOML file (`--config`), then the
//! environment and command-line flags. `Debug` never prints secrets.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::bounds::Text;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./depot-data";
/// A GS1 company prefix in the range GS1 China hands out (690–699); set your own.
pub const DEFAULT_COMPANY_PREFIX: &str = "6901234";
pub const DEFAULT_SESSION_HOURS: i64 = 12;
/// API tokens expire after this many days unless `depot token create --days` says otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
pub const DEFAULT_CLOCK_SKEW_S: u64 = crate::ingest::DEFAULT_CLOCK_SKEW.as_secs();
pub const DEFAULT_READER_BACKOFF_MAX_S: u64 = depot_readers::Backoff::DEFAULT_MAX.as_secs();
/// A statement the service sends PostgreSQL is cancelled after this many seconds.
pub const DEFAULT_STATEMENT_TIMEOUT_S: u64 = 30;
/// A statement of an export (a CSV or a workbook streamed from a cursor) is cancelled after
/// this many seconds: exports read whole tables, a page never does.
pub const DEFAULT_EXPORT_TIMEOUT_S: u64 = 300;
/// The longest an API token may last: ten years.
pub const MAX_TOKEN_DAYS: i64 = 3650;
/// The notifier looks for what to tell, and sends e-mail, this many seconds apart.
pub const DEFAULT_NOTIFY_EVERY_S: u64 = 60;
pub const DEFAULT_SMTP_PORT: u16 = 25;
/// A label printer's raw port (Zebra's "port 9100" printing).
pub const DEFAULT_PRINTER_PORT: u16 = 9100;

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: run the embedded PostgreSQL cluster under `data_dir`.
    pub database_url: Option<String>,
    /// GS1 company prefix for the GIAI-96 EPCs of new assets (6–12 digits).
    pub company_prefix: String,
    pub session_hours: i64,
    /// Days until a new API token expires, by default.
    pub token_days: i64,
    /// Mark cookies `Secure` (sent over HTTPS only): set when Depot is served over HTTPS,
    /// e.g. behind a TLS-terminating proxy.
    pub secure_cookies: bool,
    /// A header in which a trusted reverse proxy passes the client's address (e.g.
    /// `X-Real-IP`); the right-most address in it is used. Unset: the peer's address.
    pub client_ip_header: Option<String>,
    /// Reads dated more than this many seconds ahead of this host's clock are refused
    /// (default 300): one read from a handheld whose clock says 2100 must not move the
    /// inventory engine's clock there.
    pub clock_skew_s: u64,
    /// A reader whose link failed is tried again at most this many seconds apart (default
    /// 5; backoff from 0.5 s with jitter).
    pub reader_backoff_max_s: u64,
    /// The service's statements run at most this many seconds (default 30; 0: no limit):
    /// PostgreSQL cancels one that runs longer and the request is answered 503, so one slow
    /// report cannot hold a connection, or shutdown, for minutes.
    pub statement_timeout_s: u64,
    /// An export's statements (its cursor's declaration and each fetch of 1,000 rows) run at
    /// most this many seconds instead (default 300; 0: no limit): set for the export's own
    /// transaction, so pages and the API keep `statement_timeout_s`.
    pub export_timeout_s: u64,
    /// Readers and gates from the configuration file, applied to the database at start.
    pub readers: Vec<ReaderEntry>,
    pub gates: Vec<GateEntry>,
    /// Label printers from the configuration file (`[[printers]]`), by name.
    pub printers: Vec<Printer>,
    /// The desk reader the keeper writes new tags on at intake (`tag_writer`, e.g.
    /// `llrp://10.0.0.30`, `uhf18:///dev/ttyUSB0` or `r2000+tcp://10.0.0.31:4001`): one tag
    /// at a time on its antenna. Not one of the `readers` Depot keeps connected (a reader
    /// takes one client at a time).
    pub tag_writer: Option<String>,
    /// Where notifications are e-mailed from; `None`: the inbox only, no e-mail.
    pub smtp: Option<Smtp>,
    /// The notifier runs this many seconds apart (default 60; 1 to 3600).
    pub notify_every_s: u64,
    /// The time limits per order status (限时办结).
    pub deadlines: crate::domain::deadlines::Limits,
    /// `[approvals]`: which loans the finance approver signs off after the depot.
    pub approvals: crate::domain::approvals::Chain,
    /// The depot's time zone (default Asia/Shanghai, UTC+08:00), kept as its UTC offset: pages
    /// show times in it, and its calendar says when a loan is late.
    pub time_zone: chrono::FixedOffset,
    /// The depot's public address (`http://…` or `https://…`, no query): EPCIS names its
    /// zones `{base_url}/zones/{id}` unless a GLN is configured. Default: `http://{listen}`.
    pub base_url: String,
    /// The depot's GS1 Global Location Number (13 digits, beginning with the company
    /// prefix): EPCIS names its zones as SGLNs of it, the zone's id as the extension.
    pub gln: Option<String>,
}

/// Beijing time, UTC+08:00 (China keeps no summer time).
pub fn default_time_zone() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// Time zones by their tz database name that keep one offset all year (no summer time), in
/// minutes east of UTC: a depot names its zone, and its clocks never jump.
const FIXED_ZONES: &[(&str, i32)] = &[
    ("Asia/Shanghai", 480),
    ("Asia/Chongqing", 480),
    ("Asia/Chungking", 480),
    ("Asia/Harbin", 480),
    ("PRC", 480),
    ("Asia/Urumqi", 360),
    ("Asia/Kashgar", 360),
    ("Asia/Hong_Kong", 480),
    ("Hongkong", 480),
    ("Asia/Macau", 480),
    ("Asia/Macao", 480),
    ("Asia/Taipei", 480),
    ("Asia/Singapore", 480),
    ("Asia/Kuala_Lumpur", 480),
    ("Asia/Manila", 480),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("Asia/Kolkata", 330),
    ("Asia/Calcutta", 330),
    ("Asia/Bangkok", 420),
    ("Asia/Ho_Chi_Minh", 420),
    ("Asia/Jakarta", 420),
    ("Asia/Dubai", 240),
    ("Etc/UTC", 0),
    ("Etc/GMT", 0),
    ("GMT", 0),
];

/// The depot's time zone as the configuration writes it: a UTC offset (`+08:00`, `-05:00`,
/// `+0530`, `UTC`) or the tz database name of a zone without summer time (`Asia/Shanghai`).
pub fn parse_time_zone(text: &str) -> Result<chrono::FixedOffset, ConfigError> {
    let bad = || {
        ConfigError::Invalid(format!(
            "time_zone: {text:?} is neither a UTC offset such as \"+08:00\" nor the name of a \
             zone that keeps no summer time such as \"Asia/Shanghai\" (for a zone with summer \
             time, give the offset the depot keeps)"
        ))
    };
    let t = text.trim();
    if t.eq_ignore_ascii_case("utc") || t == "Z" {
        return Ok(chrono::FixedOffset::east_opt(0).expect("zero"));
    }
    if let Some((_, minutes)) = FIXED_ZONES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(t))
    {
        return Ok(chrono::FixedOffset::east_opt(minutes * 60).expect("a valid offset"));
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i32, i32) = (
        digits[..2].parse().map_err(|_| bad())?,
        digits[2..].parse().map_err(|_| bad())?,
    );
    if h > 14 || m > 59 {
        return Err(bad());
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

/// An SMTP relay that takes mail from Depot without TLS or a password (a relay on the
/// host or the local network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    /// The sender, `depot@example.org` or `公物仓 <depot@example.org>`.
    pub from: String,
}

/// `[[readers]]` in the configuration file. Zones are named `WAREHOUSE/ZONE` by their codes.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReaderEntry {
    pub name: Text,
    pub address: Text,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Antenna port → zone, e.g. `{ 1 = "W1/GIN", 3 = "W1/GOUT" }`.
    #[serde(default)]
    pub antennas: std::collections::BTreeMap<String, String>,
}

fn enabled() -> bool {
    true
}

/// `[[printers]]` in the configuration file: a ZPL label printer taking raw TCP.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PrinterEntry {
    pub name: Text,
    /// `host:port`, or `host` for port 9100.
    pub address: Text,
}

/// A label printer, its address checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printer {
    pub name: String,
    pub host: String,
    pub port: u16,
}

impl Printer {
    fn from_entry(entry: &PrinterEntry) -> Result<Printer, ConfigError> {
        let name = entry.name.trim().to_owned();
        let bad = |why: &str| {
            ConfigError::Invalid(format!(
                "printers: {name:?} has address {:?}: {why}",
                entry.address.as_str()
            ))
        };
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ConfigError::Invalid(
                "printers: a printer needs a name of 1 to 100 characters".into(),
            ));
        }
        let address = entry.address.trim();
        let (host, port) = match address.rsplit_once(':') {
            // A bare IPv6 address has colons but no port.
            Some((host, port)) if !host.contains(':') || host.starts_with('[') => {
                let port = port
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port must be 1 to 65535"))?;
                (host, port)
            }
            _ => (address, DEFAULT_PRINTER_PORT),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad("give host:port, e.g. 10.0.0.20:9100"));
        }
        Ok(Printer {
            name,
            host: host.to_owned(),
            port,
        })
    }
}

/// The printers, each name once.
fn printers(entries: &[PrinterEntry]) -> Result<Vec<Printer>, ConfigError> {
    let mut printers: Vec<Printer> = Vec::with_capacity(entries.len());
    for entry in entries {
        let printer = Printer::from_entry(entry)?;
        if printers.iter().any(|p| p.name == printer.name) {
            return Err(ConfigError::Invalid(format!(
                "printers: {:?} is named twice",
                printer.name
            )));
        }
        printers.push(printer);
    }
    Ok(printers)
}

/// The tag writer's address, checked: any reader tags are written through (LLRP, UHFReader18,
/// R2000), but not a UHFReader18 in active mode, which answers no tag command.
fn tag_writer(address: Option<String>) -> Result<Option<String>, ConfigError> {
    let Some(address) = address
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
    else {
        return Ok(None);
    };
    match address.parse::<depot_readers::ReaderAddress>() {
        Ok(depot_readers::ReaderAddress::Uhf18 { active: true, .. }) => {
            Err(ConfigError::Invalid(format!(
                "tag_writer: {address:?} is a UHFReader18 in active mode, which writes no tag: set the reader to answer mode and drop mode=active"
            )))
        }
        Ok(_) => Ok(Some(address)),
        Err(e) => Err(ConfigError::Invalid(format!("tag_writer: {address:?}: {e}"))),
    }
}

/// `[[gates]]` in the configuration file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GateEntry {
    pub name: Text,
    pub inside: String,
    pub outside: String,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|u| redact_url(u)),
            )
            .field("company_prefix", &self.company_prefix)
            .field("session_hours", &self.session_hours)
            .field("token_days", &self.token_days)
            .field("secure_cookies", &self.secure_cookies)
            .field("client_ip_header", &self.client_ip_header)
            .field("clock_skew_s", &self.clock_skew_s)
            .field("reader_backoff_max_s", &self.reader_backoff_max_s)
            .field("statement_timeout_s", &self.statement_timeout_s)
            .field("export_timeout_s", &self.export_timeout_s)
            .field("readers", &self.readers.len())
            .field("gates", &self.gates.len())
            .field("printers", &self.printers)
            .field("tag_writer", &self.tag_writer)
            .field("smtp", &self.smtp)
            .field("notify_every_s", &self.notify_every_s)
            .field("deadlines", &self.deadlines)
            .field("approvals", &self.approvals)
            .field("time_zone", &self.time_zone)
            .field("base_url", &self.base_url)
            .field("gln", &self.gln)
            .finish()
    }
}

/// Hide the password in a connection URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The file layer: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub company_prefix: Option<String>,
    pub session_hours: Option<i64>,
    pub token_days: Option<i64>,
    pub secure_cookies: Option<bool>,
    pub client_ip_header: Option<String>,
    pub clock_skew_s: Option<u64>,
    pub reader_backoff_max_s: Option<u64>,
    pub statement_timeout_s: Option<u64>,
    pub export_timeout_s: Option<u64>,
    #[serde(default)]
    pub readers: Vec<ReaderEntry>,
    #[serde(default)]
    pub gates: Vec<GateEntry>,
    #[serde(default)]
    pub printers: Vec<PrinterEntry>,
    pub tag_writer: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_from: Option<String>,
    pub notify_every_s: Option<u64>,
    /// `[deadlines]`: working days per `KIND_STATUS`, e.g. `loan_requested = 2`.
    #[serde(default)]
    pub deadlines: std::collections::BTreeMap<String, i64>,
    #[serde(default)]
    pub approvals: ApprovalsFile,
    /// The depot's UTC offset, e.g. `"+08:00"` (the default).
    pub time_zone: Option<String>,
    pub base_url: Option<String>,
    pub gln: Option<String>,
}

/// `[approvals]`: a loan whose reserved assets are worth `finance_from_yuan` or more, or
/// that lasts more than `finance_over_days` days, also needs the finance approver.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsFile {
    pub finance_from_yuan: Option<i64>,
    pub finance_over_days: Option<i64>,
}

impl ApprovalsFile {
    fn chain(&self) -> Result<crate::domain::approvals::Chain, ConfigError> {
        let defaults = crate::domain::approvals::Chain::default();
        let yuan = self
            .finance_from_yuan
            .unwrap_or(defaults.finance_from_fen / 100);
        let days = self.finance_over_days.unwrap_or(defaults.finance_over_days);
        if !(0..=1_000_000_000_000).contains(&yuan) {
            return Err(ConfigError::Invalid(format!(
                "approvals.finance_from_yuan: {yuan} is not between 0 and 1000000000000"
            )));
        }
        if !(0..=3660).contains(&days) {
            return Err(ConfigError::Invalid(format!(
                "approvals.finance_over_days: {days} is not between 0 and 3660"
            )));
        }
        Ok(crate::domain::approvals::Chain {
            finance_from_fen: yuan * 100,
            finance_over_days: days,
        })
    }
}

/// The flag and environment layer (clap reads both).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Configuration file (TOML); flags and environment win over it.
    #[arg(long, env = "DEPOT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Where Depot keeps its data, including the embedded PostgreSQL cluster [default: ./depot-data]
    #[arg(long, env = "DEPOT_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL to use; unset: Depot runs a private cluster in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// GS1 company prefix for new assets' GIAI-96 EPCs [default: 6901234]
    #[arg(long, env = "DEPOT_COMPANY_PREFIX", global = true)]
    pub company_prefix: Option<String>,
    /// SMTP relay to e-mail notifications through (no TLS, no password); unset: no e-mail
    #[arg(long, env = "DEPOT_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// The SMTP relay's port [default: 25]
    #[arg(long, env = "DEPOT_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    /// The sender of notification e-mail, e.g. "depot@example.org"
    #[arg(long, env = "DEPOT_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    pub fn load(over: &Overrides, listen: Option<SocketAddr>) -> Result<Config, ConfigError> {
        let file = match &over.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let listen = listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"));
        let config = Config {
            listen,
            data_dir: over
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
            database_url: over
                .database_url
                .clone()
                .or(file.database_url)
                .filter(|u| !u.trim().is_empty()),
            company_prefix: over
                .company_prefix
                .clone()
                .or(file.company_prefix)
                .unwrap_or_else(|| DEFAULT_COMPANY_PREFIX.into()),
            session_hours: file.session_hours.unwrap_or(DEFAULT_SESSION_HOURS),
            token_days: file.token_days.unwrap_or(DEFAULT_TOKEN_DAYS),
            secure_cookies: file.secure_cookies.unwrap_or(false),
            client_ip_header: file.client_ip_header.filter(|h| !h.trim().is_empty()),
            clock_skew_s: file.clock_skew_s.unwrap_or(DEFAULT_CLOCK_SKEW_S),
            reader_backoff_max_s: file
                .reader_backoff_max_s
                .unwrap_or(DEFAULT_READER_BACKOFF_MAX_S),
            statement_timeout_s: file
                .statement_timeout_s
                .unwrap_or(DEFAULT_STATEMENT_TIMEOUT_S),
            export_timeout_s: file.export_timeout_s.unwrap_or(DEFAULT_EXPORT_TIMEOUT_S),
            readers: file.readers,
            gates: file.gates,
            printers: printers(&file.printers)?,
            tag_writer: tag_writer(file.tag_writer)?,
            smtp: smtp(
                over.smtp_host.clone().or(file.smtp_host),
                over.smtp_port.or(file.smtp_port),
                over.smtp_from.clone().or(file.smtp_from),
            )?,
            notify_every_s: file.notify_every_s.unwrap_or(DEFAULT_NOTIFY_EVERY_S),
            deadlines: crate::domain::deadlines::Limits::with(
                file.deadlines.iter().map(|(k, v)| (k.as_str(), *v)),
            )
            .map_err(ConfigError::Invalid)?,
            approvals: file.approvals.chain()?,
            time_zone: match &file.time_zone {
                Some(t) => parse_time_zone(t)?,
                None => default_time_zone(),
            },
            base_url: file
                .base_url
                .map(|b| b.trim().trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("http://{listen}")),
            gln: file
                .gln
                .map(|g| g.trim().to_owned())
                .filter(|g| !g.is_empty()),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let cp = &self.company_prefix;
        if !(6..=12).contains(&cp.len()) || !cp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid(format!(
                "company_prefix must be 6 to 12 digits, got {cp:?}"
            )));
        }
        if !(1..=24 * 366).contains(&self.session_hours) {
            return Err(ConfigError::Invalid(
                "session_hours must be 1 to 8784 (a year)".into(),
            ));
        }
        if !(1..=MAX_TOKEN_DAYS).contains(&self.token_days) {
            return Err(ConfigError::Invalid(format!(
                "token_days must be 1 to {MAX_TOKEN_DAYS}"
            )));
        }
        if !(1..=86_400).contains(&self.clock_skew_s) {
            return Err(ConfigError::Invalid(
                "clock_skew_s must be 1 to 86400 (a day)".into(),
            ));
        }
        if !(1..=300).contains(&self.reader_backoff_max_s) {
            return Err(ConfigError::Invalid(
                "reader_backoff_max_s must be 1 to 300".into(),
            ));
        }
        if self.statement_timeout_s > 3_600 {
            return Err(ConfigError::Invalid(
                "statement_timeout_s must be 0 (no limit) to 3600 (an hour)".into(),
            ));
        }
        if self.export_timeout_s > 3_600 {
            return Err(ConfigError::Invalid(
                "export_timeout_s must be 0 (no limit) to 3600 (an hour)".into(),
            ));
        }
        if !(1..=3_600).contains(&self.notify_every_s) {
            return Err(ConfigError::Invalid(
                "notify_every_s must be 1 to 3600 (an hour)".into(),
            ));
        }
        let base = &self.base_url;
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        if !scheme_ok
            || base.len() > 200
            || base
                .split_once("://")
                .is_none_or(|(_, rest)| rest.is_empty())
            || base
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'))
        {
            return Err(ConfigError::Invalid(format!(
                "base_url {base:?} is not an http:// or https:// address without query (at most 200 characters)"
            )));
        }
        if let Some(gln) = &self.gln {
            if crate::domain::epcis::gln_locations(gln, &self.company_prefix).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "gln {gln:?} is not 13 digits with a right check digit beginning with the company prefix {}",
                    self.company_prefix
                )));
            }
        }
        if let Some(h) = &self.client_ip_header {
            if axum::http::HeaderName::from_bytes(h.as_bytes()).is_err() {
                return Err(ConfigError::Invalid(format!(
                    "client_ip_header {h:?} is not a header name"
                )));
            }
        }
        Ok(())
    }

    /// A configuration for tests and tools: defaults, the given database.
    pub fn for_database(url: Option<String>) -> Config {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("valid default"),
            data_dir: DEFAULT_DATA_DIR.into(),
            database_url: url,
            company_prefix: DEFAULT_COMPANY_PREFIX.into(),
            session_hours: DEFAULT_SESSION_HOURS,
            token_days: DEFAULT_TOKEN_DAYS,
            secure_cookies: false,
            client_ip_header: None,
            clock_skew_s: DEFAULT_CLOCK_SKEW_S,
            reader_backoff_max_s: DEFAULT_READER_BACKOFF_MAX_S,
            statement_timeout_s: DEFAULT_STATEMENT_TIMEOUT_S,
            export_timeout_s: DEFAULT_EXPORT_TIMEOUT_S,
            readers: Vec::new(),
            gates: Vec::new(),
            printers: Vec::new(),
            tag_writer: None,
            smtp: None,
            notify_every_s: DEFAULT_NOTIFY_EVERY_S,
            deadlines: Default::default(),
            approvals: Default::default(),
            time_zone: default_time_zone(),
            base_url: format!("http://{DEFAULT_LISTEN}"),
            gln: None,
        }
    }

    /// How EPCIS names this depot's zones.
    pub fn locations(&self) -> crate::domain::epcis::Locations {
        use crate::domain::epcis::{gln_locations, Locations};
        self.gln
            .as_deref()
            .and_then(|g| gln_locations(g, &self.company_prefix))
            .unwrap_or_else(|| Locations::Base(self.base_url.clone()))
    }
}

/// The SMTP settings: none without a host; a host needs a sender address.
fn smtp(
    host: Option<String>,
    port: Option<u16>,
    from: Option<String>,
) -> Result<Option<Smtp>, ConfigError> {
    let Some(host) = host.map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let from = from
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .ok_or_else(|| {
            ConfigError::Invalid("smtp_from: say who notification e-mail comes from".into())
        })?;
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::Invalid(format!(
            "smtp_from {from:?} is not an e-mail address"
        )));
    }
    let port = port.unwrap_or(DEFAULT_SMTP_PORT);
    if port == 0 {
        return Err(ConfigError::Invalid("smtp_port must be 1 to 65535".into()));
    }
    Ok(Some(Smtp { host, port, from }))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_utc_offsets() {
        assert_eq!(parse_time_zone("+08:00").unwrap(), default_time_zone());
        assert_eq!(parse_time_zone("+0800").unwrap(), default_time_zone());
        assert_eq!(
            parse_time_zone("-05:30").unwrap().local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        assert_eq!(parse_time_zone("UTC").unwrap().local_minus_utc(), 0);
        assert_eq!(
            parse_time_zone("Asia/Shanghai").unwrap(),
            default_time_zone()
        );
        assert_eq!(parse_time_zone(" prc ").unwrap(), default_time_zone());
        assert_eq!(
            parse_time_zone("Asia/Kolkata").unwrap().local_minus_utc(),
            5 * 3600 + 1800
        );
        let summer = parse_time_zone("Europe/Berlin").unwrap_err().to_string();
        assert!(summer.contains("summer time"), "{summer}");
        for bad in [
            "Europe/Berlin",
            "Asia/Nowhere",
            "+8",
            "+25:00",
            "+08:60",
            "",
            "08:00",
        ] {
            assert!(parse_time_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_writers_are_readers_that_can_write() {
        for ok in [
            "llrp://10.0.0.30",
            "uhf18:///dev/ttyUSB0",
            "uhf18+tcp://10.0.0.31:6000",
            "r2000+tcp://10.0.0.32:4001",
        ] {
            assert_eq!(
                tag_writer(Some(ok.into())).unwrap(),
                Some(ok.into()),
                "{ok}"
            );
        }
        assert_eq!(tag_writer(Some("  ".into())).unwrap(), None);
        let active = tag_writer(Some("uhf18:///dev/ttyUSB0?mode=active".into())).unwrap_err();
        assert!(active.to_string().contains("answer mode"), "{active}");
        assert!(tag_writer(Some("10.0.0.30".into())).is_err());
    }

    #[test]
    fn approvals_are_bounded() {
        let file = ApprovalsFile {
            finance_from_yuan: Some(100),
            finance_over_days: Some(7),
        };
        let chain = file.chain().unwrap();
        assert_eq!(
            (chain.finance_from_fen, chain.finance_over_days),
            (10_000, 7)
        );
        let file = ApprovalsFile {
            finance_from_yuan: Some(-1),
            finance_over_days: None,
        };
        assert!(file.chain().is_err());
    }

    #[test]
    fn debug_redacts_password() {
        let mut c = Config::for_database(Some("postgres://depot:hunter2@db/depot".into()));
        c.company_prefix = "6901234".into();
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("depot:***@db"), "{text}");
    }

    #[test]
    fn bad_company_prefix_is_refused() {
        let over = Overrides {
            company_prefix: Some("12ab".into()),
            ..Default::default()
        };
        let err = Config::load(&over, None).unwrap_err();
        assert!(err.to_string().contains("company_prefix"), "{err}");
    }

    #[test]
    fn clock_skew_and_reader_backoff_come_from_the_file_within_bounds() {
        let dir = std::env::temp_dir().join(format!("depot-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("depot.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            let over = Overrides {
                config: Some(path.clone()),
                ..Default::default()
            };
            Config::load(&over, None)
        };
        let c = load("").unwrap();
        assert_eq!((c.clock_skew_s, c.reader_backoff_max_s), (300, 5));
        let c = load("clock_skew_s = 60\nreader_backoff_max_s = 2\n").unwrap();
        assert_eq!((c.clock_skew_s, c.reader_backoff_max_s), (60, 2));
        assert_eq!(c.statement_timeout_s, 30);
        let c = load("statement_timeout_s = 0\n").unwrap();
        assert_eq!(c.statement_timeout_s, 0);
        assert!(load("statement_timeout_s = 3601\n").is_err());
        assert_eq!(c.export_timeout_s, 300);
        let c = load("export_timeout_s = 600\n").unwrap();
        assert_eq!((c.export_timeout_s, c.statement_timeout_s), (600, 30));
        assert!(load("export_timeout_s = 3601\n").is_err());
        for bad in [
            "clock_skew_s = 0",
            "reader_backoff_max_s = 0",
            "reader_backoff_max_s = 301",
        ] {
            let err = load(bad).unwrap_err().to_string();
            assert!(err.contains(bad.split(' ').next().unwrap()), "{bad}: {err}");
        }
        let c = load("smtp_host = \"127.0.0.1\"\nsmtp_port = 2525\nsmtp_from = \"depot@example.org\"\nnotify_every_s = 5\n[deadlines]\nloan_requested = 3\n").unwrap();
        let smtp = c.smtp.unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port), ("127.0.0.1", 2525));
        assert_eq!(c.notify_every_s, 5);
        assert_ne!(c.deadlines, Default::default());
        for bad in [
            "smtp_host = \"127.0.0.1\"",
            "smtp_host = \"h\"\nsmtp_from = \"not an address\"",
            "notify_every_s = 0",
            "[deadlines]\nloan_issued = 2",
        ] {
            assert!(load(bad).is_err(), "{bad}");
        }
        let c = load("[[printers]]\nname = \"Dock 1\"\naddress = \"10.0.0.20\"\n[[printers]]\nname = \"Office\"\naddress = \"printer.local:6101\"\n").unwrap();
        let found: Vec<(&str, &str, u16)> = c
            .printers
            .iter()
            .map(|p| (p.name.as_str(), p.host.as_str(), p.port))
            .collect();
        assert_eq!(
            found,
            [
                ("Dock 1", "10.0.0.20", 9100),
                ("Office", "printer.local", 6101)
            ]
        );
        for bad in [
            "[[printers]]\nname = \"A\"\naddress = \"h:0\"",
            "[[printers]]\nname = \"A\"\naddress = \"h:x\"",
            "[[printers]]\nname = \"A\"\naddress = \"\"",
            "[[printers]]\nname = \" \"\naddress = \"h\"",
            "[[printers]]\nname = \"A\"\naddress = \"h\"\n[[printers]]\nname = \"A\"\naddress = \"g\"",
            "[[printers]]\nname = \"A\"",
        ] {
            let err = load(bad).unwrap_err().to_string();
            assert!(err.contains("printers"), "{bad}: {err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
