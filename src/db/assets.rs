//! Assets: registration (with EPC commissioning), lookups and listing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context};
use super::{Error, OptionalExt, Result, Window};
use crate::domain::bounds::{Day, Fen, Months, Note, Text};
use crate::domain::depreciation::{self, Depreciation};
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

impl SourceClass {
    /// Its code, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceClass::EventPurchase => "event_purchase",
            SourceClass::AbolishedBody => "abolished_body",
            SourceClass::InstitutionalReform => "institutional_reform",
            SourceClass::OtherIdle => "other_idle",
        }
    }
}

/// How the asset was acquired (取得方式), as its finance card says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ToSchema)]
#[sqlx(type_name = "acquisition_method", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AcquisitionMethod {
    /// 购置
    Purchase,
    /// 调拨
    Transfer,
    /// 接受捐赠
    Donation,
    Other,
}

impl AcquisitionMethod {
    pub const ALL: [AcquisitionMethod; 4] = [
        AcquisitionMethod::Purchase,
        AcquisitionMethod::Transfer,
        AcquisitionMethod::Donation,
        AcquisitionMethod::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AcquisitionMethod::Purchase => "purchase",
            AcquisitionMethod::Transfer => "transfer",
            AcquisitionMethod::Donation => "donation",
            AcquisitionMethod::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<AcquisitionMethod> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
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
    /// The readers place the asset in `zone_id` but cannot tell it from this zone: a person
    /// should check where it is (null when its place is clear, or unknown).
    pub between_zone_id: Option<i64>,
    pub state: AssetState,
    pub virtual_depot: bool,
    pub notes: String,
    pub model: String,
    pub serial_number: String,
    pub supplier: String,
    pub acquisition_method: Option<AcquisitionMethod>,
    pub funding_source: String,
    /// The finance card number (资产卡片号).
    pub finance_card_no: String,
    /// The asset's own useful life, else its category's; null: neither is known.
    pub useful_life_months: Option<i32>,
    /// Straight-line depreciation as of today (no residual value); null without an
    /// acquisition date or a useful life.
    #[sqlx(skip)]
    pub depreciation: Option<Depreciation>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Today in the depot, when the row was read: what the depreciation is as of.
    #[serde(skip)]
    pub as_of: chrono::NaiveDate,
}

impl Asset {
    /// What is derived from the row: the tag URI, and the depreciation as of today.
    fn with_tag_uri(mut self) -> Self {
        self.tag_uri = epc::parse_hex(&self.epc)
            .map(|b| epc::decode(&b).tag_uri())
            .unwrap_or_default();
        let today = self.as_of;
        self.depreciation = self
            .acquired_on
            .zip(self.useful_life_months)
            .map(|(on, life)| {
                depreciation::straight_line(self.original_value_fen, on, life.into(), today)
            });
        self
    }

    /// The net value in fen as of today, when it can be told.
    pub fn net_value_fen(&self) -> Option<i64> {
        self.depreciation.map(|d| d.net_value_fen)
    }
}

// The category's name is looked up per row (a page's worth), so that the list's `from` is
// the assets alone: counting and seeking a deep page then read only an index.
const SELECT: &str = "select a.id, a.epc, a.name, a.category_id,
    (select c.name from categories c where c.id = a.category_id) as category, a.original_value_fen, a.acquired_on,
    a.source_class, a.owner_department_id, a.holder_department_id, a.zone_id,
    (select ls.between_zone_id from last_seen ls where ls.epc = a.epc and ls.zone_id = a.zone_id) as between_zone_id,
    a.state, a.virtual_depot, a.notes, a.model, a.serial_number, a.supplier, a.acquisition_method,
    a.funding_source, a.finance_card_no,
    coalesce(a.useful_life_months, (select c.useful_life_months from categories c where c.id = a.category_id)) as useful_life_months,
    a.created_at, a.updated_at, depot_today() as as_of
    from assets a";

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    /// Keep the EPC the asset already carries (hex); omitted: a GIAI-96 EPC is assigned.
    #[schema(value_type = Option<String>, pattern = "^([0-9A-Fa-f]{2}){1,62}$")]
    pub epc: Option<Text>,
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub name: Text,
    pub category_id: i64,
    pub original_value_fen: Fen,
    pub acquired_on: Option<Day>,
    #[serde(default)]
    pub source_class: SourceClass,
    pub owner_department_id: Option<i64>,
    #[serde(default)]
    pub notes: Note,
    #[serde(default)]
    pub model: Text,
    #[serde(default)]
    pub serial_number: Text,
    #[serde(default)]
    pub supplier: Text,
    pub acquisition_method: Option<AcquisitionMethod>,
    #[serde(default)]
    pub funding_source: Text,
    #[serde(default)]
    pub finance_card_no: Text,
    /// Omitted: the category's useful life.
    pub useful_life_months: Option<Months>,
}

