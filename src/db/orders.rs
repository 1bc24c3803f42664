//! What loans and transfers share: request lines, choosing assets, reservations.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context, OrderKind};
use super::{Error, OptionalExt, Result};
use crate::domain::lifecycle::orders::{
    check, CompensationStatus, DisposalStatus, IntakeStatus, LoanStatus, RentalStatus,
    TransferStatus, COMPENSATION_ACTIONS, DISPOSAL_ACTIONS, INTAKE_ACTIONS, LOAN_ACTIONS,
    RENTAL_ACTIONS, TRANSFER_ACTIONS,
};
use crate::domain::lifecycle::{AssetAction, AssetState};

/// The status of one kind of paperwork, and where its orders and its status table are.
pub trait Paperwork:
    Copy
    + PartialEq
    + std::fmt::Display
    + Send
    + Unpin
    + sqlx::Type<sqlx::Postgres>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + for<'q> sqlx::Encode<'q, sqlx::Postgres>
    + 'static
{
    /// What a person calls one ("loan"), for messages.
    const KIND: &'static str;
    /// Which paperwork it is in the event log.
    const ORDER: OrderKind;
    const TABLE: &'static str;
    /// Each action and the statuses it may start from (`domain::lifecycle::orders`).
    const ACTIONS: &'static [(&'static str, &'static [Self])];
}

macro_rules! paperwork {
    ($($status:ty => $order:ident, $kind:literal in $table:literal, $actions:path;)+) => {$(
        impl Paperwork for $status {
            const KIND: &'static str = $kind;
            const ORDER: OrderKind = OrderKind::$order;
            const TABLE: &'static str = $table;
            const ACTIONS: &'static [(&'static str, &'static [Self])] = $actions;
        }
    )+};
}

paperwork! {
    LoanStatus => Loan, "loan" in "loans", LOAN_ACTIONS;
    TransferStatus => Transfer, "transfer" in "transfers", TRANSFER_ACTIONS;
    DisposalStatus => Disposal, "disposal" in "disposals", DISPOSAL_ACTIONS;
    IntakeStatus => Intake, "intake" in "intakes", INTAKE_ACTIONS;
    CompensationStatus => Compensation, "compensation case" in "compensations", COMPENSATION_ACTIONS;
    RentalStatus => Rental, "rental" in "rentals", RENTAL_ACTIONS;
}

/// Lock one order for the rest of the transaction and check that `action` may start from its
/// status; returns the status.
pub async fn lock<S: Paperwork>(
    conn: &mut PgConnection,
    id: i64,
    action: &'static str,
) -> Result<S> {
    let status: S = sqlx::query_scalar(&format!(
        "select status from {} where id = $1 for update",
        S::TABLE
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("{} {id}", S::KIND))?;
    check(S::ACTIONS, S::KIND, id, action, status)?;
    Ok(status)
}

/// Write a loan's or a transfer's new status (who decided, when, and why, for a decision) and
/// log the change.
pub async fn set_status<S: Paperwork>(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    from: S,
    to: S,
    ctx: &Context,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let decided = matches!(action, "approve" | "reject" | "sign_off" | "refuse");
    sqlx::query(&format!(
        "update {} set status = $2, updated_at = now(),
            decided_by = case when $3 then $4 else decided_by end,
            decided_at = case when $3 then now() else decided_at end,
            reason = case when $5 <> '' then $5 else reason end
         where id = $1",
        S::TABLE
    ))
    .bind(id)
    .bind(to)
    .bind(decided)
    .bind(ctx.actor)
    .bind(&ctx.reason)
    .execute(&mut *conn)
    .await?;
    events::record_order(
        conn,
        S::ORDER,
        id,
        action,
        Some(&from.to_string()),
        &to.to_string(),
        ctx,
    )
    .await
}

/// Reject a requested loan or transfer: the reason is required and kept on it.
pub async fn reject<S: Paperwork>(
    conn: &mut PgConnection,
    id: i64,
    rejected: S,
    ctx: &Context,
) -> Result<()> {
    let status: S = lock(conn, id, "reject").await?;
    if ctx.reason.trim().is_empty() {
        return Err(Error::Invalid("give a reason for rejecting".into()));
    }
    set_status(conn, id, "reject", status, rejected, ctx).await
}

/// Cancel a loan or a transfer before anything is handed over: what it holds goes back.
pub async fn cancel<S: Paperwork>(
    conn: &mut PgConnection,
    id: i64,
    cancelled: S,
    ctx: &Context,
) -> Result<()> {
    let status: S = lock(conn, id, "cancel").await?;
    let ctx = ctx.clone().order(S::ORDER, id);
    release_unissued(conn, S::ORDER, id, &ctx).await?;
    set_status(conn, id, "cancel", status, cancelled, &ctx).await
}

/// One line of a request: `quantity` of a category, one specific asset, or (a loan)
/// `quantity` of a kit.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Given by the depot: a request refuses one.
    #[serde(default, deserialize_with = "no_line_id")]
    #[schema(read_only)]
    pub id: i64,
    pub category_id: Option<i64>,
    pub asset_id: Option<i64>,
    /// A kit (loans only): its parts are booked together at approval.
    #[serde(default)]
    pub kit_id: Option<i64>,
    #[serde(default = "one")]
    pub quantity: i32,
}

