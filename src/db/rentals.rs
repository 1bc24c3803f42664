//! Market rentals (社会租用, "管理+租用") for a loan's shortfall: what a loan asks for and the
//! depot cannot supply from its stock is rented from a supplier. Ordered → received (the
//! keeper takes the rented items in) → returned (back to the supplier), or cancelled while
//! still ordered (`RENTAL_ACTIONS`); each change is logged under the rental's own order kind.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context, OrderKind};
use super::{orders, page, Error, OptionalExt, Result, Window};
use crate::domain::bounds::{Day, Fen, Note, Text};
use crate::domain::lifecycle::orders::{LoanStatus, RentalStatus};

const KIND: OrderKind = OrderKind::Rental;

/// The longest supplier's name, the most of a category one rental brings, the longest
/// rental (a year and a day), and the most rentals one loan has.
pub const MAX_SUPPLIER_CHARS: usize = 200;
pub const MAX_QUANTITY: i32 = orders::MAX_QUANTITY;
pub const MAX_DAYS: i64 = 366;
pub const MAX_PER_LOAN: i64 = 200;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Rental {
    pub id: i64,
    pub loan_id: i64,
    /// The loan's department: whose business the rental is.
    pub department_id: i64,
    pub department: String,
    pub supplier: String,
    pub category_id: i64,
    pub category: String,
    pub quantity: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Days rented, the first and the last included.
    pub days: i32,
    /// One item for one day, in fen.
    pub daily_price_fen: i64,
    /// What the rental costs in all, in fen.
    pub total_fen: i64,
    pub note: String,
    pub status: RentalStatus,
    pub created_by: i64,
    pub received_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

// Names are looked up per row (a page's worth), so that a list's `from` is the rentals alone.
const SELECT: &str = "select r.id, r.loan_id, r.department_id,
    (select d.name from departments d where d.id = r.department_id) as department,
    r.supplier, r.category_id, (select c.name from categories c where c.id = r.category_id) as category,
    r.quantity, r.starts_on, r.ends_on, (r.ends_on - r.starts_on + 1) as days,
    r.daily_price_fen, r.total_fen, r.note, r.status, r.created_by, r.received_at, r.returned_at,
    r.created_at, r.updated_at
    from rentals r";

/// A rental the admin records on a loan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRental {
    /// Who the items are rented from (at most 200 characters).
    #[schema(value_type = crate::domain::bounds::ShortName)]
    pub supplier: Text,
    /// What is rented: a category the loan asks for.
    pub category_id: i64,
    /// How many: 1 to 10,000.
    #[schema(minimum = 1, maximum = 10_000)]
    pub quantity: i32,
    pub starts_on: Day,
    /// On or after `starts_on`; a rental lasts at most 366 days.
    pub ends_on: Day,
    /// The supplier's price of one item for one day, in fen: more than 0.
    #[schema(value_type = i64, minimum = 1, maximum = 10_000_000_000_000_i64)]
    pub daily_price_fen: Fen,
    /// What the rental costs in all, in fen (more than 0), when the invoice says so;
    /// omitted: quantity × days × daily price.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10_000_000_000_000_i64)]
    pub total_fen: Option<Fen>,
    #[serde(default)]
    pub note: Note,
}

impl NewRental {
    /// Days rented, first and last included; refused when the dates are the wrong way round
    /// or the rental is longer than [`MAX_DAYS`].
    pub fn days(&self) -> Result<i64> {
        let days = (self.ends_on.date() - self.starts_on.date()).num_days() + 1;
        if days < 1 {
            return Err(Error::Invalid(format!(
                "a rental cannot end ({}) before it starts ({})",
                self.ends_on, self.starts_on
            )));
        }
        if days > MAX_DAYS {
            return Err(Error::Invalid(format!(
                "a rental lasts at most {MAX_DAYS} days ({} to {} is {days})",
                self.starts_on, self.ends_on
            )));
        }
        Ok(days)
    }

    /// Check every field, and say what the rental costs: `total_fen` as given, else
    /// quantity × days × daily price (refused if that is more than an amount may be).
    pub fn checked(&self) -> Result<Fen> {
        let supplier = self.supplier.trim();
        if supplier.is_empty() || supplier.chars().count() > MAX_SUPPLIER_CHARS {
            return Err(Error::Invalid(format!(
                "name the supplier in 1 to {MAX_SUPPLIER_CHARS} characters"
            )));
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            return Err(Error::Invalid(format!(
                "a rental's quantity is 1 to {MAX_QUANTITY}, got {}",
                self.quantity
            )));
        }
        if self.daily_price_fen == Fen::ZERO {
            return Err(Error::Invalid(
                "a rental's daily price is more than 0 fen".into(),
            ));
        }
        let days = self.days()?;
        match self.total_fen {
            Some(Fen::ZERO) => Err(Error::Invalid("a rental's total is more than 0 fen".into())),
            Some(total) => Ok(total),
            None => i64::from(self.quantity)
                .checked_mul(days)
                .and_then(|n| n.checked_mul(self.daily_price_fen.get()))
                .and_then(|fen| Fen::new(fen).ok())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{} × {days} days × {} fen is more than an amount may be ({} fen)",
                        self.quantity,
                        self.daily_price_fen.get(),
                        Fen::MAX
                    ))
                }),
        }
    }
}

