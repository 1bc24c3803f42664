//! Writing an asset's EPC to a new tag on the keeper's desk reader (`tag_writer`) at intake or
//! after a re-tag: the tag on the antenna is surveyed, refused if it carries another asset's
//! EPC, written and read back, and the asset's timeline says so.

use std::time::Duration;

use depot_readers::{Epc, ReaderAddress, WriteError, WriteRequest};
use serde::Serialize;
use tokio::time::Instant;
use utoipa::ToSchema;

use super::{App, Error, Op, Result};
use crate::auth::Actor;
use crate::db::assets;
use crate::db::events::{self, Context};
use crate::domain::lifecycle::AssetState;

/// A write that does not finish in this long (survey, write, read-back) is given up.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the writer's field is watched to see which tag is on it.
const SURVEY: Duration = Duration::from_millis(800);

/// A tag written with an asset's EPC and read back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagWritten {
    pub asset_id: i64,
    /// What the tag carries now: the asset's EPC.
    pub epc: String,
    /// What the tag carried before (a blank tag's factory EPC).
    pub previous_epc: String,
    /// Reads of the new EPC while reading back.
    pub reads_after: u32,
}

/// Write asset `id`'s EPC to the one tag on the writer's antenna, then read it back.
pub async fn write(app: &App, actor: &Actor, id: i64) -> Result<TagWritten> {
    let asset = app
        .find(actor, Op::WriteAssetTag, async |c| assets::get(c, id).await)
        .await?;
    if asset.state == AssetState::Disposed {
        return Err(Error::Conflict(format!(
            "asset {id} is disposed: it needs no tag"
        )));
    }
    let writer: ReaderAddress = app
        .config
        .tag_writer
        .as_deref()
        .ok_or_else(|| Error::Conflict("no tag writer is configured (tag_writer)".into()))?
        .parse()
        .map_err(|e| Error::Invalid(format!("tag_writer: {e}")))?;
    let epc = Epc::from_hex(&asset.epc)
        .map_err(|_| Error::Invalid(format!("asset {id}'s EPC is not hex")))?;
    let deadline = Instant::now() + WRITE_TIMEOUT;

    // Which tag is on the writer, and whose EPC it carries.
    let field = depot_readers::survey_field(&writer, SURVEY, deadline)
        .await
        .map_err(refusal)?;
    let tag = match field.as_slice() {
        [] => {
            return Err(Error::Conflict(
                "no tag on the writer: put one on it".into(),
            ))
        }
        [one] => *one,
        many => {
            return Err(Error::Conflict(format!(
                "{} tags on the writer: leave only the new one",
                many.len()
            )))
        }
    };
    if tag == epc {
        return Err(Error::Conflict(format!(
            "the tag on the writer carries asset {id}'s EPC already"
        )));
    }
    let mut conn = app.pool.acquire().await?;
    if let Some(other) = assets::by_epc(&mut conn, &tag.to_hex()).await? {
        return Err(Error::Conflict(format!(
            "the tag on the writer is asset {}'s ({}): refused",
            other.id, other.name
        )));
    }
    drop(conn);

    let request = WriteRequest {
        from: Some(tag),
        survey: SURVEY,
        ..WriteRequest::new(epc)
    };
    let written = depot_readers::write_epc(&writer, &request, deadline)
        .await
        .map_err(refusal)?;
    let done = TagWritten {
        asset_id: id,
        epc: written.new.to_hex(),
        previous_epc: written.old.to_hex(),
        reads_after: written.reads_after,
    };
    let mut ctx = Context::by(actor.id);
    ctx.details = serde_json::json!({
        "epc": done.epc, "previous_epc": done.previous_epc, "reads_after": done.reads_after,
    });
    app.change(actor, Op::WriteAssetTag, async |tx| {
        events::record_asset_note(tx, id, "write_tag", &ctx).await
    })
    .await?;
    tracing::info!(asset = id, epc = %done.epc, "tag written and read back");
    Ok(done)
}

/// What a writer's refusal means to the person at the desk: the reader away is a 503, the
/// tag (absent, several, locked, not verified) a 409.
fn refusal(e: WriteError) -> Error {
    match e {
        WriteError::Unreachable(_)
        | WriteError::Busy
        | WriteError::Timeout(_)
        | WriteError::Reader(_) => Error::Unavailable(format!("the tag writer: {e}")),
        WriteError::BadEpc(_) | WriteError::Unsupported(_) => Error::Invalid(e.to_string()),
        _ => Error::Conflict(e.to_string()),
    }
}