/// The most lines a request has, and the most of one category or kit a line asks for.
pub const MAX_LINES: usize = 200;
pub const MAX_QUANTITY: i32 = 10_000;

fn one() -> i32 {
    1
}

fn no_line_id<'de, D: serde::Deserializer<'de>>(_: D) -> Result<i64, D::Error> {
    Err(serde::de::Error::custom(
        "a line's id is given by the depot: leave it out",
    ))
}

/// An asset held for an order, and what became of it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Reserved {
    pub asset_id: i64,
    pub epc: String,
    pub name: String,
    pub state: AssetState,
    pub issued_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    /// fine, damaged or missing (at return)
    pub condition: Option<String>,
    pub released_at: Option<DateTime<Utc>>,
    /// The loan line it was booked for (a kit's parts share their kit's line).
    pub line_id: Option<i64>,
}

pub fn lines_table(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Loan => "loan_lines",
        OrderKind::Transfer => "transfer_lines",
        _ => unreachable!("only loans and transfers have lines"),
    }
}

fn order_column(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Loan => "loan_id",
        OrderKind::Transfer => "transfer_id",
        _ => unreachable!("only loans and transfers have lines"),
    }
}

pub fn check_lines(kind: OrderKind, lines: &[Line]) -> Result<()> {
    if lines.is_empty() {
        return Err(Error::Invalid("a request needs at least one line".into()));
    }
    if lines.len() > MAX_LINES {
        return Err(Error::Invalid(format!(
            "a request has at most {MAX_LINES} lines"
        )));
    }
    for line in lines {
        let named = [
            line.category_id.is_some(),
            line.asset_id.is_some(),
            line.kit_id.is_some(),
        ];
        if named.iter().filter(|&&n| n).count() != 1 {
            return Err(Error::Invalid(
                "each line names either a category_id (with a quantity), one asset_id, or a kit_id (with a quantity)".into(),
            ));
        }
        if line.kit_id.is_some() && kind != OrderKind::Loan {
            return Err(Error::Invalid("only a loan is requested by kit".into()));
        }
        if !(1..=MAX_QUANTITY).contains(&line.quantity)
            || (line.asset_id.is_some() && line.quantity != 1)
        {
            return Err(Error::Invalid(format!(
                "quantity must be 1 to {MAX_QUANTITY}, and exactly 1 for a specific asset"
            )));
        }
    }
    Ok(())
}