/// The EPC a tag is commissioned with: the one given (hex, 1 to 62 bytes, upper case), or a
/// new GIAI-96 under `company_prefix` with the next asset reference.
async fn commission(
    conn: &mut PgConnection,
    company_prefix: &str,
    given: Option<&str>,
) -> Result<String> {
    if let Some(hex) = given {
        let bytes = epc::parse_hex(hex)
            .ok_or_else(|| Error::Invalid(format!("EPC {hex:?} is not 1 to 62 bytes of hex")))?;
        if bytes.is_empty() {
            return Err(Error::Invalid("EPC cannot be empty".into()));
        }
        return Ok(epc::hex_upper(&bytes));
    }
    let reference: i64 = sqlx::query_scalar("select nextval('giai_asset_reference')")
        .fetch_one(&mut *conn)
        .await?;
    let bytes = epc::encode_giai96(0, company_prefix, reference as u64)
        .map_err(|e| Error::Invalid(format!("cannot commission an EPC: {e}")))?;
    Ok(epc::hex_upper(&bytes))
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
    let epc = commission(conn, company_prefix, new.epc.as_deref()).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, acquired_on, source_class, owner_department_id, notes,
             model, serial_number, supplier, acquisition_method, funding_source, finance_card_no, useful_life_months)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
             coalesce($15, (select useful_life_months from categories where id = $3))) returning id",
    )
    .bind(&epc)
    .bind(new.name.trim())
    .bind(new.category_id)
    .bind(new.original_value_fen)
    .bind(new.acquired_on)
    .bind(new.source_class)
    .bind(new.owner_department_id)
    .bind(&new.notes)
    .bind(new.model.trim())
    .bind(new.serial_number.trim())
    .bind(new.supplier.trim())
    .bind(new.acquisition_method)
    .bind(new.funding_source.trim())
    .bind(new.finance_card_no.trim())
    .bind(new.useful_life_months.map(Months::as_i32))
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
    /// Owned by this department (the virtual depot's own assets).
    pub owner_id: Option<i64>,
}

/// Only the filters given are in the query, each one an index can serve (a catch-all
/// `$1 is null or …` hides that from the planner), so every list and search walks an index
/// in id order and stops after the page.
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    window: Window,
) -> Result<(Vec<Asset>, super::Total)> {
    list_counted(conn, f, window, true).await
}

/// Every asset [`list`] finds with `f`, in id order, a page of [`EXPORT_BATCH`] at a time
/// (each walked on from the last id, as [`list`]'s keyset pages are, and not counted): the
/// export of a list as filtered.
pub fn filtered_rows(conn: &mut PgConnection, f: Filter) -> super::Rows<'_, Asset> {
    use futures_util::StreamExt;
    let start = (conn, f, Some(None::<i64>));
    futures_util::stream::unfold(start, |(conn, f, after)| async move {
        let after = after?;
        let window = Window {
            page: 1,
            per_page: EXPORT_BATCH,
            after,
        };
        match list_counted(conn, &f, window, false).await {
            Ok((items, _)) if items.is_empty() => None,
            Ok((items, total)) => {
                let next = total.has_more.then(|| items.last().map(|a| a.id));
                Some((Ok(items), (conn, f, next)))
            }
            Err(e) => Some((Err(e), (conn, f, None))),
        }
    })
    .boxed()
}

