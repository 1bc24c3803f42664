//! An asset's documents: photos, invoices, appraisal reports, auction contracts, receipts.
//! Bounded in size (5 MiB) and count (20 an asset); the content type is read from the bytes
//! (PDF, JPEG, PNG or WebP), and a declared type that disagrees is refused.

use sha2::{Digest, Sha256};

use super::policy::{authorize, Target};
use super::{App, Error, Op, Result};
use crate::auth::Actor;
use crate::db::assets;
use crate::db::attachments::{self, Attachment, NewAttachment};
use crate::db::events::Context;

/// The largest document.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// What a document may be.
pub const KINDS: &[&str] = &[
    "photo",
    "invoice",
    "appraisal",
    "contract",
    "receipt",
    "other",
];

/// The content type the bytes are, by their magic numbers; `None` for anything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A document as uploaded: what it is, its name, the type the client declared (if any).
pub struct Upload<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub declared_type: Option<&'a str>,
    pub content: &'a [u8],
}

/// Store a document of asset `id` (admin or keeper; finance too, for invoices and the like).
pub async fn add(app: &App, actor: &Actor, id: i64, upload: Upload<'_>) -> Result<Attachment> {
    // The role before the upload is judged: a refusal says nothing of the file.
    authorize(actor, Op::AddAttachment, Target::Nothing)?;
    let kind = upload.kind.trim();
    if !KINDS.contains(&kind) {
        return Err(Error::Invalid(format!(
            "kind: {kind:?} is not one of {}",
            KINDS.join(", ")
        )));
    }
    let file_name = file_name(upload.file_name)?;
    if upload.content.is_empty() {
        return Err(Error::Invalid("the document is empty".into()));
    }
    if upload.content.len() > MAX_BYTES {
        return Err(Error::Invalid(format!(
            "the document is larger than {} MiB",
            MAX_BYTES / 1024 / 1024
        )));
    }
    let content_type = sniff(upload.content)
        .ok_or_else(|| Error::Invalid("a document is a PDF, JPEG, PNG or WebP file".into()))?;
    let declared = upload.declared_type.map(|t| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    if let Some(declared) = declared.filter(|t| t != "application/octet-stream") {
        if declared != content_type {
            return Err(Error::Invalid(format!(
                "the document was sent as {declared} but is {content_type}"
            )));
        }
    }
    let sha256: [u8; 32] = Sha256::digest(upload.content).into();
    let new = NewAttachment {
        kind,
        file_name: &file_name,
        content_type,
        content: upload.content,
        sha256,
    };
    let ctx = Context::by(actor.id);
    let load = async |c: &mut sqlx::PgConnection| assets::get(c, id).await;
    app.change_found(actor, Op::AddAttachment, load, async |tx, _| {
        attachments::add(tx, id, &new, &ctx).await
    })
    .await
}

/// A file name as stored: its last path part, no control characters, 1 to 200 characters.
fn file_name(name: &str) -> Result<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() {
        return Err(Error::Invalid("name the document's file".into()));
    }
    if base.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "a file name cannot contain control characters".into(),
        ));
    }
    if base.chars().count() > 200 {
        return Err(Error::Invalid(
            "a file name is at most 200 characters".into(),
        ));
    }
    Ok(base.to_owned())
}

/// Asset `id`'s documents: for the staff, oversight and finance; for a department, those of
/// its own assets.
pub async fn list(app: &App, actor: &Actor, id: i64) -> Result<Vec<Attachment>> {
    let load = async |c: &mut sqlx::PgConnection| assets::get(c, id).await;
    app.read_found(actor, Op::ListAttachments, load, async |c, _| {
        attachments::list(c, id).await
    })
    .await
}

/// One document and its bytes, for whoever may read the asset's documents.
pub async fn open(app: &App, actor: &Actor, id: i64, doc: i64) -> Result<(Attachment, Vec<u8>)> {
    let load = async |c: &mut sqlx::PgConnection| assets::get(c, id).await;
    app.read_found(actor, Op::DownloadAttachment, load, async |c, _| {
        let meta = attachments::get(c, id, doc).await?;
        let bytes = attachments::content(c, id, doc).await?;
        Ok::<_, Error>((meta, bytes))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_say_what_a_document_is() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_file_name_keeps_its_last_part() {
        assert_eq!(
            file_name("C:\\scans\\发票 2030.pdf").unwrap(),
            "发票 2030.pdf"
        );
        assert_eq!(file_name("../../etc/passwd").unwrap(), "passwd");
        assert!(file_name("dir/").is_err());
        assert!(file_name("a\u{0}b.pdf").is_err());
        assert!(file_name(&"x".repeat(201)).is_err());
    }
}