pub async fn insert_lines(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    lines: &[Line],
) -> Result<()> {
    let sql = format!(
        "insert into {} ({}, category_id, asset_id, quantity{}) select $1, * from unnest($2::bigint[], $3::bigint[], $4::int[]{})",
        lines_table(kind),
        order_column(kind),
        if kind == OrderKind::Loan { ", kit_id" } else { "" },
        if kind == OrderKind::Loan { ", $5::bigint[]" } else { "" },
    );
    let mut query = sqlx::query(&sql)
        .bind(order_id)
        .bind(lines.iter().map(|l| l.category_id).collect::<Vec<_>>())
        .bind(lines.iter().map(|l| l.asset_id).collect::<Vec<_>>())
        .bind(lines.iter().map(|l| l.quantity).collect::<Vec<_>>());
    if kind == OrderKind::Loan {
        query = query.bind(lines.iter().map(|l| l.kit_id).collect::<Vec<_>>());
    }
    query.execute(conn).await?;
    Ok(())
}

pub async fn lines(conn: &mut PgConnection, kind: OrderKind, order_id: i64) -> Result<Vec<Line>> {
    Ok(sqlx::query_as(&format!(
        "select id, category_id, asset_id, {} as kit_id, quantity from {} where {} = $1 order by id",
        if kind == OrderKind::Loan {
            "kit_id"
        } else {
            "null::bigint"
        },
        lines_table(kind),
        order_column(kind)
    ))
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

pub async fn reserved(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
) -> Result<Vec<Reserved>> {
    Ok(sqlx::query_as(
        "select r.asset_id, a.epc, a.name, a.state, r.issued_at, r.returned_at, r.condition, r.released_at, r.line_id
         from reservations r join assets a on a.id = r.asset_id
         where r.order_kind = $1 and r.order_id = $2 order by r.id",
    )
    .bind(kind)
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// The period a loan holds its assets: from the start of its first day to the end of its last.
pub fn loan_period(starts_on: NaiveDate, ends_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    (starts_on, ends_on.succ_opt().unwrap_or(ends_on))
}

/// Choose assets for an approved order and reserve them. `explicit` (an admin's adjustment)
/// replaces the automatic choice. The exclusion constraint on `reservations` is the final
/// word: two approvals racing for one asset cannot both succeed.
#[allow(clippy::too_many_arguments)]
pub async fn reserve(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    department_id: i64,
    period: (Option<NaiveDate>, Option<NaiveDate>),
    explicit: Option<&[i64]>,
    ctx: &Context,
) -> Result<Vec<i64>> {
    let booked: Vec<(i64, Option<i64>)> = match explicit {
        Some([]) => return Err(Error::Invalid("choose at least one asset".into())),
        Some(ids) => {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            line_of(conn, kind, order_id, ids).await?
        }
        None => {
            let (booked, short) = choose(conn, kind, order_id, department_id, period).await?;
            if let Some(first) = short.into_iter().next() {
                return Err(Error::Conflict(first));
            }
            booked
        }
    };
    let chosen: Vec<i64> = booked.iter().map(|&(asset, _)| asset).collect();
    if kind == OrderKind::Loan {
        // Overlapping bookings the exclusion constraint refuses; an asset out past its last
        // day overlaps nothing on paper, but it is not back for a period starting now.
        let late: Option<(i64, OrderKind, i64)> = sqlx::query_as(
            "select r.asset_id, r.order_kind, r.order_id from reservations r
             where r.asset_id = any($1) and r.released_at is null
               and r.issued_at is not null and r.returned_at is null and upper(r.period) <= now()
               and $2::date <= depot_today()
             order by r.asset_id limit 1",
        )
        .bind(&chosen)
        .bind(period.0)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((asset_id, holder, holder_id)) = late {
            return Err(Error::Conflict(format!(
                "asset {asset_id} is not free for those dates: it is still out on {} {holder_id}, past its last day",
                holder.as_str()
            )));
        }
    }
    for &(asset_id, line_id) in &booked {
        book(conn, kind, asset_id, ctx).await?;
        sqlx::query(
            "insert into reservations (asset_id, order_kind, order_id, period, line_id)
             values ($1, $2, $3, tstzrange($4::date::timestamptz, $5::date::timestamptz, '[)'), $6)",
        )
        .bind(asset_id)
        .bind(kind)
        .bind(order_id)
        .bind(period.0)
        .bind(period.1)
        .bind(line_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(chosen)
}

/// What approval would reserve right now, without reserving it: the automatic choice an
/// admin sees, and may adjust, before approving. Where stock falls short, what there is, and
/// a word for each shortfall (the admin may approve the part and rent the rest).
pub async fn proposal(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    department_id: i64,
    period: (Option<NaiveDate>, Option<NaiveDate>),
) -> Result<(Vec<i64>, Vec<String>)> {
    let (booked, short) = choose(conn, kind, order_id, department_id, period).await?;
    Ok((booked.into_iter().map(|(asset, _)| asset).collect(), short))
}

/// The loan lines assets an admin chose themselves are booked for: the line naming the
/// asset, else the first line (or kit line) asking for its category; none for a transfer.
async fn line_of(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    ids: Vec<i64>,
) -> Result<Vec<(i64, Option<i64>)>> {
    if kind != OrderKind::Loan {
        return Ok(ids.into_iter().map(|id| (id, None)).collect());
    }
    Ok(sqlx::query_as(
        "select a.id, (select l.id from loan_lines l
                       left join kit_parts p on p.kit_id = l.kit_id
                       where l.loan_id = $2
                         and (l.asset_id = a.id or l.category_id = a.category_id
                              or p.asset_id = a.id or p.category_id = a.category_id)
                       order by (l.asset_id = a.id or p.asset_id = a.id) is not true, l.id limit 1)
         from unnest($1::bigint[]) with ordinality as i(id, n) join assets a on a.id = i.id
         order by i.n",
    )
    .bind(&ids)
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// The automatic choice for an order's lines: the assets free for the period, each with its
/// line, and a word for each category that falls short (its free assets are still chosen).
async fn choose(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    department_id: i64,
    period: (Option<NaiveDate>, Option<NaiveDate>),
) -> Result<(Vec<(i64, Option<i64>)>, Vec<String>)> {
    let mut chosen: Vec<i64> = Vec::new();
    let mut booked: Vec<(i64, Option<i64>)> = Vec::new();
    let mut short: Vec<String> = Vec::new();
    let for_line = |line: i64| (kind == OrderKind::Loan).then_some(line);
    // A kit's parts are asked for as lines of their own: the kit's quantity of each.
    let mut wanted: Vec<(i64, Option<i64>, Option<i64>, i32)> = Vec::new();
    for line in lines(conn, kind, order_id).await? {
        match line.kit_id {
            Some(kit_id) => {
                for part in super::kits::parts(conn, kit_id).await? {
                    if part.asset_id.is_some() && line.quantity != 1 {
                        return Err(Error::Invalid(format!(
                            "kit {kit_id} holds a specific asset: ask for one of it at a time"
                        )));
                    }
                    wanted.push((
                        line.id,
                        part.category_id,
                        part.asset_id,
                        part.quantity.saturating_mul(line.quantity),
                    ));
                }
            }
            None => wanted.push((line.id, line.category_id, line.asset_id, line.quantity)),
        }
    }
    for (line_id, category_id, asset_id, quantity) in wanted {
        if let Some(asset_id) = asset_id {
            if chosen.contains(&asset_id) {
                return Err(Error::Conflict(format!(
                    "asset {asset_id} is asked for twice"
                )));
            }
            chosen.push(asset_id);
            booked.push((asset_id, for_line(line_id)));
            continue;
        }
        let category_id = category_id.expect("a line names a category or an asset");
        // Depot stock first, then other departments' virtual-depot listings; never lend a
        // department its own listed asset. Rows another approval is holding are skipped; rows
        // a fact or a sighting being stored merely refers to are not (`no key update` does not
        // conflict with the key-share lock a foreign key takes).
        // A loan books ahead: an asset out on an earlier loan or held for one is free for
        // the period as long as none of its live reservations keeps it ([`BUSY`]); idle ones
        // first. A transfer is for good: only what is idle now, with no booking at all.
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "select a.id from assets a
             where a.category_id = $1 and a.state in {states}
               and not (a.virtual_depot and a.owner_department_id = $2)
               and a.id <> all($3)
               and not exists (select 1 from reservations r where r.asset_id = a.id and r.released_at is null
                               and {BUSY})
             order by a.state <> 'in_stock' and a.state <> 'listed', a.virtual_depot, a.id
             limit $6 for no key update of a skip locked",
            states = bookable_states(kind),
        ))
        .bind(category_id)
        .bind(department_id)
        .bind(&chosen)
        .bind(period.0)
        .bind(period.1)
        .bind(quantity as i64)
        .fetch_all(&mut *conn)
        .await?;
        if ids.len() < quantity as usize {
            let name: String = sqlx::query_scalar("select name from categories where id = $1")
                .bind(category_id)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or_else(|| format!("category {category_id}"));
            short.push(format!(
                "only {} of the {} {name} asked for are available for those dates",
                ids.len(),
                quantity
            ));
        }
        booked.extend(ids.iter().map(|&id| (id, for_line(line_id))));
        chosen.extend(ids);
    }
    Ok((booked, short))
}

/// The assets booked on these lines of a loan and still waiting to be issued: a kit's
/// parts, to issue as a unit.
pub async fn waiting_on_lines(
    conn: &mut PgConnection,
    loan_id: i64,
    line_ids: &[i64],
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select asset_id from reservations where order_kind = 'loan' and order_id = $1
         and line_id = any($2) and issued_at is null and released_at is null order by asset_id",
    )
    .bind(loan_id)
    .bind(line_ids)
    .fetch_all(conn)
    .await?)
}

/// The approved loan or transfer an asset is reserved for and not yet handed over on, if any:
/// what a gate passage out issues it on.
pub async fn waiting_order(
    conn: &mut PgConnection,
    asset_id: i64,
) -> Result<Option<(OrderKind, i64)>> {
    Ok(sqlx::query_as(
        "select r.order_kind, r.order_id from reservations r
         left join loans l on r.order_kind = 'loan' and l.id = r.order_id
         left join transfers t on r.order_kind = 'transfer' and t.id = r.order_id
         where r.asset_id = $1 and r.released_at is null and r.issued_at is null
           and (l.status in ('approved', 'partially_issued') or t.status = 'approved')
         order by lower(r.period) nulls first, r.id
         limit 1",
    )
    .bind(asset_id)
    .fetch_optional(conn)
    .await?)
}

/// Whether any of these assets is reserved on an order not yet handed over.
pub async fn any_waiting(conn: &mut PgConnection, asset_ids: &[i64]) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from reservations
         where asset_id = any($1) and released_at is null and issued_at is null)",
    )
    .bind(asset_ids)
    .fetch_one(conn)
    .await?)
}