/// Assets a batch of [`filtered_rows`] holds.
const EXPORT_BATCH: i64 = 500;

/// [`list`], its matches counted or not (`counted`: an export's batches need no total).
async fn list_counted(
    conn: &mut PgConnection,
    f: &Filter,
    window: Window,
    counted: bool,
) -> Result<(Vec<Asset>, super::Total)> {
    use sqlx::Arguments;
    let mut args = sqlx::postgres::PgArguments::default();
    let mut conditions: Vec<String> = Vec::new();
    let next = |args: &sqlx::postgres::PgArguments| args.len() + 1;
    if let Some(state) = f.state {
        conditions.push(format!("a.state = ${}", next(&args)));
        args.add(state).map_err(sqlx::Error::Encode)?;
    }
    if let Some(owner) = f.owner_id {
        conditions.push(format!("a.owner_department_id = ${}", next(&args)));
        args.add(owner).map_err(sqlx::Error::Encode)?;
    }
    if let Some(category) = f.category_id {
        conditions.push(format!("a.category_id = ${}", next(&args)));
        args.add(category).map_err(sqlx::Error::Encode)?;
    }
    if let Some(zone) = f.zone_id {
        conditions.push(format!("a.zone_id = ${}", next(&args)));
        args.add(zone).map_err(sqlx::Error::Encode)?;
    }
    let mut count = match counted {
        true => super::Count::InOrder,
        false => super::Count::BeyondCap,
    };
    let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(text) = text {
        // The categories whose name matches are found first (they are few), so that the
        // planner sees the real list of them: an unknown one makes it expect a quarter of
        // all assets to match and walk them all in id order looking for a rare name. Name,
        // model and serial number are then matched through their trigram index (three
        // characters or more), the EPC as `epc_match` says.
        let escaped = escape_like(text);
        let categories: Vec<i64> = sqlx::query_scalar(
            "select id from categories where name ilike '%' || $1 || '%' order by id",
        )
        .bind(&escaped)
        .fetch_all(&mut *conn)
        .await?;
        let mut any = Vec::new();
        // Whether the name, model and serial matches are among `any`'s ids already.
        let mut named_by_id = false;
        match epc_match(text) {
            EpcMatch::None => {}
            EpcMatch::Anywhere(hex) => {
                let h = next(&args);
                args.add(hex).map_err(sqlx::Error::Encode)?;
                any.push(format!("a.epc like '%' || ${h} || '%'"));
            }
            EpcMatch::Ends { start, end } => {
                // The matching assets are found first, when they are few (a pasted EPC, or
                // the serial at its end, and the names, models and serials holding those
                // digits), so that the planner sees how few: it cannot tell from its
                // statistics that a range of EPCs is a block of adjacent ids, and would walk
                // the ids from the first looking for them.
                // Each end from its own B-tree alone (an index-only scan each; an `or` of
                // the two would read every match's row for its id).
                let mut ids: Vec<i64> = sqlx::query_scalar(&format!(
                    "(select id from assets where epc collate \"C\" >= $1 and epc collate \"C\" < $2 limit {max})
                     union
                     (select id from assets where reverse(epc) collate \"C\" >= $3 and reverse(epc) collate \"C\" < $4 limit {max})",
                    max = EPC_IDS_MAX + 1
                ))
                .bind(&start.0)
                .bind(&start.1)
                .bind(&end.0)
                .bind(&end.1)
                .fetch_all(&mut *conn)
                .await?;
                if ids.len() <= EPC_IDS_MAX {
                    let named: Vec<i64> = sqlx::query_scalar(&format!(
                        "select a.id from assets a where {SEARCH_TEXT} ilike '%' || $1 || '%' limit {}",
                        EPC_IDS_MAX + 1
                    ))
                    .bind(&escaped)
                    .fetch_all(&mut *conn)
                    .await?;
                    if named.len() <= EPC_IDS_MAX {
                        ids.extend(named);
                        ids.sort_unstable();
                        ids.dedup();
                        named_by_id = true;
                        // The text alone, naming no category: these ids are every match.
                        let alone = conditions.is_empty()
                            && categories.is_empty()
                            && f.visible_to.is_none()
                            && f.department_id.is_none();
                        if alone && count == super::Count::InOrder {
                            count = super::Count::Known(ids.len() as i64);
                        }
                    }
                    if !ids.is_empty() {
                        let m = next(&args);
                        args.add(ids).map_err(sqlx::Error::Encode)?;
                        any.push(format!("a.id = any(${m})"));
                    }
                } else {
                    // Many (a site's prefix): they are everywhere in id order.
                    let h = next(&args);
                    for bound in [start.0, start.1, end.0, end.1] {
                        args.add(bound).map_err(sqlx::Error::Encode)?;
                    }
                    any.push(epc_ends_sql("a.", h));
                }
            }
        }
        if !named_by_id {
            let n = next(&args);
            args.add(&escaped).map_err(sqlx::Error::Encode)?;
            any.push(format!("{SEARCH_TEXT} ilike '%' || ${n} || '%'"));
        }
        if !categories.is_empty() {
            if conditions.is_empty() && f.visible_to.is_none() && f.department_id.is_none() {
                // The text alone: when the categories it names hold more assets than a list
                // counts, so do its matches, and the count (walking the ids and testing each
                // asset's name, 17 ms for a category name in a million assets) is not needed.
                let held: i64 = sqlx::query_scalar(
                    "select coalesce(sum(assets), 0)::bigint from asset_tallies where category_id = any($1)",
                )
                .bind(&categories)
                .fetch_one(&mut *conn)
                .await?;
                if held > super::COUNT_CAP {
                    count = super::Count::BeyondCap;
                }
            }
            let m = next(&args);
            args.add(categories).map_err(sqlx::Error::Encode)?;
            any.push(format!("a.category_id = any(${m})"));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        conditions.push(format!("({})", any.join(" or ")));
    }
    if let Some(department) = f.visible_to {
        let n = next(&args);
        conditions.push(format!(
            "(a.state in ('in_stock', 'listed') or a.owner_department_id = ${n} or a.holder_department_id = ${n})"
        ));
        args.add(department).map_err(sqlx::Error::Encode)?;
    }
    let mut select = std::borrow::Cow::Borrowed(SELECT);
    if let Some(department) = f.department_id {
        // A department's assets (owned or held) are two lists, each walked in id order
        // through its own index (`assets_owner_idx`, `assets_holder_idx`) with every other
        // filter and only as far as a page (or the capped count) can need, then merged: an
        // `or` of the two, or a union filtered after, would gather and sort them all.
        let n = next(&args);
        args.add(department).map_err(sqlx::Error::Encode)?;
        if let Some(after) = window.after {
            conditions.push(format!("a.id > ${}", next(&args)));
            args.add(after).map_err(sqlx::Error::Encode)?;
        }
        let reach = window
            .offset()
            .saturating_add(window.limit())
            .saturating_add(1)
            .max(super::COUNT_CAP + 1);
        let rest: String = conditions.iter().map(|c| format!(" and {c}")).collect();
        let rows = SELECT
            .strip_suffix("from assets a")
            .expect("the select ends with its table");
        select = format!(
            "{rows}from ((select * from assets a where a.owner_department_id = ${n}{rest}
                          order by a.id limit {reach})
                         union all
                         (select * from assets a where a.holder_department_id = ${n}
                                  and a.owner_department_id is distinct from ${n}{rest}
                          order by a.id limit {reach})) a"
        )
        .into();
        conditions.clear();
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("where {}", conditions.join(" and "))
    };
    let (items, total): (Vec<Asset>, super::Total) =
        super::page_counted(conn, &select, &filter, "a.id", args, window, count).await?;
    Ok((items.into_iter().map(Asset::with_tag_uri).collect(), total))
}

