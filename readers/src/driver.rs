//! The driver API: one supervised task per reader that connects, configures, runs
//! inventory, and sends [`TagRead`]s and [`ReaderEvent`]s down a bounded channel,
//! reconnecting with exponential backoff and jitter when the link fails.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::read::{ReaderId, TagRead};
use crate::transport::{Codec, Counters, CountersSnapshot};

/// Where a reader is, parsed from the URL forms installers write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderAddress {
    /// `llrp://HOST[:PORT]`
    Llrp { host: String, port: u16 },
    /// `uhf18:///dev/ttyUSB0?baud=57600[&mode=active]` or `uhf18+tcp://HOST:PORT`
    Uhf18 { link: Link, active: bool },
    /// `r2000:///dev/ttyUSB0?baud=115200` or `r2000+tcp://HOST:PORT`
    R2000 { link: Link },
}

/// How a serial-protocol reader is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Serial {
        path: String,
        baud: u32,
    },
    /// Serial-to-Ethernet converters and networked modules.
    Tcp {
        host: String,
        port: u16,
    },
}

/// Chafon readers ship at 57600 8N1.
pub const UHF18_DEFAULT_BAUD: u32 = 57600;
/// R2000 modules ship at 115200 8N1.
pub const R2000_DEFAULT_BAUD: u32 = 115200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0:?} is not a reader address: expected llrp://HOST[:PORT], uhf18:///dev/PORT, uhf18+tcp://HOST:PORT, r2000:///dev/PORT or r2000+tcp://HOST:PORT")]
    Scheme(String),
    #[error("{0:?}: missing host")]
    MissingHost(String),
    #[error("{0:?}: a TCP reader address needs a port (HOST:PORT)")]
    MissingPort(String),
    #[error("{0:?}: bad port")]
    BadPort(String),
    #[error("{0:?}: missing serial device path, e.g. uhf18:///dev/ttyUSB0")]
    MissingPath(String),
    #[error("{0:?}: bad query parameter {1:?} (known: baud=N, mode=answer|active)")]
    BadQuery(String, String),
}

impl FromStr for ReaderAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| AddressError::Scheme(s.into()))?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let mut baud = None;
        let mut active = false;
        for kv in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|kv| !kv.is_empty())
        {
            let bad = || AddressError::BadQuery(s.into(), kv.into());
            match kv.split_once('=').ok_or_else(bad)? {
                ("baud", v) => {
                    baud = Some(v.parse::<u32>().ok().filter(|b| *b > 0).ok_or_else(bad)?)
                }
                ("mode", "active") => active = true,
                ("mode", "answer") => active = false,
                _ => return Err(bad()),
            }
        }
        let host_port = |default: Option<u16>| -> Result<(String, u16), AddressError> {
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                // An IPv6 literal is bracketed; its colons are not a port separator.
                Some((h, p)) if !p.contains(']') => (
                    h,
                    Some(
                        p.parse::<u16>()
                            .map_err(|_| AddressError::BadPort(s.into()))?,
                    ),
                ),
                _ => (rest, None),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(AddressError::MissingHost(s.into()));
            }
            let port = port
                .or(default)
                .ok_or_else(|| AddressError::MissingPort(s.into()))?;
            if port == 0 {
                return Err(AddressError::BadPort(s.into()));
            }
            Ok((host.to_owned(), port))
        };
        let serial = |default_baud: u32| -> Result<Link, AddressError> {
            if !rest.starts_with('/') || rest.len() < 2 {
                return Err(AddressError::MissingPath(s.into()));
            }
            Ok(Link::Serial {
                path: rest.to_owned(),
                baud: baud.unwrap_or(default_baud),
            })
        };
        let tcp = || -> Result<Link, AddressError> {
            let (host, port) = host_port(None)?;
            Ok(Link::Tcp { host, port })
        };
        match scheme {
            "llrp" => {
                let (host, port) = host_port(Some(crate::llrp::DEFAULT_PORT))?;
                Ok(ReaderAddress::Llrp { host, port })
            }
            "uhf18" => Ok(ReaderAddress::Uhf18 {
                link: serial(UHF18_DEFAULT_BAUD)?,
                active,
            }),
            "uhf18+tcp" => Ok(ReaderAddress::Uhf18 {
                link: tcp()?,
                active,
            }),
            "r2000" => Ok(ReaderAddress::R2000 {
                link: serial(R2000_DEFAULT_BAUD)?,
            }),
            "r2000+tcp" => Ok(ReaderAddress::R2000 { link: tcp()? }),
            _ => Err(AddressError::Scheme(s.into())),
        }
    }
}

