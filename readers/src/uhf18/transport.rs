//! UHFReader18 over a serial port, a pty or TCP.

use bytes::BytesMut;

use super::codec::{self, DecodeError};
use super::message::{Command, Response};
use crate::transport::{Fault, Protocol};

/// The host side: responses in, commands out.
pub struct Uhf18;

impl Protocol for Uhf18 {
    type Inbound = Response;
    type Outbound = Command;
    type Error = DecodeError;

    fn decode(buf: &mut BytesMut) -> Result<Option<Response>, DecodeError> {
        codec::decode_response(buf)
    }

    fn encode(msg: &Command, out: &mut BytesMut) {
        codec::encode_command(msg, out)
    }

    fn classify(err: &DecodeError) -> Fault {
        match err {
            DecodeError::Garbage { .. } => Fault::Garbage,
            DecodeError::BadCrc { .. } => Fault::BadChecksum,
            DecodeError::Malformed { .. } => Fault::Malformed,
        }
    }
}