/// Record a rental on a loan that is still open (`LOAN_ACTIONS`' "rent"), for a category
/// the loan asks for (by a line of the category, of one of its assets, or of a kit with it).
pub async fn create(
    conn: &mut PgConnection,
    loan_id: i64,
    new: &NewRental,
    ctx: &Context,
) -> Result<Rental> {
    let total = new.checked()?;
    orders::lock::<LoanStatus>(conn, loan_id, "rent").await?;
    let actor = ctx
        .actor
        .ok_or_else(|| Error::Invalid("a rental is recorded by a person".into()))?;
    let (asked, rentals): (bool, i64) = sqlx::query_as(
        "select exists (select 1 from loan_lines l
                        left join assets a on a.id = l.asset_id
                        left join kit_parts k on k.kit_id = l.kit_id
                        where l.loan_id = $1
                          and $2 in (l.category_id, a.category_id, k.category_id)),
                (select count(*) from rentals where loan_id = $1)",
    )
    .bind(loan_id)
    .bind(new.category_id)
    .fetch_one(&mut *conn)
    .await?;
    if !asked {
        return Err(Error::Invalid(format!(
            "loan {loan_id} asks for nothing of category {}: a rental covers what the loan asks for",
            new.category_id
        )));
    }
    if rentals >= MAX_PER_LOAN {
        return Err(Error::Conflict(format!(
            "loan {loan_id} already has {MAX_PER_LOAN} rentals, as many as a loan may have"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "insert into rentals (loan_id, department_id, supplier, category_id, quantity, starts_on, ends_on,
                              daily_price_fen, total_fen, note, created_by)
         select l.id, l.department_id, $2, $3, $4, $5, $6, $7, $8, $9, $10 from loans l where l.id = $1
         returning id",
    )
    .bind(loan_id)
    .bind(new.supplier.trim())
    .bind(new.category_id)
    .bind(new.quantity)
    .bind(new.starts_on)
    .bind(new.ends_on)
    .bind(new.daily_price_fen)
    .bind(total)
    .bind(new.note.trim())
    .bind(actor)
    .fetch_one(&mut *conn)
    .await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({
        "loan_id": loan_id,
        "supplier": new.supplier.trim(),
        "category_id": new.category_id,
        "quantity": new.quantity,
        "starts_on": new.starts_on,
        "ends_on": new.ends_on,
        "daily_price_fen": new.daily_price_fen,
        "total_fen": total,
    });
    if ctx.reason.is_empty() {
        ctx.reason = format!(
            "shortfall of loan {loan_id}, rented from {}",
            new.supplier.trim()
        );
    }
    events::record_order(
        conn,
        KIND,
        id,
        "rent",
        None,
        RentalStatus::Ordered.as_str(),
        &ctx,
    )
    .await?;
    get(conn, id).await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Rental> {
    sqlx::query_as(&format!("{SELECT} where r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("rental {id}"))
}

/// A loan's rentals, oldest first (at most [`MAX_PER_LOAN`]).
pub async fn for_loan(conn: &mut PgConnection, loan_id: i64) -> Result<Vec<Rental>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} where r.loan_id = $1 order by r.id"))
            .bind(loan_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Which rentals: a department's, a loan's, in a status.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub loan_id: Option<i64>,
    pub status: Option<RentalStatus>,
}

/// Rentals, newest first: one page of them, and how many in all.
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    window: Window,
) -> Result<(Vec<Rental>, super::Total)> {
    page(
        conn,
        SELECT,
        "where ($1::bigint is null or r.department_id = $1)
           and ($2::bigint is null or r.loan_id = $2)
           and ($3::rental_status is null or r.status = $3)",
        "r.id desc",
        args![f.department_id, f.loan_id, f.status],
        window,
    )
    .await
}

/// Every rental [`list`] would list, newest first, as they come (for the export).
pub fn filtered_rows(conn: &mut PgConnection, f: Filter) -> super::Rows<'_, Rental> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{SELECT} where ($1::bigint is null or r.department_id = $1)
               and ($2::bigint is null or r.loan_id = $2)
               and ($3::rental_status is null or r.status = $3)
             order by r.id desc"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, f.department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, f.loan_id))
        .and_then(|()| sqlx::Arguments::add(&mut args, f.status));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// What rentals cost, in fen, summed as `numeric`: of the rentals listed by `f` that are
/// not cancelled.
pub async fn cost(conn: &mut PgConnection, f: &Filter) -> Result<crate::domain::bounds::FenSum> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(total_fen), 0)::text from rentals r
         where r.status <> 'cancelled'
           and ($1::bigint is null or r.department_id = $1)
           and ($2::bigint is null or r.loan_id = $2)
           and ($3::rental_status is null or r.status = $3)",
    )
    .bind(f.department_id)
    .bind(f.loan_id)
    .bind(f.status)
    .fetch_one(conn)
    .await?)
}

