//! Assets: registration (with EPC commissioning), lookups and listing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context};
use super::{Error, OptionalExt, Result};
use crate::domain::bounds::{Day, Fen, Note, Text};
use crate::domain::epc;
use crate::domain::lifecycle::AssetState;

/// Where an intake came from (the four source classes of the depot model).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, sqlx::Type, ToSchema,
)]
#[sqlx(type_name = "source_class", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SourceClass {
    /// Bought for a big event or meeting.
    EventPurchase,
    /// Left by an abolished temporary body.
    AbolishedBody,
    /// Left over from an institutional reform.
    InstitutionalReform,
    /// Any other idle asset.
    #[default]
    OtherIdle,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Asset {
    pub id: i64,
    /// EPC as upper-case hex.
    pub epc: String,
    /// GS1 tag URI of the EPC (`urn:epc:tag:giai-96:…`, or `urn:epc:raw:…`).
    #[sqlx(skip)]
    pub tag_uri: String,
    pub name: String,
    pub category_id: i64,
    pub category: String,
    /// In fen (1 yuan = 100 fen).
    pub original_value_fen: i64,
    pub acquired_on: Option<NaiveDate>,
    pub source_class: SourceClass,
    pub owner_department_id: Option<i64>,
    pub holder_department_id: Option<i64>,
    pub zone_id: Option<i64>,
    pub state: AssetState,
    pub virtual_depot: bool,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Asset {
    fn with_tag_uri(mut self) -> Self {
        self.tag_uri = epc::parse_hex(&self.epc)
            .map(|b| epc::decode(&b).tag_uri())
            .unwrap_or_default();
        self
    }
}

const SELECT: &str = "select a.id, a.epc, a.name, a.category_id, c.name as category, a.original_value_fen, a.acquired_on,
    a.source_class, a.owner_department_id, a.holder_department_id, a.zone_id, a.state, a.virtual_depot, a.notes,
    a.created_at, a.updated_at
    from assets a join categories c on c.id = a.category_id";

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    /// Keep the EPC the asset already carries (hex); omitted: a GIAI-96 EPC is assigned.
    pub epc: Option<Text>,
    pub name: Text,
    pub category_id: i64,
    pub original_value_fen: Fen,
    pub acquired_on: Option<Day>,
    #[serde(default)]
    pub source_class: SourceClass,
    pub owner_department_id: Option<i64>,
    #[serde(default)]
    pub notes: Note,
}

/// Register an asset (state `registered`) and commission its EPC.
pub async fn register(
    conn: &mut PgConnection,
    company_prefix: &str,
    new: &NewAsset,
    ctx: &Context,
) -> Result<Asset> {
    if new.name.trim().is_empty() {
        return Err(Error::Invalid("an asset needs a name".into()));
    }
    let epc = match &new.epc {
        Some(hex) => {
            let bytes = epc::parse_hex(hex).ok_or_else(|| {
                Error::Invalid(format!("EPC {hex:?} is not 1 to 62 bytes of hex"))
            })?;
            if bytes.is_empty() {
                return Err(Error::Invalid("EPC cannot be empty".into()));
            }
            epc::hex_upper(&bytes)
        }
        None => {
            let reference: i64 = sqlx::query_scalar("select nextval('giai_asset_reference')")
                .fetch_one(&mut *conn)
                .await?;
            let bytes = epc::encode_giai96(0, company_prefix, reference as u64)
                .map_err(|e| Error::Invalid(format!("cannot commission an EPC: {e}")))?;
            epc::hex_upper(&bytes)
        }
    };
    let id: i64 = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, acquired_on, source_class, owner_department_id, notes)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(&epc)
    .bind(new.name.trim())
    .bind(new.category_id)
    .bind(new.original_value_fen)
    .bind(new.acquired_on)
    .bind(new.source_class)
    .bind(new.owner_department_id)
    .bind(&new.notes)
    .fetch_one(&mut *conn)
    .await?;
    events::record_registration(conn, id, ctx).await?;
    get(conn, id).await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Asset> {
    let asset: Asset = sqlx::query_as(&format!("{SELECT} where a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("asset {id}"))?;
    Ok(asset.with_tag_uri())
}

/// The assets with these ids, in id order: the assets of an order in one query.
pub async fn by_ids(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Asset>> {
    let assets: Vec<Asset> =
        sqlx::query_as(&format!("{SELECT} where a.id = any($1) order by a.id"))
            .bind(ids)
            .fetch_all(conn)
            .await?;
    Ok(assets.into_iter().map(Asset::with_tag_uri).collect())
}

pub async fn by_epc(conn: &mut PgConnection, epc_hex: &str) -> Result<Option<Asset>> {
    let asset: Option<Asset> = sqlx::query_as(&format!("{SELECT} where a.epc = $1"))
        .bind(epc_hex.to_ascii_uppercase())
        .fetch_optional(conn)
        .await?;
    Ok(asset.map(Asset::with_tag_uri))
}

/// Filters for [`list`]. `visible_to` limits a requester to the catalogue (in stock or listed)
/// and what their own department owns or holds.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub state: Option<AssetState>,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub zone_id: Option<i64>,
    pub text: Option<String>,
    pub visible_to: Option<i64>,
}

pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    page: i64,
    per_page: i64,
) -> Result<(Vec<Asset>, i64)> {
    const WHERE: &str = "where ($1::asset_state is null or a.state = $1)
          and ($2::bigint is null or a.owner_department_id = $2 or a.holder_department_id = $2)
          and ($3::bigint is null or a.category_id = $3)
          and ($4::bigint is null or a.zone_id = $4)
          and ($5::text is null or a.name ilike '%' || $5 || '%' or a.epc ilike '%' || $5 || '%' or c.name ilike '%' || $5 || '%')
          and ($6::bigint is null or a.state in ('in_stock', 'listed') or a.owner_department_id = $6 or a.holder_department_id = $6)";
    let text = f
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(escape_like);
    let total: i64 = sqlx::query_scalar(&format!(
        "select count(*) from assets a join categories c on c.id = a.category_id {WHERE}"
    ))
    .bind(f.state)
    .bind(f.department_id)
    .bind(f.category_id)
    .bind(f.zone_id)
    .bind(&text)
    .bind(f.visible_to)
    .fetch_one(&mut *conn)
    .await?;
    let items: Vec<Asset> = sqlx::query_as(&format!(
        "{SELECT} {WHERE} order by a.id limit $7 offset $8"
    ))
    .bind(f.state)
    .bind(f.department_id)
    .bind(f.category_id)
    .bind(f.zone_id)
    .bind(&text)
    .bind(f.visible_to)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(conn)
    .await?;
    Ok((items.into_iter().map(Asset::with_tag_uri).collect(), total))
}

/// Free text is matched literally: `%` and `_` lose their LIKE meaning.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// List an asset its department owns in the virtual depot (`listed`: lendable, stays with
/// the department), or withdraw it (`allocated` again).
pub async fn set_listed(
    conn: &mut PgConnection,
    id: i64,
    listed: bool,
    ctx: &Context,
) -> Result<()> {
    let action = if listed {
        crate::domain::lifecycle::AssetAction::List
    } else {
        crate::domain::lifecycle::AssetAction::Unlist
    };
    events::transition(conn, id, action, ctx).await?;
    if listed {
        sqlx::query("update assets set virtual_depot = true, holder_department_id = owner_department_id where id = $1")
            .bind(id)
            .execute(conn)
            .await?;
    } else {
        sqlx::query("update assets set virtual_depot = false where id = $1")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}
