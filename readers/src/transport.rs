//! One framing for every protocol: a tokio_util [`Decoder`]/[`Encoder`] around a sans-IO
//! codec, so TCP, serial ports, ptys and `tokio::io::duplex` all work the same way.
//!
//! A decode error is an item, not a stream error: tokio_util ends a `Framed` stream after
//! its decoder fails, and a malformed frame must never cost the connection.

use std::io;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder, Framed};

/// What went wrong with some input bytes, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bytes that could not start a frame were skipped.
    Garbage,
    /// A frame's checksum did not match; one byte was dropped to look for the next frame.
    BadChecksum,
    /// A well-framed message that made no sense; it was skipped whole.
    Malformed,
}

/// A sans-IO codec, as the transport sees it.
pub trait Protocol {
    /// What the peer sends us.
    type Inbound;
    /// What we send the peer.
    type Outbound;
    type Error: std::error::Error + Send + Sync + 'static;
    /// Partial input is `Ok(None)`; every `Err` has consumed at least one byte.
    fn decode(buf: &mut BytesMut) -> Result<Option<Self::Inbound>, Self::Error>;
    fn encode(msg: &Self::Outbound, out: &mut BytesMut);
    fn classify(err: &Self::Error) -> Fault;
}

/// Counters shared between a driver, its transport and whoever watches it.
#[derive(Debug, Default)]
pub struct Counters {
    pub frames: AtomicU64,
    pub bad_crc: AtomicU64,
    pub resyncs: AtomicU64,
    pub malformed: AtomicU64,
    pub reconnects: AtomicU64,
    pub reads: AtomicU64,
}

/// A point-in-time copy of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    pub frames: u64,
    pub bad_crc: u64,
    pub resyncs: u64,
    pub malformed: u64,
    pub reconnects: u64,
    pub reads: u64,
}

impl Counters {
    pub fn snapshot(&self) -> CountersSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            frames: get(&self.frames),
            bad_crc: get(&self.bad_crc),
            resyncs: get(&self.resyncs),
            malformed: get(&self.malformed),
            reconnects: get(&self.reconnects),
            reads: get(&self.reads),
        }
    }

    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// The tokio_util codec for protocol `P`.
pub struct Codec<P> {
    counters: Arc<Counters>,
    _protocol: PhantomData<fn() -> P>,
}

impl<P> Codec<P> {
    pub fn new(counters: Arc<Counters>) -> Self {
        Codec {
            counters,
            _protocol: PhantomData,
        }
    }
}

/// A framed connection speaking protocol `P` over any byte stream.
pub type Transport<T, P> = Framed<T, Codec<P>>;

/// Frames `io` with protocol `P`, counting into `counters`.
pub fn framed<T, P>(io: T, counters: Arc<Counters>) -> Transport<T, P>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite,
    P: Protocol,
{
    Framed::new(io, Codec::new(counters))
}

impl<P: Protocol> Decoder for Codec<P> {
    type Item = Result<P::Inbound, P::Error>;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        match P::decode(src) {
            Ok(Some(msg)) => {
                Counters::bump(&self.counters.frames);
                Ok(Some(Ok(msg)))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                match P::classify(&e) {
                    Fault::Garbage => Counters::bump(&self.counters.resyncs),
                    Fault::BadChecksum => {
                        Counters::bump(&self.counters.bad_crc);
                        Counters::bump(&self.counters.resyncs);
                    }
                    Fault::Malformed => Counters::bump(&self.counters.malformed),
                }
                tracing::debug!(error = %e, "skipped bad input");
                Ok(Some(Err(e)))
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        // At the end of input, a partial frame will never be completed: it is a corrupt
        // length byte, or a peer that hung up mid-frame. Skip a byte at a time so that any
        // whole frame behind it is still delivered.
        loop {
            if let Some(item) = self.decode(buf)? {
                return Ok(Some(item));
            }
            if buf.is_empty() {
                return Ok(None);
            }
            buf.advance(1);
            Counters::bump(&self.counters.resyncs);
        }
    }
}

impl<P: Protocol> Encoder<P::Outbound> for Codec<P> {
    type Error = io::Error;

    fn encode(&mut self, msg: P::Outbound, dst: &mut BytesMut) -> io::Result<()> {
        P::encode(&msg, dst);
        Ok(())
    }
}
