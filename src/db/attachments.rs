//! An asset's documents (photos, invoices, appraisal reports, contracts, receipts): stored
//! in the database beside the asset, read back whole.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context};
use super::{OptionalExt, Result};

/// At most this many documents per asset.
pub const MAX_PER_ASSET: i64 = 20;

/// What a document is, without its bytes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub asset_id: i64,
    /// photo, invoice, appraisal, contract, receipt or other
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
    /// SHA-256 of the content, in hex.
    pub sha256: String,
    /// The uploader's login.
    pub uploaded_by: Option<String>,
    /// The uploader's name, as people call them.
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

/// A new document, checked by the application layer.
pub struct NewAttachment<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'static str,
    pub content: &'a [u8],
    pub sha256: [u8; 32],
}

const SELECT: &str = "select t.id, t.asset_id, t.kind, t.file_name, t.content_type, t.size_bytes,
        encode(t.sha256, 'hex') as sha256, u.username as uploaded_by,
        u.display_name as uploaded_by_name, t.uploaded_at
     from attachments t left join users u on u.id = t.uploaded_by";

/// Store a document of asset `asset_id` (locked, so the count holds), noted in its timeline.
pub async fn add(
    conn: &mut PgConnection,
    asset_id: i64,
    new: &NewAttachment<'_>,
    ctx: &Context,
) -> Result<Attachment> {
    sqlx::query("select 1 from assets where id = $1 for no key update")
        .bind(asset_id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("asset {asset_id}"))?;
    let count: i64 = sqlx::query_scalar("select count(*) from attachments where asset_id = $1")
        .bind(asset_id)
        .fetch_one(&mut *conn)
        .await?;
    if count >= MAX_PER_ASSET {
        return Err(super::Error::Conflict(format!(
            "asset {asset_id} has {MAX_PER_ASSET} documents already"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "insert into attachments (asset_id, kind, file_name, content_type, size_bytes, sha256, content, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(asset_id)
    .bind(new.kind)
    .bind(new.file_name)
    .bind(new.content_type)
    .bind(new.content.len() as i32)
    .bind(&new.sha256[..])
    .bind(new.content)
    .bind(ctx.actor)
    .fetch_one(&mut *conn)
    .await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({
        "attachment_id": id, "kind": new.kind, "file_name": new.file_name,
        "content_type": new.content_type, "size_bytes": new.content.len(),
    });
    events::record_asset_note(conn, asset_id, "attach", &ctx).await?;
    get(conn, asset_id, id).await
}

/// Asset `asset_id`'s documents, oldest first.
pub async fn list(conn: &mut PgConnection, asset_id: i64) -> Result<Vec<Attachment>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} where t.asset_id = $1 order by t.id"))
            .bind(asset_id)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn get(conn: &mut PgConnection, asset_id: i64, id: i64) -> Result<Attachment> {
    sqlx::query_as(&format!("{SELECT} where t.asset_id = $1 and t.id = $2"))
        .bind(asset_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("document {id}"))
}

/// A document's bytes.
pub async fn content(conn: &mut PgConnection, asset_id: i64, id: i64) -> Result<Vec<u8>> {
    sqlx::query_scalar("select content from attachments where asset_id = $1 and id = $2")
        .bind(asset_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("document {id}"))
}