/// A department's own asset as the virtual depot's export gives it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnAsset {
    pub id: i64,
    pub epc: String,
    pub name: String,
    pub category: String,
    pub state: AssetState,
    pub original_value_fen: i64,
    /// Offered back to the depot, not yet taken in.
    pub handed_in: bool,
}

/// Which of a department's own assets: the department (none: nothing), a category, a state.
#[derive(Debug, Default, Clone, Copy)]
pub struct OwnFilter {
    pub owner_id: Option<i64>,
    pub category_id: Option<i64>,
    pub state: Option<AssetState>,
}

/// Every asset `filter`'s department owns, of its category and state, in id order (the
/// virtual depot's list), as they come (from `assets_owner_idx`; for the export).
pub fn own_rows(conn: &mut PgConnection, filter: OwnFilter) -> super::Rows<'_, OwnAsset> {
    const SQL: &str = "select a.id, a.epc, a.name,
            (select c.name from categories c where c.id = a.category_id) as category, a.state,
            a.original_value_fen, exists (select 1 from hand_ins h where h.asset_id = a.id) as handed_in
         from assets a
         where a.owner_department_id = $1 and ($2::bigint is null or a.category_id = $2)
           and ($3::asset_state is null or a.state = $3)
         order by a.id";
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, filter.owner_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.category_id))
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.state));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL, args)
}

