//! Labels for assets: ZPL for Zebra RFID printers (the EPC encoded, a QR code of the tag
//! URI, name and number), the printable sheet's contents, and printing an intake's labels
//! on a configured printer over raw TCP.

use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use utoipa::ToSchema;

use super::{App, Error, Op, Result};
use crate::auth::Actor;
use crate::config::Printer;
use crate::db::assets::{self, Asset};
use crate::db::intakes::{self, Intake};
use crate::domain::bounds::Text;
use crate::domain::labels::{self, Label};

/// A printer that does not take the connection, or the labels, within this long is away.
pub const PRINTER_TIMEOUT: Duration = Duration::from_secs(5);

/// What a label shows of an asset.
pub fn label(asset: &Asset) -> Label {
    Label {
        epc: asset.epc.clone(),
        tag_uri: asset.tag_uri.clone(),
        name: asset.name.clone(),
        number: format!("No. {}", asset.id),
    }
}

/// One asset's label in ZPL.
pub async fn asset_zpl(app: &App, actor: &Actor, id: i64) -> Result<String> {
    let asset = app
        .find(actor, Op::AssetLabel, async |c| assets::get(c, id).await)
        .await?;
    Ok(labels::zpl(&[label(&asset)]))
}

/// The intake with its assets, for its labels (the printable sheet).
pub async fn intake(app: &App, actor: &Actor, id: i64) -> Result<Intake> {
    app.find(actor, Op::IntakeLabels, async |c| intakes::get(c, id).await)
        .await
}

/// The labels of every asset of the intake, in ZPL, in the intake's order.
pub async fn intake_zpl(app: &App, actor: &Actor, id: i64) -> Result<String> {
    let intake = intake(app, actor, id).await?;
    Ok(intake_labels(&intake))
}

fn intake_labels(intake: &Intake) -> String {
    let labels: Vec<Label> = intake.assets.iter().map(label).collect();
    labels::zpl(&labels)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintRequest {
    /// A printer's name from the configuration (`[[printers]]`).
    pub printer: Text,
}

/// What was sent.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Printed {
    pub printer: String,
    /// How many labels the printer took.
    pub labels: usize,
}

/// The configured printers' names, for the pages.
pub fn printers(app: &App) -> Vec<String> {
    app.config.printers.iter().map(|p| p.name.clone()).collect()
}

/// Send the intake's labels to the printer named. A printer that is away is
/// `Unavailable` (503) and nothing is changed; one not configured is `Invalid`.
pub async fn print(app: &App, actor: &Actor, id: i64, input: PrintRequest) -> Result<Printed> {
    // The role first, then the intake (its scope), then the printer.
    let intake = app
        .find(actor, Op::PrintIntakeLabels, async |c| {
            intakes::get(c, id).await
        })
        .await?;
    let name = input.printer.trim();
    let printer = app
        .config
        .printers
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::Conflict(format!("no printer named {name:?} is configured")))?;
    send(printer, intake_labels(&intake).as_bytes()).await?;
    let labels = intake.assets.len();
    tracing::info!(intake = id, printer = %printer.name, labels, "labels sent to the printer");
    Ok(Printed {
        printer: printer.name.clone(),
        labels,
    })
}

/// Connect, send, close: each step bounded by [`PRINTER_TIMEOUT`].
async fn send(printer: &Printer, bytes: &[u8]) -> Result<()> {
    let away = |why: String| {
        Error::Unavailable(format!(
            "printer {:?} at {}:{} {why}",
            printer.name, printer.host, printer.port
        ))
    };
    let connect = TcpStream::connect((printer.host.as_str(), printer.port));
    let mut stream = tokio::time::timeout(PRINTER_TIMEOUT, connect)
        .await
        .map_err(|_| away("did not answer in time; nothing was sent".into()))?
        .map_err(|e| away(format!("cannot be reached ({e}); nothing was sent")))?;
    let write = async {
        stream.write_all(bytes).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    tokio::time::timeout(PRINTER_TIMEOUT, write)
        .await
        .map_err(|_| away("did not take the labels in time; print them again".into()))?
        .map_err(|e| away(format!("broke off ({e}); print them again")))?;
    Ok(())
}
