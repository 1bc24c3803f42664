//! Market rentals (社会租用, "管理+租用") for a loan's shortfall: when the depot cannot fill a
//! loan from its stock, the admin records what is rented, from whom, for which days and at
//! what price; the keeper records the rented items coming in and going back to the supplier.
//! A rental is its loan's department's business: a requester reads their own department's
//! rentals and no other's, and acts on none.

use sqlx::PgConnection;

use super::policy::{authorize, department_filter, Scoped};
use super::{App, Error, Op, Page, Paging, Reason, Result, Rows, Visibility};
use crate::auth::Actor;
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::loans::Loan;
use crate::db::rentals::{self, NewRental, Rental};
use crate::domain::bounds::FenSum;
use crate::domain::lifecycle::orders::RentalStatus;

/// Which rentals: a department's, a loan's, in a status.
#[derive(Debug, Default, Clone)]
pub struct RentalFilter {
    pub department: Option<i64>,
    pub loan: Option<i64>,
    pub status: Option<RentalStatus>,
}

/// Rentals, newest first; a requester's own department's only.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: RentalFilter,
    paging: Paging,
) -> Result<Page<Rental>> {
    let filter = scoped(actor, filter);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListRentals, async |c| {
            rentals::list(c, &filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every rental [`list`] would list, newest first, in batches as they come: the list's
/// export.
pub async fn export(app: &App, actor: &Actor, filter: RentalFilter) -> Result<Rows<Rental>> {
    let filter = scoped(actor, filter);
    app.rows(actor, Op::ListRentals, filter, rentals::filtered_rows)
        .await
}

/// What the rentals `filter` lists cost in all (cancelled ones cost nothing), in fen.
pub async fn cost(app: &App, actor: &Actor, filter: RentalFilter) -> Result<FenSum> {
    let filter = scoped(actor, filter);
    app.read(actor, Op::ListRentals, async |c| {
        rentals::cost(c, &filter).await
    })
    .await
}

fn scoped(actor: &Actor, filter: RentalFilter) -> rentals::Filter {
    rentals::Filter {
        department_id: department_filter(actor, Op::ListRentals).or(filter.department),
        loan_id: filter.loan,
        status: filter.status,
    }
}

/// A loan's rentals, oldest first, and what they cost (cancelled ones cost nothing): for
/// whoever may read the loan (its page has it already).
pub async fn of_loan(app: &App, actor: &Actor, loan: &Loan) -> Result<(Vec<Rental>, FenSum)> {
    authorize(actor, Op::ListRentals, loan.target())?;
    let found = rentals::for_loan(&mut *app.pool.acquire().await?, loan.id).await?;
    let cost = found
        .iter()
        .filter(|r| r.status != RentalStatus::Cancelled)
        .map(|r| r.total_fen)
        .sum();
    Ok((found, cost))
}

/// Record a rental for what loan `loan_id` asks and the depot cannot supply (admin).
pub async fn record(app: &App, actor: &Actor, loan_id: i64, new: NewRental) -> Result<Rental> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::RecordRental, async |tx| {
        rentals::create(tx, loan_id, &new, &ctx).await
    })
    .await
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Rental> {
    app.find(actor, Op::GetRental, async |c| rentals::get(c, id).await)
        .await
}

/// The rental's history: recorded, received, returned or cancelled, who did it and when.
pub async fn events(app: &App, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let load = async |c: &mut PgConnection| rentals::get(c, id).await;
    app.read_found(actor, Op::RentalEvents, load, async |c, _| {
        let events = events::for_order(c, OrderKind::Rental, id).await?;
        Ok::<_, Error>(Visibility::of(actor).timeline(events))
    })
    .await
}

/// The keeper took the rented items in from the supplier.
pub async fn receive(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Rental> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::ReceiveRental, async |tx| {
        rentals::receive(tx, id, &ctx).await
    })
    .await
}

/// The rented items went back to the supplier.
pub async fn give_back(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Rental> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::ReturnRental, async |tx| {
        rentals::give_back(tx, id, &ctx).await
    })
    .await
}

/// Call a rental off before anything came (admin): it then costs nothing.
pub async fn cancel(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Rental> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::CancelRental, async |tx| {
        rentals::cancel(tx, id, &ctx).await
    })
    .await
}