/// The text free text is matched against besides the EPC: name, model and serial number
/// (`assets_text_trgm_idx` is over this very expression).
const SEARCH_TEXT: &str = "(a.name || ' ' || a.model || ' ' || a.serial_number)";

/// Hex digits this many or more are looked for at the start or end of EPCs (a pasted EPC,
/// its first digits, or the serial at its end), through B-trees; fewer, anywhere in them.
pub const EPC_ENDS_MIN: usize = 8;

/// At most this many assets matched by their EPC's ends (and as many by name, model and
/// serial with them) are looked up by id; more are matched in the list's own walk.
const EPC_IDS_MAX: usize = 5_000;

/// EPCs (of the table behind `alias`: `"a."` or `""`) within the byte-order range of
/// parameters `$first`, `$first+1`, or whose reverse is within `$first+2`, `$first+3`.
fn epc_ends_sql(alias: &str, first: usize) -> String {
    let (a, b, c, d) = (first, first + 1, first + 2, first + 3);
    format!(
        "(({alias}epc collate \"C\" >= ${a} and {alias}epc collate \"C\" < ${b}) \
         or (reverse({alias}epc) collate \"C\" >= ${c} and reverse({alias}epc) collate \"C\" < ${d}))"
    )
}

/// How free text matches EPCs.
#[derive(Debug, PartialEq, Eq)]
enum EpcMatch {
    /// Not hex, or shorter than a trigram: no EPC holds it.
    None,
    /// 3 to 7 hex digits, upper case: anywhere in the EPC (its trigram index).
    Anywhere(String),
    /// The byte-order ranges of EPCs that start with the digits, and of reversed EPCs that
    /// start with them reversed (that is, EPCs that end with them).
    Ends {
        start: (String, String),
        end: (String, String),
    },
}

fn epc_match(text: &str) -> EpcMatch {
    if text.len() < 3 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return EpcMatch::None;
    }
    let hex = text.to_ascii_uppercase();
    if hex.len() < EPC_ENDS_MIN {
        return EpcMatch::Anywhere(hex);
    }
    // Every string that starts with `p` lies in [p, p with its last byte raised by one).
    let range = |p: String| {
        let mut upper = p.clone().into_bytes();
        *upper.last_mut().expect("not empty") += 1;
        (p, String::from_utf8(upper).expect("hex digits stay ASCII"))
    };
    let reversed: String = hex.chars().rev().collect();
    EpcMatch::Ends {
        start: range(hex),
        end: range(reversed),
    }
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

/// Corrections to an asset's register entry; `None` leaves a field as it is.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetChange {
    #[schema(value_type = Option<crate::domain::bounds::FilledText>)]
    pub name: Option<Text>,
    pub category_id: Option<i64>,
    pub original_value_fen: Option<Fen>,
    pub acquired_on: Option<Day>,
    pub notes: Option<Note>,
    pub model: Option<Text>,
    pub serial_number: Option<Text>,
    pub supplier: Option<Text>,
    pub acquisition_method: Option<AcquisitionMethod>,
    pub funding_source: Option<Text>,
    pub finance_card_no: Option<Text>,
    pub useful_life_months: Option<Months>,
}