/// The loan an asset is out on, if any: what a gate passage in returns it on.
pub async fn out_on_loan(conn: &mut PgConnection, asset_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "select order_id from reservations where asset_id = $1 and order_kind = 'loan'
         and issued_at is not null and returned_at is null limit 1",
    )
    .bind(asset_id)
    .fetch_optional(conn)
    .await?)
}

/// Let go of every asset an order still holds without having issued it. An asset that left
/// `reserved` meanwhile (found damaged, marked lost) keeps its state; only its hold ends.
pub async fn release_unissued(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    ctx: &Context,
) -> Result<usize> {
    let held: Vec<(i64, AssetState)> = sqlx::query_as(
        "with released as (
             update reservations set released_at = now()
             where order_kind = $1 and order_id = $2 and issued_at is null and released_at is null returning asset_id)
         select a.id, a.state from released r join assets a on a.id = r.asset_id order by a.id",
    )
    .bind(kind)
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for &(asset_id, state) in &held {
        unbook(conn, asset_id, state, ctx).await?;
    }
    Ok(held.len())
}

/// The states an order of `kind` may book an asset in: a loan also one held for or out on
/// another order (its bookings decide), a transfer only one idle now.
pub fn bookable_states(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Loan => "('in_stock', 'listed', 'reserved', 'on_loan')",
        _ => "('in_stock', 'listed')",
    }
}