impl fmt::Display for ReaderAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = |f: &mut fmt::Formatter<'_>, scheme: &str, link: &Link, active: bool| match link
        {
            Link::Serial { path, baud } => {
                write!(
                    f,
                    "{scheme}://{path}?baud={baud}{}",
                    if active { "&mode=active" } else { "" }
                )
            }
            Link::Tcp { host, port } => {
                write!(
                    f,
                    "{scheme}+tcp://{host}:{port}{}",
                    if active { "?mode=active" } else { "" }
                )
            }
        };
        match self {
            ReaderAddress::Llrp { host, port } => write!(f, "llrp://{host}:{port}"),
            ReaderAddress::Uhf18 { link: l, active } => link(f, "uhf18", l, *active),
            ReaderAddress::R2000 { link: l } => link(f, "r2000", l, false),
        }
    }
}

/// Exponential backoff with jitter between reconnection attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub factor: f64,
    /// Fraction of the delay added or removed at random, so that many readers behind one
    /// switch that reboots do not all reconnect in the same instant.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Backoff::DEFAULT_MAX,
            factor: 2.0,
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The default cap: low, since a gate whose reader came back is blind until the next
    /// attempt.
    pub const DEFAULT_MAX: Duration = Duration::from_secs(5);

    /// The delay before attempt `attempt` (1-based), `unit` in [0, 1) drawn at random.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exp = self.factor.powi(attempt.saturating_sub(1).min(64) as i32);
        let base = (self.initial.as_secs_f64() * exp).min(self.max.as_secs_f64());
        let jittered = base * (1.0 + self.jitter * (2.0 * unit - 1.0));
        Duration::from_secs_f64(jittered.clamp(0.0, self.max.as_secs_f64()))
    }
}

/// How to run one reader.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// The id every TagRead and event carries.
    pub reader: ReaderId,
    /// Antenna ports to use, 1-based; empty means all.
    pub antennas: Vec<u16>,
    /// Transmit power in dBm; `None` leaves the reader's setting alone.
    pub power_dbm: Option<f32>,
    /// UHFReader18 inventory scan time in units of 100 ms (3..=255).
    pub scan_time: Option<u8>,
    pub backoff: Backoff,
    /// Give up after this many consecutive failed connection attempts; `None` never does.
    pub max_attempts: Option<u32>,
    pub connect_timeout: Duration,
    /// How long a command may wait for its response.
    pub response_timeout: Duration,
    /// LLRP keepalive period asked of the reader.
    pub keepalive: Duration,
    /// A link that has been silent this long is dead (no keepalive, no heartbeat, no frame).
    pub silence_timeout: Duration,
    /// Whether inventory runs as soon as the reader is connected.
    pub inventory_on_connect: bool,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            reader: ReaderId(0),
            antennas: Vec::new(),
            power_dbm: None,
            scan_time: None,
            backoff: Backoff::default(),
            max_attempts: None,
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(5),
            keepalive: Duration::from_secs(5),
            silence_timeout: Duration::from_secs(16),
            inventory_on_connect: true,
        }
    }
}

/// What a driver sends: reads and events, in the order they happened.
#[derive(Debug, Clone, PartialEq)]
pub enum ReaderOutput {
    Read(TagRead),
    Event(ReaderEvent),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReaderEvent {
    pub reader: ReaderId,
    /// Host time, microseconds since the Unix epoch.
    pub timestamp_us: u64,
    pub kind: ReaderEventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReaderEventKind {
    /// The link is up and the reader answered; `description` says what it is.
    Connected {
        description: String,
    },
    /// The link went down; the driver will reconnect unless stopped.
    Disconnected {
        reason: String,
    },
    Antenna {
        antenna: u16,
        connected: bool,
    },
    InventoryStarted,
    InventoryStopped,
    /// The reader refused something or sent something we could not use; the link stays up.
    Error {
        message: String,
    },
    /// Waiting `delay` before connection attempt `attempt`.
    Reconnecting {
        attempt: u32,
        delay: Duration,
    },
}

impl fmt::Display for ReaderEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReaderEventKind::Connected { description } => write!(f, "connected: {description}"),
            ReaderEventKind::Disconnected { reason } => write!(f, "disconnected: {reason}"),
            ReaderEventKind::Antenna {
                antenna,
                connected: true,
            } => write!(f, "antenna {antenna} connected"),
            ReaderEventKind::Antenna {
                antenna,
                connected: false,
            } => {
                write!(f, "antenna {antenna} disconnected")
            }
            ReaderEventKind::InventoryStarted => f.write_str("inventory started"),
            ReaderEventKind::InventoryStopped => f.write_str("inventory stopped"),
            ReaderEventKind::Error { message } => write!(f, "error: {message}"),
            ReaderEventKind::Reconnecting { attempt, delay } => {
                write!(
                    f,
                    "reconnecting (attempt {attempt}) in {} ms",
                    delay.as_millis()
                )
            }
        }
    }
}