/// Correct an asset's register entry and log what changed (never its state: that changes
/// only through actions and orders).
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    change: &AssetChange,
    ctx: &Context,
) -> Result<Asset> {
    let done = sqlx::query(
        "update assets set name = coalesce($2, name), category_id = coalesce($3, category_id),
            original_value_fen = coalesce($4, original_value_fen), acquired_on = coalesce($5, acquired_on),
            notes = coalesce($6, notes), model = coalesce($7, model), serial_number = coalesce($8, serial_number),
            supplier = coalesce($9, supplier), acquisition_method = coalesce($10, acquisition_method),
            funding_source = coalesce($11, funding_source), finance_card_no = coalesce($12, finance_card_no),
            useful_life_months = coalesce($13, useful_life_months), updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(&change.name)
    .bind(change.category_id)
    .bind(change.original_value_fen)
    .bind(change.acquired_on)
    .bind(&change.notes)
    .bind(change.model.as_deref().map(str::trim))
    .bind(change.serial_number.as_deref().map(str::trim))
    .bind(change.supplier.as_deref().map(str::trim))
    .bind(change.acquisition_method)
    .bind(change.funding_source.as_deref().map(str::trim))
    .bind(change.finance_card_no.as_deref().map(str::trim))
    .bind(change.useful_life_months.map(Months::as_i32))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("asset {id}")));
    }
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({
        "name": change.name,
        "category_id": change.category_id,
        "original_value_fen": change.original_value_fen,
        "acquired_on": change.acquired_on,
        "model": change.model,
        "serial_number": change.serial_number,
        "supplier": change.supplier,
        "acquisition_method": change.acquisition_method,
        "funding_source": change.funding_source,
        "finance_card_no": change.finance_card_no,
        "useful_life_months": change.useful_life_months,
    });
    events::record_asset_note(conn, id, "edit", &ctx).await?;
    get(conn, id).await
}