/// Move a rental on by `action` (checked against `RENTAL_ACTIONS` under the row's lock),
/// note when the items came or went back, and log it.
async fn act(
    conn: &mut PgConnection,
    id: i64,
    action: &'static str,
    to: RentalStatus,
    ctx: &Context,
) -> Result<Rental> {
    let from: RentalStatus = orders::lock(conn, id, action).await?;
    let loan_id: i64 = sqlx::query_scalar(
        "update rentals set status = $2, updated_at = now(),
            received_at = case when $2 = 'received' then now() else received_at end,
            returned_at = case when $2 = 'returned' then now() else returned_at end
         where id = $1 returning loan_id",
    )
    .bind(id)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({ "loan_id": loan_id });
    events::record_order(
        conn,
        KIND,
        id,
        action,
        Some(from.as_str()),
        to.as_str(),
        &ctx,
    )
    .await?;
    get(conn, id).await
}

/// The keeper took the rented items in from the supplier.
pub async fn receive(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Rental> {
    act(conn, id, "receive", RentalStatus::Received, ctx).await
}

/// The rented items went back to the supplier.
pub async fn give_back(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Rental> {
    act(conn, id, "return", RentalStatus::Returned, ctx).await
}

/// Called off before anything came: it costs nothing.
pub async fn cancel(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Rental> {
    act(conn, id, "cancel", RentalStatus::Cancelled, ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bounds::Known as _;

    fn rental(quantity: i32, from: (u32, u32), to: (u32, u32), price: i64) -> NewRental {
        let day = |(m, d)| Day::known(NaiveDate::from_ymd_opt(2030, m, d).unwrap());
        NewRental {
            supplier: "Chengdu Event Rentals".known(),
            category_id: 1,
            quantity,
            starts_on: day(from),
            ends_on: day(to),
            daily_price_fen: Fen::known(price),
            total_fen: None,
            note: Default::default(),
        }
    }

    #[test]
    fn the_total_is_quantity_by_days_by_daily_price_unless_given() {
        // 20 tables for three days (1st to 3rd) at 12.50 yuan a day
        assert_eq!(
            rental(20, (3, 1), (3, 3), 1_250).checked().unwrap(),
            Fen::known(75_000)
        );
        assert_eq!(
            rental(1, (3, 1), (3, 1), 1).checked().unwrap(),
            Fen::known(1)
        );
        let mut invoiced = rental(20, (3, 1), (3, 3), 1_250);
        invoiced.total_fen = Some(Fen::known(70_000));
        assert_eq!(invoiced.checked().unwrap(), Fen::known(70_000));
    }

    #[test]
    fn bad_rentals_are_refused_with_a_reason() {
        let refused = |r: NewRental| r.checked().unwrap_err().to_string();
        assert!(refused(rental(0, (3, 1), (3, 1), 100)).contains("quantity"));
        assert!(refused(rental(10_001, (3, 1), (3, 1), 100)).contains("quantity"));
        assert!(refused(rental(1, (3, 1), (3, 1), 0)).contains("daily price"));
        assert!(refused(rental(1, (3, 2), (3, 1), 100)).contains("before it starts"));
        let mut long = rental(1, (1, 1), (1, 1), 100);
        long.ends_on = Day::known(NaiveDate::from_ymd_opt(2031, 1, 2).unwrap());
        assert!(refused(long).contains("at most 366 days"));
        let mut free = rental(1, (3, 1), (3, 1), 100);
        free.total_fen = Some(Fen::ZERO);
        assert!(refused(free).contains("total"));
        let mut nameless = rental(1, (3, 1), (3, 1), 100);
        nameless.supplier = "  ".known();
        assert!(refused(nameless.clone()).contains("supplier"));
        nameless.supplier = "x".repeat(201).known();
        assert!(refused(nameless).contains("supplier"));
        // 10,000 × 366 days × 10¹² fen overflows what an amount may be, not the arithmetic
        let huge = rental(10_000, (1, 1), (12, 31), 1_000_000_000_000);
        assert!(refused(huge).contains("more than an amount may be"));
    }
}