/// Why a driver task ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    #[error("{address}: {last}")]
    GaveUp {
        address: String,
        attempts: u32,
        last: String,
    },
    #[error("driver task failed: {0}")]
    Task(String),
}

/// A running reader driver. Dropping the handle stops the driver too.
pub struct ReaderHandle {
    cancel: CancellationToken,
    inventory: watch::Sender<bool>,
    counters: Arc<Counters>,
    task: JoinHandle<Result<(), ReaderError>>,
}

impl ReaderHandle {
    pub fn counters(&self) -> CountersSnapshot {
        self.counters.snapshot()
    }

    /// Starts or stops inventory without dropping the connection.
    pub fn set_inventory(&self, on: bool) {
        self.inventory.send_replace(on);
    }

    /// Stops inventory, closes the connection politely, and waits for the task.
    pub async fn stop(mut self) -> Result<(), ReaderError> {
        self.cancel.cancel();
        self.join().await
    }

    /// Waits for the task without stopping it: it ends only when stopped, when the output
    /// channel is closed, or when `max_attempts` is exhausted. Call it once.
    pub async fn join(&mut self) -> Result<(), ReaderError> {
        (&mut self.task)
            .await
            .map_err(|e| ReaderError::Task(e.to_string()))?
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for ReaderHandle {
    fn drop(&mut self) {
        // A driver nobody can stop any more would hold its reader forever.
        self.cancel.cancel();
    }
}

/// Starts a driver for the reader at `address`; it runs until [`ReaderHandle::stop`].
pub fn spawn(
    address: ReaderAddress,
    config: ReaderConfig,
    tx: mpsc::Sender<ReaderOutput>,
) -> ReaderHandle {
    let cancel = CancellationToken::new();
    let (inventory, inventory_rx) = watch::channel(config.inventory_on_connect);
    let counters = Arc::new(Counters::default());
    let ctx = Ctx {
        config,
        tx,
        counters: counters.clone(),
        cancel: cancel.clone(),
        inventory: inventory_rx,
    };
    let task = tokio::spawn(supervise(address, ctx));
    ReaderHandle {
        cancel,
        inventory,
        counters,
        task,
    }
}

/// The sending side of a reader whose reads are made in software, not heard on a link (a
/// simulated reader, see [`spawn_source`]): it counts reads as a driver does and stops when
/// the handle is stopped or nobody listens any more.
pub struct Source {
    ctx: Ctx,
}

impl Source {
    /// The id every read and event must carry.
    pub fn reader(&self) -> ReaderId {
        self.ctx.config.reader
    }

    /// The antenna ports configured for the reader; empty means all.
    pub fn antennas(&self) -> &[u16] {
        &self.ctx.config.antennas
    }

    /// Send a read; false once the source should stop (stopped, or nobody listens).
    pub async fn read(&self, read: TagRead) -> bool {
        !self.ctx.cancel.is_cancelled() && self.ctx.read(read).await.is_ok()
    }

    /// Send an event; false once the source should stop.
    pub async fn event(&self, kind: ReaderEventKind) -> bool {
        !self.ctx.cancel.is_cancelled() && self.ctx.event(kind).await.is_ok()
    }

    /// Waits until the handle is stopped.
    pub async fn stopped(&self) {
        self.ctx.cancel.cancelled().await
    }

    /// Waits until inventory is wanted (it is unless the handle turned it off); false once
    /// the source should stop.
    pub async fn inventory_wanted(&mut self) -> bool {
        until_inventory_wanted(&mut self.ctx).await.is_ok()
    }
}

/// Starts a reader whose reads come from `run` (a simulation) instead of a link: its handle,
/// counters and stopping are those of every other driver, so whoever supervises readers runs
/// it like any other. `run` ends when it is done; stopping the handle also ends it.
pub fn spawn_source<F, Fut>(
    config: ReaderConfig,
    tx: mpsc::Sender<ReaderOutput>,
    run: F,
) -> ReaderHandle
where
    F: FnOnce(Source) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let cancel = CancellationToken::new();
    let (inventory, inventory_rx) = watch::channel(config.inventory_on_connect);
    let counters = Arc::new(Counters::default());
    let source = Source {
        ctx: Ctx {
            config,
            tx,
            counters: counters.clone(),
            cancel: cancel.clone(),
            inventory: inventory_rx,
        },
    };
    let stop = cancel.clone();
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = run(source) => {}
        }
        Ok(())
    });
    ReaderHandle {
        cancel,
        inventory,
        counters,
        task,
    }
}