/// When a live reservation `r` keeps its asset from a period `$4`..`$5` (dates, the end
/// exclusive): it overlaps the period, or the asset is out on it past its last day and the
/// period starts today or earlier (it is not back yet; a later period counts on its return,
/// and a collision is raised if it does not come).
pub const BUSY: &str = "(r.period && tstzrange($4::date::timestamptz, $5::date::timestamptz, '[)')
    or (r.issued_at is not null and r.returned_at is null and upper(r.period) <= now()
        and $4::date <= depot_today()))";

/// [`BUSY`] with the period's first and last dates as parameters `$from` and `$to`.
pub fn busy(from: u8, to: u8) -> String {
    BUSY.replace("$4", &format!("${from}"))
        .replace("$5", &format!("${to}"))
}

/// Hold an asset for a new booking of an order of `kind`: an idle one becomes `reserved`;
/// one already held for or out on an earlier loan keeps its state, the booking is noted in
/// its timeline, and it is held for this one when it comes back. Anything else is refused
/// as the lifecycle says.
async fn book(
    conn: &mut PgConnection,
    kind: OrderKind,
    asset_id: i64,
    ctx: &Context,
) -> Result<()> {
    let state: Option<AssetState> =
        sqlx::query_scalar("select state from assets where id = $1 for no key update")
            .bind(asset_id)
            .fetch_optional(&mut *conn)
            .await?;
    match state {
        Some(AssetState::Reserved | AssetState::OnLoan) if kind == OrderKind::Loan => {
            events::record_asset_note(conn, asset_id, "book", ctx).await?;
        }
        _ => {
            events::transition(conn, asset_id, AssetAction::Reserve, ctx).await?;
        }
    }
    Ok(())
}

