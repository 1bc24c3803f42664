//! R2000 over a serial port, a pty or TCP.

use bytes::BytesMut;

use super::codec::{self, DecodeError};
use super::message::{Frame, Response};
use crate::transport::{Fault, Protocol};

/// The host side: responses in, command frames out.
pub struct R2000;

impl Protocol for R2000 {
    type Inbound = Response;
    type Outbound = Frame;
    type Error = DecodeError;

    fn decode(buf: &mut BytesMut) -> Result<Option<Response>, DecodeError> {
        codec::decode_response(buf)
    }

    fn encode(msg: &Frame, out: &mut BytesMut) {
        codec::encode_frame(msg, out)
    }

    fn classify(err: &DecodeError) -> Fault {
        match err {
            DecodeError::Garbage { .. } => Fault::Garbage,
            DecodeError::BadChecksum { .. } => Fault::BadChecksum,
            DecodeError::Malformed { .. } => Fault::Malformed,
        }
    }
}