/// Microseconds since the Unix epoch, host clock: the transport side of the sans-IO line.
pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// How a connection to the reader ended.
#[derive(Debug)]
pub(crate) enum LinkEnd {
    /// Stopped on request (or nobody listens any more): do not reconnect.
    Stopped,
    /// The link failed; `connected` says whether the reader had answered first.
    Lost { reason: String, connected: bool },
}

impl LinkEnd {
    pub(crate) fn lost(reason: impl Into<String>) -> Self {
        LinkEnd::Lost {
            reason: reason.into(),
            connected: false,
        }
    }
}

/// What a protocol driver needs from its supervisor.
pub(crate) struct Ctx {
    pub config: ReaderConfig,
    pub tx: mpsc::Sender<ReaderOutput>,
    pub counters: Arc<Counters>,
    pub cancel: CancellationToken,
    pub inventory: watch::Receiver<bool>,
}

impl Ctx {
    pub async fn event(&self, kind: ReaderEventKind) -> Result<(), LinkEnd> {
        tracing::debug!(reader = self.config.reader.0, "{kind}");
        let event = ReaderEvent {
            reader: self.config.reader,
            timestamp_us: now_us(),
            kind,
        };
        self.tx
            .send(ReaderOutput::Event(event))
            .await
            .map_err(|_| LinkEnd::Stopped)
    }

    pub async fn read(&self, read: TagRead) -> Result<(), LinkEnd> {
        Counters::bump(&self.counters.reads);
        self.tx
            .send(ReaderOutput::Read(read))
            .await
            .map_err(|_| LinkEnd::Stopped)
    }

    pub fn inventory_wanted(&self) -> bool {
        *self.inventory.borrow()
    }
}

/// Anything a connection can run over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A partial frame that has sat this long will not be completed: at 9600 baud, the slowest
/// line in use, even a whole 257-byte frame takes under 300 ms.
pub(crate) const STALL: Duration = Duration::from_millis(300);

/// A framed link to a polled (serial-protocol) reader.
pub(crate) struct Polled<P: crate::transport::Protocol> {
    io: crate::transport::Transport<Box<dyn Io>, P>,
    /// Frames decoded by hand after a stall, not yet handed out.
    pending: std::collections::VecDeque<Result<P::Inbound, P::Error>>,
    /// When the reader last sent anything, good or bad.
    pub last_heard: tokio::time::Instant,
}

impl<P: crate::transport::Protocol> Polled<P> {
    pub fn new(io: Box<dyn Io>, counters: Arc<Counters>) -> Self {
        Polled {
            io: crate::transport::framed(io, counters),
            pending: Default::default(),
            last_heard: tokio::time::Instant::now(),
        }
    }

    pub async fn send(&mut self, msg: P::Outbound) -> Result<(), LinkEnd> {
        use futures_util::SinkExt;
        self.io
            .send(msg)
            .await
            .map_err(|e| LinkEnd::lost(format!("write failed: {e}")))
    }

