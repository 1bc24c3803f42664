//! What a department can borrow: per category, how many assets are free for a period.
//! Reads only; reserving stays in [`super::orders::reserve`], which has the final word.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;

use super::Result;

/// One category of the catalogue with what is free for the chosen dates.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Offer {
    pub category_id: i64,
    pub code: String,
    pub name: String,
    /// Typical original value (the median of the category), in fen.
    pub value_fen: i64,
    /// Free in depot stock (`in_stock`) for the whole period.
    pub depot: i64,
    /// Free among other departments' virtual-depot listings (`listed`).
    pub listed: i64,
}

/// The filter: free text on category name or code, one category, and the period.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub text: Option<String>,
    pub category_id: Option<i64>,
    /// First and last day (inclusive); without them, today.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// The same rule as choosing assets at approval (`orders::choose`): an asset a loan may book
/// (`in_stock` or `listed`, or `reserved` or `on_loan` for another period), not the
/// department's own listing, and no live reservation keeping it from the period — one that
/// overlaps it, or a loan it is out on past its last day when the period starts today or
/// earlier. So the window decides, not today's shelf: next month counts the tables this
/// week's event has out. Counted as what the tallies hold in those states (`asset_tallies`,
/// kept by triggers) less the assets among them kept from the period: those late, per
/// category from `assets_out_until_idx` (`out_until`, the last day of the loan an asset is
/// out on, kept by the reservations trigger), and the others with a reservation overlapping
/// it (`reservations_live_period_idx`), so a view costs the same with a million assets as
/// with a hundred. The typical value comes from the figures refreshed in the background, or
/// for a category they do not cover yet (new since), from the category's own index.
pub async fn offers(
    conn: &mut PgConnection,
    department_id: Option<i64>,
    s: &Search,
) -> Result<Vec<Offer>> {
    let (from, to) = period(s.period);
    Ok(sqlx::query_as(
        "with stock as (
             select category_id, sum(assets) filter (where not virtual_depot) as depot,
                    sum(assets) filter (where virtual_depot) as listed
             from asset_tallies where state in ('in_stock', 'listed', 'reserved', 'on_loan')
               and not (virtual_depot and listed_by is not distinct from $1)
             group by category_id),
         late as (
             select a.category_id, count(*) filter (where not a.virtual_depot) as depot,
                    count(*) filter (where a.virtual_depot) as listed
             from assets a
             where a.out_until < depot_today() and $2::date <= depot_today()
               and a.state in ('in_stock', 'listed', 'reserved', 'on_loan')
               and not (a.virtual_depot and a.owner_department_id is not distinct from $1)
             group by a.category_id),
         busy as (
             select a.category_id, count(*) filter (where not a.virtual_depot) as depot,
                    count(*) filter (where a.virtual_depot) as listed
             from (select distinct r.asset_id from reservations r
                   where r.released_at is null
                     and r.period && tstzrange($2::date::timestamptz, $3::date::timestamptz, '[)')) k
             join assets a on a.id = k.asset_id
             where a.state in ('in_stock', 'listed', 'reserved', 'on_loan')
               and not (a.virtual_depot and a.owner_department_id is not distinct from $1)
               and not coalesce(a.out_until < depot_today() and $2::date <= depot_today(), false)
             group by a.category_id)
         select c.id as category_id, c.code, c.name,
            coalesce(f.typical_value_fen,
                     (select percentile_disc(0.5) within group (order by a.original_value_fen) from assets a where a.category_id = c.id),
                     0)::bigint as value_fen,
            (coalesce(s.depot, 0) - coalesce(b.depot, 0) - coalesce(l.depot, 0))::bigint as depot,
            (coalesce(s.listed, 0) - coalesce(b.listed, 0) - coalesce(l.listed, 0))::bigint as listed
         from categories c left join stock s on s.category_id = c.id left join busy b on b.category_id = c.id
         left join late l on l.category_id = c.id
         left join category_figures f on f.category_id = c.id
         where ($4::text is null or c.name ilike '%' || $4 || '%' or c.code ilike '%' || $4 || '%')
           and ($5::bigint is null or c.id = $5)
         order by c.name",
    )
    .bind(department_id)
    .bind(from)
    .bind(to)
    .bind(s.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(super::assets::escape_like))
    .bind(s.category_id)
    .fetch_all(conn)
    .await?)
}