/// An asset's booking on an order ended unissued: it goes back home unless another booking
/// still waits for it (then it stays held, and the end of this one is noted).
async fn unbook(
    conn: &mut PgConnection,
    asset_id: i64,
    state: AssetState,
    ctx: &Context,
) -> Result<()> {
    if state != AssetState::Reserved {
        return Ok(());
    }
    if next_booking(conn, asset_id).await?.is_some() {
        events::record_asset_note(conn, asset_id, "unbook", ctx).await?;
    } else {
        events::transition(conn, asset_id, AssetAction::Release, ctx).await?;
    }
    Ok(())
}

/// The soonest booking still waiting for an asset (not issued, not released): the order's
/// kind and id.
pub async fn next_booking(
    conn: &mut PgConnection,
    asset_id: i64,
) -> Result<Option<(OrderKind, i64)>> {
    Ok(sqlx::query_as(
        "select order_kind, order_id from reservations
         where asset_id = $1 and issued_at is null and released_at is null
         order by lower(period) nulls first, id limit 1",
    )
    .bind(asset_id)
    .fetch_optional(conn)
    .await?)
}

/// End one asset's booking on an order before it was issued (a swap): the reservation is
/// released, and the asset goes home unless another booking waits for it.
pub async fn release_one(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    asset_id: i64,
    ctx: &Context,
) -> Result<()> {
    let state: Option<AssetState> = sqlx::query_scalar(
        "with released as (
             update reservations set released_at = now()
             where order_kind = $1 and order_id = $2 and asset_id = $3 and issued_at is null and released_at is null
             returning asset_id)
         select a.state from released r join assets a on a.id = r.asset_id",
    )
    .bind(kind)
    .bind(order_id)
    .bind(asset_id)
    .fetch_optional(&mut *conn)
    .await?;
    let state = state.ok_or_else(|| {
        Error::Conflict(format!(
            "asset {asset_id} is not booked and waiting on {} {order_id}",
            kind.as_str()
        ))
    })?;
    unbook(conn, asset_id, state, ctx).await
}