    /// The next good frame, or `None` when `deadline` passes first. Bad input is reported
    /// and skipped.
    ///
    /// A partial frame that stalls means a corrupt length byte is holding out for bytes
    /// that will never come: one byte is dropped and what is buffered is decoded again.
    pub async fn recv(
        &mut self,
        ctx: &Ctx,
        deadline: tokio::time::Instant,
    ) -> Result<Option<P::Inbound>, LinkEnd> {
        use futures_util::StreamExt;
        use tokio_util::codec::Decoder;
        loop {
            if let Some(item) = self.pending.pop_front() {
                match item {
                    Ok(msg) => return Ok(Some(msg)),
                    Err(bad) => {
                        ctx.event(ReaderEventKind::Error {
                            message: bad.to_string(),
                        })
                        .await?
                    }
                }
                continue;
            }
            let stalled = !self.io.read_buffer().is_empty();
            let until = if stalled {
                deadline.min(tokio::time::Instant::now() + STALL)
            } else {
                deadline
            };
            let item = tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => return Err(LinkEnd::Stopped),
                item = tokio::time::timeout_at(until, self.io.next()) => item,
            };
            match item {
                Err(_) if stalled => {
                    bytes::Buf::advance(self.io.read_buffer_mut(), 1);
                    Counters::bump(&ctx.counters.resyncs);
                    loop {
                        let (codec, buf) = (
                            &mut Codec::<P>::new(ctx.counters.clone()),
                            self.io.read_buffer_mut(),
                        );
                        match codec.decode(buf) {
                            Ok(Some(item)) => self.pending.push_back(item),
                            _ => break,
                        }
                    }
                    if tokio::time::Instant::now() >= deadline && self.pending.is_empty() {
                        return Ok(None);
                    }
                }
                Err(_) => return Ok(None),
                Ok(None) => return Err(LinkEnd::lost("connection closed by the reader")),
                Ok(Some(Err(e))) => return Err(LinkEnd::lost(format!("read failed: {e}"))),
                Ok(Some(Ok(item))) => {
                    self.last_heard = tokio::time::Instant::now();
                    self.pending.push_back(item);
                }
            }
        }
    }
}

/// Waits until inventory is wanted again; false if the handle is gone.
pub(crate) async fn until_inventory_wanted(ctx: &mut Ctx) -> Result<(), LinkEnd> {
    while !ctx.inventory_wanted() {
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(LinkEnd::Stopped),
            changed = ctx.inventory.changed() => if changed.is_err() { return Err(LinkEnd::Stopped) },
        }
    }
    Ok(())
}

