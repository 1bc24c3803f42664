//! Hardware-in-the-loop support: drive our reader drivers against independent peers
//! (emulators from PyPI, run as separate processes) or, when an environment variable names
//! one, a real reader.

/// A ZPL label printer emulator on TCP.
pub mod zpl;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use depot_readers::{ReaderConfig, ReaderEventKind, ReaderOutput, TagRead};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;

/// The workspace root, where `hil/` lives.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("hil/ is inside the workspace")
        .to_owned()
}

/// The Python that has the pinned peers: `DEPOT_PEERS_PYTHON`, else `hil/.venv/bin/python`.
pub fn peers_python() -> PathBuf {
    std::env::var_os("DEPOT_PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("hil/.venv/bin/python"))
}

/// A real reader to test against instead of an emulator, from environment variable `var`.
pub fn real_reader(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// A peer running as its own process; killed when dropped.
pub struct Peer {
    pub child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// The first line the peer printed (what it listens on).
    pub banner: String,
}

impl Peer {
    /// Starts `hil/peers/<script>` and waits for its first line.
    pub async fn start(script: &str, args: &[&str]) -> Peer {
        let python = peers_python();
        let path = workspace_root().join("hil/peers").join(script);
        let mut child = Command::new(&python)
            .arg(&path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} (install the peers with scripts/test): {e}",
                    python.display()
                )
            });
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let banner = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("{script} printed nothing in 30 s"))
            .expect("read peer stdout")
            .unwrap_or_else(|| panic!("{script} exited before it was ready"));
        Peer {
            child,
            stdin,
            stdout,
            banner,
        }
    }

    /// The last word of the banner: a port or a pty path.
    pub fn endpoint(&self) -> &str {
        self.banner
            .split_whitespace()
            .last()
            .expect("banner has a word")
    }

    /// Sends one command line and returns the peer's one-line answer.
    pub async fn ask(&mut self, line: &str) -> String {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to peer");
        self.stdin.flush().await.expect("flush to peer");
        tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
            .await
            .expect("peer answers within 10 s")
            .expect("read peer")
            .expect("peer still running")
    }

    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Freezes the process: its sockets stay open but nothing more comes out, as with a
    /// reader that hangs or a cable cut behind a switch.
    pub fn freeze(&self) {
        self.signal("SIGSTOP");
    }

    pub fn thaw(&self) {
        self.signal("SIGCONT");
    }

    /// Signals the peer through Python, which is there whenever the peers are, so that no
    /// `kill` binary is needed and the crate keeps `unsafe` out.
    fn signal(&self, sig: &str) {
        let pid = self.child.id().expect("peer running");
        let code = format!("import os, signal; os.kill({pid}, signal.{sig})");
        let ok = std::process::Command::new(peers_python())
            .args(["-c", &code])
            .status()
            .expect("run python")
            .success();
        assert!(ok, "{sig} to {pid}");
    }
}

/// A driver configuration for tests: quick timeouts and backoff.
pub fn quick_config() -> ReaderConfig {
    ReaderConfig {
        backoff: depot_readers::Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
            factor: 2.0,
            jitter: 0.2,
        },
        connect_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_secs(3),
        keepalive: Duration::from_millis(300),
        // Long enough that a loaded CI machine starving a peer is not taken for a dead link.
        silence_timeout: Duration::from_secs(4),
        ..ReaderConfig::default()
    }
}

/// What a driver sent, collected until a condition holds.
#[derive(Debug, Default)]
pub struct Seen {
    pub reads: Vec<TagRead>,
    pub events: Vec<ReaderEventKind>,
}

impl Seen {
    pub fn count(&self, pred: impl Fn(&ReaderEventKind) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }
}

/// Receives outputs into `seen` until `done(seen)` holds; panics with what was seen if
/// `limit` passes first (a liveness bound, not a measurement).
pub async fn collect_until(
    rx: &mut mpsc::Receiver<ReaderOutput>,
    seen: &mut Seen,
    limit: Duration,
    done: impl Fn(&Seen) -> bool,
) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done(seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ReaderOutput::Read(r))) => seen.reads.push(r),
            Ok(Some(ReaderOutput::Event(e))) => seen.events.push(e.kind),
            Ok(None) => panic!(
                "driver ended; saw {} reads and events {:?}",
                seen.reads.len(),
                seen.events
            ),
            Err(_) => panic!(
                "condition not met in {limit:?}; saw {} reads and events {:?}",
                seen.reads.len(),
                seen.events
            ),
        }
    }
}
