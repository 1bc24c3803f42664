//! Limits on what one client can hold: live event streams per session and server-wide, the
//! client's address for sign-in throttling, and the headers every response carries.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{session, ApiError, AppState};

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

    /// A slot for one more stream of the credential whose digest is `key`.
    pub fn acquire(self: &Arc<Self>, key: Vec<u8>) -> Result<StreamSlot, ApiError> {
        let mut held = self.held();
        let mine = held.get(&key).copied().unwrap_or(0);
        if mine >= self.per_session {
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "this session already follows {mine} live streams; close one first"
                ),
                retry_after: 5,
            });
        }
        let permit = self.total.clone().try_acquire_owned().map_err(|_| {
            ApiError::Unavailable("the server follows as many live streams as it can".into())
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

/// The credential of a request (bearer token or session cookie), as a digest.
fn credential(headers: &HeaderMap) -> Option<Vec<u8>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    bearer
        .or_else(|| session::cookie(headers))
        .map(|t| crate::auth::token_digest(&t))
}

/// Extract after [`crate::auth::Actor`]: a stream slot for this request's credential.
impl FromRequestParts<AppState> for StreamSlot {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = credential(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        state.streams.acquire(key)
    }
}

/// Keep `slot` for as long as `stream` runs.
pub fn hold<S: futures_util::Stream>(
    slot: StreamSlot,
    stream: S,
) -> impl futures_util::Stream<Item = S::Item> {
    use futures_util::StreamExt;
    stream.map(move |item| {
        let _ = &slot;
        item
    })
}

/// The client's address: from the configured proxy header (its right-most entry, the one
/// the proxy itself added), else the peer of the connection; `None` in-process.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state.config.client_ip_header.as_deref().and_then(|name| {
            parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back()
        });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(forwarded.or(peer)))
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
            Err(ApiError::TooManyRequests { .. })
        ));
        let _b1 = streams.acquire(b"b".to_vec()).unwrap();
        assert!(matches!(
            streams.acquire(b"c".to_vec()),
            Err(ApiError::Unavailable(_))
        ));
        drop(a1);
        let _a3 = streams.acquire(b"a".to_vec()).unwrap();
        assert_eq!(streams.held().get(&b"a".to_vec()), Some(&2));
    }
}