/// A virtual-depot listing free for the period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Listing {
    pub asset_id: i64,
    pub name: String,
    pub category: String,
    pub owner: String,
    pub value_fen: i64,
}

/// Listings shown at a time.
pub const LISTINGS_PAGE: usize = 200;

/// A page of listings, and the cursor of the next one when more follow.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Listings {
    pub items: Vec<Listing>,
    /// The `after` that shows the next page; absent on the last.
    pub next: Option<i64>,
}

/// The listings free for the period, by category name then id: the first [`LISTINGS_PAGE`],
/// or those after listing `after` (the last one of the page before).
pub async fn listings(
    conn: &mut PgConnection,
    department_id: Option<i64>,
    s: &Search,
    after: Option<i64>,
) -> Result<Listings> {
    let (from, to) = period(s.period);
    let mut items: Vec<Listing> = sqlx::query_as(&format!(
        // Category by category in name order, each one's listings from its index
        // (`assets_listing_idx`: listed, or held or out for another period), so a page is
        // found without reading every listing. After a listing: its category's later ones,
        // then the categories after its category.
        "with cursor as (select c.name, c.id, a.id as asset from assets a join categories c on c.id = a.category_id
                         where a.id = $6)
         select a.id as asset_id, a.name, c.name as category, coalesce(d.name, '') as owner, a.original_value_fen as value_fen
         from (select id, name from categories
               where ($5::bigint is null or id = $5)
                 and ($6::bigint is null or (name, id) >= (select name, id from cursor))
               order by name, id) c
         cross join lateral (
             select a.id, a.name, a.owner_department_id, a.original_value_fen from assets a
             where a.category_id = c.id and a.virtual_depot and a.state in ('listed', 'reserved', 'on_loan')
               and a.owner_department_id is distinct from $1
               and ($6::bigint is null or c.id <> (select id from cursor) or a.id > $6)
               and not exists (select 1 from reservations r where r.asset_id = a.id and r.released_at is null
                               and {busy})
               and ($4::text is null or a.name ilike '%' || $4 || '%' or c.name ilike '%' || $4 || '%')
             order by a.id limit {limit}) a
         left join departments d on d.id = a.owner_department_id
         order by c.name, c.id, a.id limit {limit}",
        busy = super::orders::busy(2, 3),
        limit = LISTINGS_PAGE + 1,
    ))
    .bind(department_id)
    .bind(from)
    .bind(to)
    .bind(s.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(super::assets::escape_like))
    .bind(s.category_id)
    .bind(after)
    .fetch_all(conn)
    .await?;
    let more = items.len() > LISTINGS_PAGE;
    items.truncate(LISTINGS_PAGE);
    let next = more.then(|| items.last().map(|l| l.asset_id)).flatten();
    Ok(Listings { items, next })
}

/// Assets that are free for a period in the given categories, excluding `except`: what an
/// admin may pick from when adjusting an automatic choice.
pub async fn free_assets(
    conn: &mut PgConnection,
    category_ids: &[i64],
    department_id: i64,
    period: (NaiveDate, NaiveDate),
    except: &[i64],
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let (from, to) = super::orders::loan_period(period.0, period.1);
    Ok(sqlx::query_as(
        &format!(
            "select a.id, a.name, a.epc from assets a
             where a.category_id = any($1) and a.state in {states}
               and not (a.virtual_depot and a.owner_department_id = $2) and a.id <> all($3)
               and not exists (select 1 from reservations r where r.asset_id = a.id and r.released_at is null
                               and {busy})
             order by a.state <> 'in_stock' and a.state <> 'listed', a.virtual_depot, a.id limit $6",
            states = super::orders::bookable_states(super::events::OrderKind::Loan),
            busy = super::orders::BUSY,
        ),
    )
    .bind(category_ids)
    .bind(department_id)
    .bind(except)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

fn period(p: Option<(NaiveDate, NaiveDate)>) -> (NaiveDate, NaiveDate) {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = p.unwrap_or((today, today));
    super::orders::loan_period(from, to.max(from))
}

/// Categories, for filters and forms.
pub async fn categories(conn: &mut PgConnection) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("select id, name from categories order by name")
            .fetch_all(conn)
            .await?,
    )
}