pub(crate) async fn open(
    address: &ReaderAddress,
    timeout: Duration,
) -> Result<Box<dyn Io>, String> {
    let tcp = |host: String, port: u16| async move {
        let s = tokio::time::timeout(
            timeout,
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await
        .map_err(|_| {
            format!(
                "no answer from {host}:{port} within {} ms",
                timeout.as_millis()
            )
        })?
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        // Reports are small and latency matters more than packet count.
        let _ = s.set_nodelay(true);
        Ok::<Box<dyn Io>, String>(Box::new(s))
    };
    match address {
        ReaderAddress::Llrp { host, port } => tcp(host.clone(), *port).await,
        ReaderAddress::Uhf18 { link, .. } | ReaderAddress::R2000 { link } => match link {
            Link::Tcp { host, port } => tcp(host.clone(), *port).await,
            Link::Serial { path, baud } => {
                use tokio_serial::SerialPortBuilderExt;
                let port = tokio_serial::new(path, *baud)
                    .data_bits(tokio_serial::DataBits::Eight)
                    .parity(tokio_serial::Parity::None)
                    .stop_bits(tokio_serial::StopBits::One)
                    .open_native_async()
                    .map_err(|e| format!("cannot open {path}: {e}"))?;
                Ok(Box::new(port))
            }
        },
    }
}

async fn supervise(address: ReaderAddress, mut ctx: Ctx) -> Result<(), ReaderError> {
    let mut failures = 0u32;
    loop {
        let end = tokio::select! {
            _ = ctx.cancel.cancelled() => return Ok(()),
            io = open(&address, ctx.config.connect_timeout) => match io {
                Err(reason) => LinkEnd::lost(reason),
                Ok(io) => match &address {
                    ReaderAddress::Llrp { .. } => crate::llrp::client::connection(io, &mut ctx).await,
                    ReaderAddress::Uhf18 { active, .. } => crate::uhf18::driver::connection(io, &mut ctx, *active).await,
                    ReaderAddress::R2000 { .. } => crate::r2000::driver::connection(io, &mut ctx).await,
                },
            },
        };
        let (reason, connected) = match end {
            LinkEnd::Stopped => return Ok(()),
            LinkEnd::Lost { reason, connected } => (reason, connected),
        };
        if connected {
            failures = 0;
            if ctx
                .event(ReaderEventKind::Disconnected {
                    reason: reason.clone(),
                })
                .await
                .is_err()
            {
                return Ok(());
            }
        } else {
            failures += 1;
            if ctx
                .event(ReaderEventKind::Error {
                    message: reason.clone(),
                })
                .await
                .is_err()
            {
                return Ok(());
            }
        }
        if ctx.cancel.is_cancelled() {
            return Ok(());
        }
        if let Some(max) = ctx.config.max_attempts {
            if failures >= max {
                return Err(ReaderError::GaveUp {
                    address: address.to_string(),
                    attempts: failures,
                    last: reason,
                });
            }
        }
        let attempt = failures + 1;
        let delay = ctx
            .config
            .backoff
            .delay(attempt, rand::thread_rng().gen::<f64>());
        if ctx
            .event(ReaderEventKind::Reconnecting { attempt, delay })
            .await
            .is_err()
        {
            return Ok(());
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(delay) => {}
        }
        Counters::bump(&ctx.counters.reconnects);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        let a: ReaderAddress = "llrp://10.0.0.5".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::Llrp {
                host: "10.0.0.5".into(),
                port: 5084
            }
        );
        let a: ReaderAddress = "llrp://reader-3:15084".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::Llrp {
                host: "reader-3".into(),
                port: 15084
            }
        );
        let a: ReaderAddress = "llrp://[::1]:5085".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::Llrp {
                host: "::1".into(),
                port: 5085
            }
        );
        let a: ReaderAddress = "uhf18:///dev/ttyUSB0?baud=57600".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::Uhf18 {
                link: Link::Serial {
                    path: "/dev/ttyUSB0".into(),
                    baud: 57600
                },
                active: false
            }
        );
        let a: ReaderAddress = "uhf18:///dev/ttyS1?mode=active".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::Uhf18 {
                link: Link::Serial {
                    path: "/dev/ttyS1".into(),
                    baud: 57600
                },
                active: true
            }
        );
        let a: ReaderAddress = "uhf18+tcp://192.168.1.190:6000".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::Uhf18 {
                link: Link::Tcp {
                    host: "192.168.1.190".into(),
                    port: 6000
                },
                active: false
            }
        );
        let a: ReaderAddress = "r2000:///dev/ttyUSB1".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::R2000 {
                link: Link::Serial {
                    path: "/dev/ttyUSB1".into(),
                    baud: 115200
                }
            }
        );
        let a: ReaderAddress = "r2000+tcp://h:4001".parse().unwrap();
        assert_eq!(
            a,
            ReaderAddress::R2000 {
                link: Link::Tcp {
                    host: "h".into(),
                    port: 4001
                }
            }
        );
        for s in [
            "llrp://10.0.0.5:5084",
            "uhf18:///dev/ttyUSB0?baud=9600",
            "r2000+tcp://h:4001",
        ] {
            assert_eq!(
                s.parse::<ReaderAddress>()
                    .unwrap()
                    .to_string()
                    .parse::<ReaderAddress>()
                    .unwrap(),
                s.parse().unwrap()
            );
        }
    }

    #[test]
    fn bad_addresses_say_why() {
        let err = |s: &str| s.parse::<ReaderAddress>().unwrap_err();
        assert!(matches!(err("10.0.0.5"), AddressError::Scheme(_)));
        assert!(matches!(err("http://x"), AddressError::Scheme(_)));
        assert!(matches!(err("llrp://"), AddressError::MissingHost(_)));
        assert!(matches!(err("llrp://h:port"), AddressError::BadPort(_)));
        assert!(matches!(err("llrp://h:0"), AddressError::BadPort(_)));
        assert!(matches!(err("uhf18+tcp://h"), AddressError::MissingPort(_)));
        assert!(matches!(
            err("uhf18://ttyUSB0"),
            AddressError::MissingPath(_)
        ));
        assert!(matches!(
            err("r2000:///dev/ttyUSB0?baud=fast"),
            AddressError::BadQuery(..)
        ));
        assert!(matches!(
            err("r2000:///dev/ttyUSB0?parity=odd"),
            AddressError::BadQuery(..)
        ));
        assert!(err("http://x").to_string().contains("llrp://HOST"));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
            factor: 2.0,
            jitter: 0.2,
        };
        assert_eq!(b.delay(1, 0.5), Duration::from_millis(100));
        assert_eq!(b.delay(2, 0.5), Duration::from_millis(200));
        assert_eq!(b.delay(4, 0.5), Duration::from_millis(800));
        assert_eq!(b.delay(30, 0.5), Duration::from_secs(2));
        assert_eq!(b.delay(30, 0.99), Duration::from_secs(2));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(80));
        assert!(b.delay(1, 0.999) > Duration::from_millis(119));
    }
}
