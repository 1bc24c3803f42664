//! Forward bookings: a loan books assets for its dates whatever they do now; approval
//! (`loans::approve`) chooses assets free for the whole period. Here: the bookings a late
//! return keeps from being issued (collisions), the alerts they raise, and the swap.

use serde::Deserialize;
use utoipa::ToSchema;

use super::policy::department_filter;
use super::{App, Op, Page, Paging, Result};
use crate::auth::Actor;
use crate::db::alerts::Alert;
use crate::db::bookings::{self, Collision, SwapPlan};
use crate::db::events::Context;
use crate::db::loans::Loan;
use crate::domain::bounds::Note;

/// The bookings starting within a week whose asset is not back (out past its last day on an
/// earlier loan, in repair, lost), soonest first, a page at a time, each with the asset
/// proposed in its place (for the page's only); a requester's own department's only.
pub async fn collisions_page(app: &App, actor: &Actor, paging: Paging) -> Result<Page<Collision>> {
    let department = department_filter(actor, Op::ListCollisions);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListCollisions, async |c| {
            bookings::collisions_page(c, department, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// A collisions export holds at most this many (the list looks [`bookings::HORIZON_DAYS`]
/// ahead: a depot's collisions are tens, not thousands).
pub const EXPORT_MAX: i64 = 10_000;

/// Every collision [`collisions_page`] lists, soonest first (at most [`EXPORT_MAX`]): its
/// export.
pub async fn collisions_export(app: &App, actor: &Actor) -> Result<super::Rows<Collision>> {
    let department = department_filter(actor, Op::ListCollisions);
    const PER_PAGE: i64 = 500;
    let all = app
        .read(actor, Op::ListCollisions, async |c| {
            let mut all = Vec::new();
            for page in 1..=EXPORT_MAX / PER_PAGE {
                let window = crate::db::Window {
                    page,
                    per_page: PER_PAGE,
                    after: None,
                };
                let (found, _) = bookings::collisions_page(c, department, window).await?;
                let last = (found.len() as i64) < PER_PAGE;
                all.extend(found);
                if last {
                    break;
                }
            }
            Ok::<_, crate::db::Error>(all)
        })
        .await?;
    Ok(super::Rows::of(all))
}

/// Raise an alert for every collision not alerted yet: run by the service now and then (a
/// return becomes late as days pass, not by anyone's action). Returns the alerts raised.
pub async fn raise_alerts(app: &App) -> Result<Vec<Alert>> {
    let mut tx = app.pool.begin().await?;
    let raised = bookings::raise_alerts(&mut tx).await?;
    tx.commit().await?;
    Ok(raised)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Swap {
    /// The booked asset to let go of.
    pub asset_id: i64,
    /// The asset to book in its place; omitted: the one proposed (the first of the category
    /// free for the loan's whole period).
    pub replacement_id: Option<i64>,
    #[serde(default)]
    pub reason: Note,
}

/// Swap a booked asset on an approved loan for another of its category free for the loan's
/// dates: one operation, in the loan's and both assets' histories.
pub async fn swap(app: &App, actor: &Actor, loan_id: i64, input: Swap) -> Result<Loan> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::SwapBooking, async |tx| {
        bookings::swap(tx, loan_id, input.asset_id, input.replacement_id, &ctx).await
    })
    .await
}

/// What [`swap`] would do with the same input, for the admin to confirm: the loan, the booked
/// asset let go and the one booked in its place; refused as the swap would be. Changes
/// nothing.
pub async fn swap_plan(app: &App, actor: &Actor, loan_id: i64, input: &Swap) -> Result<SwapPlan> {
    app.read(actor, Op::SwapBooking, async |c| {
        bookings::swap_plan(c, loan_id, input.asset_id, input.replacement_id).await
    })
    .await
}
