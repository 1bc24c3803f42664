//! What one client may hold at once: live event streams per credential (a session or an API
//! token) and server-wide.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Error;

/// Live event streams one session (or API token) may hold open at once: a few pages in a
/// few tabs.
pub const STREAMS_PER_SESSION: usize = 8;
/// Live event streams the whole server holds open at once.
pub const STREAMS_TOTAL: usize = 256;

/// Who holds how many event streams.
#[derive(Debug)]
pub struct Streams {
    total: Arc<Semaphore>,
    per_session: usize,
    held: Mutex<HashMap<Vec<u8>, usize>>,
}

impl Default for Streams {
    fn default() -> Self {
        Streams::new(STREAMS_PER_SESSION, STREAMS_TOTAL)
    }
}

impl Streams {
    pub fn new(per_session: usize, total: usize) -> Self {
        Streams {
            total: Arc::new(Semaphore::new(total)),
            per_session,
            held: Mutex::new(HashMap::new()),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, usize>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for one more stream of the credential whose digest is `key`: refused (429)
    /// beyond [`STREAMS_PER_SESSION`], and (503) when the server holds all it may.
    pub fn acquire(self: &Arc<Self>, key: Vec<u8>) -> Result<StreamSlot, Error> {
        let mut held = self.held();
        let mine = held.get(&key).copied().unwrap_or(0);
        if mine >= self.per_session {
            return Err(Error::TooManyRequests {
                message: format!(
                    "this session already follows {mine} live streams; close one first"
                ),
                retry_after: 5,
            });
        }
        let permit = self.total.clone().try_acquire_owned().map_err(|_| {
            Error::Unavailable("the server follows as many live streams as it can".into())
        })?;
        held.insert(key.clone(), mine + 1);
        Ok(StreamSlot {
            streams: self.clone(),
            key,
            _permit: permit,
        })
    }
}

/// One open event stream; dropping it (the stream ended or the client left) frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    streams: Arc<Streams>,
    key: Vec<u8>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut held = self.streams.held();
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_capped_per_session_and_in_total() {
        let streams = Arc::new(Streams::new(2, 3));
        let a1 = streams.acquire(b"a".to_vec()).unwrap();
        let _a2 = streams.acquire(b"a".to_vec()).unwrap();
        assert!(matches!(
            streams.acquire(b"a".to_vec()),
            Err(Error::TooManyRequests { .. })
        ));
        let _b1 = streams.acquire(b"b".to_vec()).unwrap();
        assert!(matches!(
            streams.acquire(b"c".to_vec()),
            Err(Error::Unavailable(_))
        ));
        drop(a1);
        let _a3 = streams.acquire(b"a".to_vec()).unwrap();
        assert_eq!(streams.held().get(&b"a".to_vec()), Some(&2));
    }
}
