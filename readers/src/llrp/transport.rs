//! LLRP over TCP (or anything else that carries bytes).

use bytes::BytesMut;

use super::codec::{self, DecodeError};
use super::message::Message;
use crate::transport::{Fault, Protocol};

/// The LLRP [`Protocol`]: both directions carry [`Message`]s.
pub struct Llrp;

impl Protocol for Llrp {
    type Inbound = Message;
    type Outbound = Message;
    type Error = DecodeError;

    fn decode(buf: &mut BytesMut) -> Result<Option<Message>, DecodeError> {
        codec::decode(buf)
    }

    fn encode(msg: &Message, out: &mut BytesMut) {
        codec::encode(msg, out)
    }

    fn classify(err: &DecodeError) -> Fault {
        match err {
            DecodeError::Garbage { .. } => Fault::Garbage,
            DecodeError::Malformed { .. } => Fault::Malformed,
        }
    }
}
