//! E-mail through an SMTP relay (lettre, tokio, no TLS): the notifier's way out of the app.
//! One connection per message, bounded by a timeout, so that a relay that hangs holds up one
//! message for at most [`SEND_TIMEOUT`], never the notifier.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Smtp;

/// The longest one message may take to hand over: connect, greet, send.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a message was not sent; the notifier tries it again later.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0:?} is not an e-mail address")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("the SMTP relay: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the SMTP relay did not answer within {}s", SEND_TIMEOUT.as_secs() * 2)]
    TimedOut,
}

impl MailError {
    /// Whether trying again cannot help: an address that is not one, a message that cannot
    /// be built, or the relay refusing it for good (a 5xx reply, e.g. no such mailbox).
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Address(_) | MailError::Message(_) => true,
            MailError::Smtp(e) => e.is_permanent(),
            MailError::TimedOut => false,
        }
    }
}

/// Sends plain-text mail from one sender through one relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for the configured relay; the sender was checked with the configuration.
    pub fn new(smtp: &Smtp) -> Result<Mailer, MailError> {
        let from = smtp
            .from
            .parse()
            .map_err(|_| MailError::Address(smtp.from.clone()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Send one message to one address.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.into()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        // The transport's own timeout covers each command; this one the whole exchange.
        match tokio::time::timeout(SEND_TIMEOUT * 2, self.transport.send(message)).await {
            Ok(sent) => sent.map(|_| ()).map_err(MailError::from),
            Err(_) => Err(MailError::TimedOut),
        }
    }
}
