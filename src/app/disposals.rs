//! Disposals (处置): appraisal → approval → auction or scrapping → proceeds remitted. They are
//! the depot's own paperwork: the staff work them, the auditor reads them, a requester neither.

use serde::Deserialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{App, Error, Op, Page, Paging, Reason, Result, Rows, Visibility};
use crate::auth::Actor;
use crate::db::disposals::{self, Disposal, NewDisposal};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::domain::bounds::{Fen, FenSum, Text};
use crate::domain::lifecycle::orders::DisposalStatus;

/// Disposals, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<DisposalStatus>,
    paging: Paging,
) -> Result<Page<Disposal>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ListDisposals, async |c| {
            disposals::list(c, status, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every disposal [`list`] would list (of one status, or all), newest first, in batches as
/// they come: the list's export.
pub async fn export(
    app: &App,
    actor: &Actor,
    status: Option<DisposalStatus>,
) -> Result<Rows<Disposal>> {
    app.rows(actor, Op::ListDisposals, status, disposals::all_rows)
        .await
}

/// What the sales of every disposal remitted to the treasury, in fen.
pub async fn remitted(app: &App, actor: &Actor) -> Result<FenSum> {
    app.read(actor, Op::ListDisposals, async |c| {
        disposals::remitted(c).await
    })
    .await
}

/// Put assets in stock or in repair forward for disposal.
pub async fn request(app: &App, actor: &Actor, new: NewDisposal) -> Result<Disposal> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::RequestDisposal, async |tx| {
        disposals::create(tx, &new, &ctx).await
    })
    .await
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Disposal> {
    app.find(actor, Op::GetDisposal, async |c| {
        disposals::get(c, id).await
    })
    .await
}

/// The disposal's history: its status changes (with the figures) and what happened to its
/// assets.
pub async fn events(app: &App, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let load = async |c: &mut PgConnection| disposals::get(c, id).await;
    app.read_found(actor, Op::DisposalEvents, load, async |c, _| {
        let events = events::for_order(c, OrderKind::Disposal, id).await?;
        Ok::<_, Error>(Visibility::of(actor).timeline(events))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Appraisal {
    /// In fen.
    pub appraised_value_fen: Fen,
    /// Who appraised: the appraisal firm or person.
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub appraiser: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    /// In fen.
    pub sale_price_fen: Fen,
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub buyer: Text,
    /// A price below the appraisal is refused (409) unless this says it is meant.
    #[serde(default)]
    pub below_appraisal: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Remittance {
    /// The treasury's receipt for the proceeds.
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub receipt_number: Text,
}

/// Record the appraisal; again before approval to replace it.
pub async fn appraise(app: &App, actor: &Actor, id: i64, input: Appraisal) -> Result<Disposal> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::AppraiseDisposal, async |tx| {
        let (value, appraiser) = (input.appraised_value_fen, &input.appraiser);
        disposals::appraise(tx, id, value, appraiser, &ctx).await
    })
    .await
}

/// Appraised disposals waiting for a second admin's approval, oldest first: the approval
/// queue's part that is disposals.
pub async fn awaiting_approval(app: &App, actor: &Actor, paging: Paging) -> Result<Page<Disposal>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ListDisposals, async |c| {
            disposals::queue(c, DisposalStatus::Appraised, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Approve an appraised disposal: by a second admin, neither the one who proposed it nor the
/// one who recorded its appraisal (four eyes).
pub async fn approve(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Disposal> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::ApproveDisposal, async |tx| {
        let disposal = disposals::get(tx, id).await?;
        let appraiser = disposals::appraised_by(tx, id).await?;
        let what = format!("disposal {id}");
        super::policy::four_eyes(
            actor,
            &what,
            &[
                (Some(disposal.requested_by), "proposed"),
                (appraiser, "appraised"),
            ],
        )?;
        Ok::<_, Error>(disposals::approve(tx, id, &ctx).await?)
    })
    .await
}

/// Reject, with a reason: the assets go back in stock.
pub async fn reject(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Disposal> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::RejectDisposal, async |tx| {
        disposals::reject(tx, id, &ctx).await
    })
    .await
}

/// Cancel before approval, with a reason: the assets go back in stock.
pub async fn cancel(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Disposal> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::CancelDisposal, async |tx| {
        disposals::cancel(tx, id, &ctx).await
    })
    .await
}

/// Sold at auction: the assets are disposed of; the proceeds are to be remitted.
pub async fn sell(app: &App, actor: &Actor, id: i64, input: Sale) -> Result<Disposal> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::SellDisposal, async |tx| {
        let appraised = disposals::get(tx, id).await?.appraised_value_fen;
        if let Some(warning) = below(input.sale_price_fen, appraised) {
            if !input.below_appraisal {
                return Err(Error::Conflict(warning));
            }
        }
        Ok::<_, Error>(disposals::sell(tx, id, input.sale_price_fen, &input.buyer, &ctx).await?)
    })
    .await
}

/// What a sale of disposal `id` at `price` would be warned about before it is recorded: a
/// price below the appraisal (what [`sell`] refuses unless it is meant), else nothing.
pub async fn sale_warning(app: &App, actor: &Actor, id: i64, price: Fen) -> Result<Option<String>> {
    app.read(actor, Op::SellDisposal, async |c| {
        let appraised = disposals::get(c, id).await?.appraised_value_fen;
        Ok::<_, Error>(below(price, appraised))
    })
    .await
}

/// The warning of a sale at `price` below the appraisal, if it is.
fn below(price: Fen, appraised: Option<i64>) -> Option<String> {
    appraised
        .filter(|a| price.get() < *a)
        .map(|a| below_appraisal(price.get(), a))
}

/// What a sale below the appraisal is told: both figures, in yuan.
pub fn below_appraisal(price_fen: i64, appraised_fen: i64) -> String {
    let yuan = |fen: i64| format!("{}.{:02} yuan", fen / 100, fen % 100);
    format!(
        "the sale price {} is below the appraisal {}: confirm it to record the sale",
        yuan(price_fen),
        yuan(appraised_fen)
    )
}

/// Scrapped: the assets are disposed of; there is nothing to remit.
pub async fn scrap(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Disposal> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::ScrapDisposal, async |tx| {
        disposals::scrap(tx, id, &ctx).await
    })
    .await
}

/// The sale's proceeds were remitted to the treasury, with the receipt number.
pub async fn remit(app: &App, actor: &Actor, id: i64, input: Remittance) -> Result<Disposal> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::RemitDisposal, async |tx| {
        disposals::remit(tx, id, &input.receipt_number, &ctx).await
    })
    .await
}