/// Move an asset in depot custody to another zone: no change of state, but logged with
/// where it was and where it is now.
pub async fn relocate(
    conn: &mut PgConnection,
    id: i64,
    zone_id: Option<i64>,
    ctx: &Context,
) -> Result<()> {
    let (state, from_zone): (AssetState, Option<i64>) =
        sqlx::query_as("select state, zone_id from assets where id = $1 for no key update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .or_not_found(|| format!("asset {id}"))?;
    if !matches!(
        state,
        AssetState::InStock
            | AssetState::Reserved
            | AssetState::InRepair
            | AssetState::PendingDisposal
    ) {
        return Err(Error::Conflict(format!(
            "asset {id} is {state}: only assets in depot custody can be relocated"
        )));
    }
    put(conn, id, zone_id).await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({ "from_zone_id": from_zone, "to_zone_id": zone_id });
    events::record_asset_note(conn, id, "relocate", &ctx).await
}

/// Give an asset a new tag: its EPC becomes `epc` (a fresh GIAI-96 under `company_prefix`
/// when none is given), and the old one is retired with it; the timeline keeps both. The
/// asset, its state and its orders stay as they were. A disposed asset keeps its EPC; an
/// EPC another asset carries is refused (409).
pub async fn retag(
    conn: &mut PgConnection,
    company_prefix: &str,
    id: i64,
    epc: Option<&str>,
    ctx: &Context,
) -> Result<Asset> {
    let (state, old): (AssetState, String) =
        sqlx::query_as("select state, epc from assets where id = $1 for no key update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .or_not_found(|| format!("asset {id}"))?;
    if state == AssetState::Disposed {
        return Err(Error::Conflict(format!(
            "asset {id} is disposed: it keeps the EPC it had"
        )));
    }
    let new = commission(conn, company_prefix, epc.map(str::trim)).await?;
    if new == old {
        return Err(Error::Conflict(format!(
            "asset {id} carries EPC {old} already: give another"
        )));
    }
    if let Some(other) = by_epc(conn, &new).await? {
        return Err(Error::Conflict(format!(
            "EPC {new} is asset {}'s ({})",
            other.id, other.name
        )));
    }
    sqlx::query("update assets set epc = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(&new)
        .execute(&mut *conn)
        .await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({ "old_epc": old, "new_epc": new });
    ctx.reason = if ctx.reason.trim().is_empty() {
        format!("EPC {old} → {new}")
    } else {
        format!("EPC {old} → {new}: {}", ctx.reason.trim())
    };
    events::record_asset_note(conn, id, "retag", &ctx).await?;
    get(conn, id).await
}

/// Where an asset now is, without a note (it arrived there with a logged change of state).
pub async fn put(conn: &mut PgConnection, id: i64, zone_id: Option<i64>) -> Result<()> {
    sqlx::query("update assets set zone_id = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(zone_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An allocated asset is `department`'s now: it owns and holds it, out of the depot's zones.
/// A virtual-depot listing belonged to the old owner; the new owner lists it anew if it wants.
pub async fn hand_over(conn: &mut PgConnection, id: i64, department: i64) -> Result<()> {
    sqlx::query(
        "update assets set owner_department_id = $2, holder_department_id = $2, zone_id = null,
            virtual_depot = false, updated_at = now()
         where id = $1",
    )
    .bind(id)
    .bind(department)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest `n` assets of a category still in stock.
pub async fn newest_in_stock(
    conn: &mut PgConnection,
    category_id: i64,
    n: i64,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select id from assets where category_id = $1 and state = 'in_stock' order by id desc limit $2",
    )
    .bind(category_id)
    .bind(n)
    .fetch_all(conn)
    .await?)
}

/// The depot takes an asset in from a department: it is the depot's now, at `zone_id` if given.
pub async fn take_in(conn: &mut PgConnection, id: i64, zone_id: Option<i64>) -> Result<()> {
    sqlx::query(
        "update assets set virtual_depot = false, holder_department_id = null, owner_department_id = null,
            zone_id = coalesce($2, zone_id) where id = $1",
    )
    .bind(id)
    .bind(zone_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Where an asset is and whose it is, in words: "warehouse · zone", owner, holder; and, when
/// the readers place it between its zone and another, both zones' names.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Whereabouts {
    pub place: Option<String>,
    pub zone: Option<String>,
    pub between_zone: Option<String>,
    pub owner: Option<String>,
    pub holder: Option<String>,
}

pub async fn whereabouts(conn: &mut PgConnection, id: i64) -> Result<Whereabouts> {
    Ok(sqlx::query_as(
        "select (select w.name || ' · ' || z.name from zones z join warehouses w on w.id = z.warehouse_id where z.id = a.zone_id) as place,
                (select z.name from zones z where z.id = a.zone_id) as zone,
                (select z.name from last_seen ls join zones z on z.id = ls.between_zone_id
                 where ls.epc = a.epc and ls.zone_id = a.zone_id) as between_zone,
                (select name from departments where id = a.owner_department_id) as owner,
                (select name from departments where id = a.holder_department_id) as holder
         from assets a where a.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

/// The ids of the assets carrying these EPCs.
pub async fn ids_by_epc(conn: &mut PgConnection, epcs: &[String]) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("select epc, id from assets where epc = any($1)")
            .bind(epcs)
            .fetch_all(conn)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_matches_epcs_by_their_ends_or_anywhere_when_short() {
        assert_eq!(epc_match("会议桌"), EpcMatch::None);
        assert_eq!(epc_match("item 12"), EpcMatch::None);
        assert_eq!(epc_match("af"), EpcMatch::None);
        assert_eq!(epc_match("0af12"), EpcMatch::Anywhere("0AF12".into()));
        assert_eq!(
            epc_match("3414a3f9"),
            EpcMatch::Ends {
                start: ("3414A3F9".into(), "3414A3F:".into()),
                end: ("9F3A4143".into(), "9F3A4144".into()),
            }
        );
    }
}
