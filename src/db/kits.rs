//! Kits (套装): named sets of category quantities and specific assets ("conference for 50":
//! 50 chairs, 5 tables, 1 projector), requested as one loan line and booked part by part at
//! approval (`orders::choose`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::OrderKind;
use super::{delete_row, Error, OptionalExt, Result};
use crate::domain::bounds::{Note, Text};

/// The most parts a kit has, and the most of one category a part asks for.
pub const MAX_PARTS: usize = 50;
pub const MAX_PART_QUANTITY: i32 = 10_000;
/// The longest name of a kit, in characters.
pub const MAX_NAME_CHARS: usize = 200;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Kit {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub parts: Vec<Part>,
}

/// One part of a kit: `quantity` of a category, or one specific asset.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Part {
    pub category_id: Option<i64>,
    pub asset_id: Option<i64>,
    pub quantity: i32,
    /// The category's or the asset's name.
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPart {
    pub category_id: Option<i64>,
    pub asset_id: Option<i64>,
    #[serde(default = "one")]
    pub quantity: i32,
}

fn one() -> i32 {
    1
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKit {
    #[schema(value_type = crate::domain::bounds::ShortName)]
    pub name: Text,
    #[serde(default)]
    pub description: Note,
    #[schema(value_type = Vec<crate::http::shapes::KitPart>, min_items = 1, max_items = 50)]
    pub parts: Vec<NewPart>,
}

const STILL_USED: &str = "is named on loans; it cannot be deleted";

pub async fn list(conn: &mut PgConnection) -> Result<Vec<Kit>> {
    let mut kits: Vec<Kit> =
        sqlx::query_as("select id, name, description, created_at from kits order by name")
            .fetch_all(&mut *conn)
            .await?;
    for kit in &mut kits {
        kit.parts = parts(conn, kit.id).await?;
    }
    Ok(kits)
}

/// One page of the kits by name, each with its parts, and how many kits there are (counted
/// up to [`super::COUNT_CAP`]).
pub async fn page(
    conn: &mut PgConnection,
    window: super::Window,
) -> Result<(Vec<Kit>, super::Total)> {
    let (mut kits, total): (Vec<Kit>, _) = super::page(
        conn,
        "select id, name, description, created_at from kits",
        "",
        "name",
        args![],
        window,
    )
    .await?;
    let ids: Vec<i64> = kits.iter().map(|k| k.id).collect();
    let parts: Vec<KitPart> = sqlx::query_as(
        "select p.kit_id, p.category_id, p.asset_id, p.quantity, coalesce(c.name, a.name, '') as name
         from kit_parts p left join categories c on c.id = p.category_id left join assets a on a.id = p.asset_id
         where p.kit_id = any($1) order by p.kit_id, p.id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for kit in &mut kits {
        kit.parts = parts
            .iter()
            .filter(|p| p.kit_id == kit.id)
            .map(|p| p.part.clone())
            .collect();
    }
    Ok((kits, total))
}

/// A part with the kit it belongs to.
#[derive(sqlx::FromRow)]
struct KitPart {
    kit_id: i64,
    #[sqlx(flatten)]
    part: Part,
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Kit> {
    let mut kit: Kit =
        sqlx::query_as("select id, name, description, created_at from kits where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .or_not_found(|| format!("kit {id}"))?;
    kit.parts = parts(conn, id).await?;
    Ok(kit)
}

pub async fn parts(conn: &mut PgConnection, kit_id: i64) -> Result<Vec<Part>> {
    Ok(sqlx::query_as(
        "select p.category_id, p.asset_id, p.quantity, coalesce(c.name, a.name, '') as name
         from kit_parts p left join categories c on c.id = p.category_id left join assets a on a.id = p.asset_id
         where p.kit_id = $1 order by p.id",
    )
    .bind(kit_id)
    .fetch_all(conn)
    .await?)
}

pub async fn create(conn: &mut PgConnection, new: &NewKit) -> Result<Kit> {
    let name = new.name.as_str().trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::Invalid(format!(
            "a kit's name has 1 to {MAX_NAME_CHARS} characters (name)"
        )));
    }
    if new.parts.is_empty() || new.parts.len() > MAX_PARTS {
        return Err(Error::Invalid(format!(
            "a kit has 1 to {MAX_PARTS} parts (parts)"
        )));
    }
    for part in &new.parts {
        if part.category_id.is_some() == part.asset_id.is_some() {
            return Err(Error::Invalid(
                "each part names either a category_id (with a quantity) or one asset_id".into(),
            ));
        }
        if !(1..=MAX_PART_QUANTITY).contains(&part.quantity)
            || (part.asset_id.is_some() && part.quantity != 1)
        {
            return Err(Error::Invalid(format!(
                "a part's quantity is 1 to {MAX_PART_QUANTITY}, and exactly 1 for a specific asset"
            )));
        }
    }
    let id: i64 =
        sqlx::query_scalar("insert into kits (name, description) values ($1, $2) returning id")
            .bind(name)
            .bind(new.description.trim())
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "insert into kit_parts (kit_id, category_id, asset_id, quantity)
         select $1, * from unnest($2::bigint[], $3::bigint[], $4::int[])",
    )
    .bind(id)
    .bind(new.parts.iter().map(|p| p.category_id).collect::<Vec<_>>())
    .bind(new.parts.iter().map(|p| p.asset_id).collect::<Vec<_>>())
    .bind(new.parts.iter().map(|p| p.quantity).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    get(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<()> {
    delete_row(conn, "kits", id, &format!("kit {id}"), STILL_USED).await
}

/// A kit in the catalogue: how many whole kits can be borrowed for the window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KitOffer {
    pub kit_id: i64,
    pub name: String,
    pub available: i64,
}

/// Whether each of these specific assets can be booked for a loan of `department_id` over
/// the dates (first and last day): approval's rule.
pub async fn assets_free(
    conn: &mut PgConnection,
    asset_ids: &[i64],
    department_id: Option<i64>,
    dates: (NaiveDate, NaiveDate),
) -> Result<Vec<i64>> {
    let (from, to) = super::orders::loan_period(dates.0, dates.1);
    Ok(sqlx::query_scalar(&format!(
        "select a.id from assets a
         where a.id = any($1) and a.state in {states}
           and not (a.virtual_depot and a.owner_department_id is not distinct from $2)
           and not exists (select 1 from reservations r where r.asset_id = a.id and r.released_at is null
                           and {busy})",
        states = super::orders::bookable_states(OrderKind::Loan),
        busy = super::orders::busy(3, 4),
    ))
    .bind(asset_ids)
    .bind(department_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
