//! Transfers (调配): a department asks for assets to keep. A requester requests, reads and
//! cancels only their own department's.

use sqlx::PgConnection;

use super::policy::{authorize, department_filter, Target};
use super::{App, Approval, Error, Op, Page, Paging, Reason, Result, Rows, Visibility};
use crate::auth::Actor;
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::transfers::{self, NewTransfer, Transfer};
use crate::domain::lifecycle::orders::TransferStatus;

/// Transfers, newest first; a requester's own department's only.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<TransferStatus>,
    department: Option<i64>,
    paging: Paging,
) -> Result<Page<Transfer>> {
    let filter = transfers::Filter {
        department_id: department_filter(actor, Op::ListTransfers).or(department),
        status,
    };
    let window = paging.window();
    let found = app
        .read(actor, Op::ListTransfers, async |c| {
            transfers::list(c, &filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every transfer [`list`] would list, newest first, in batches as they come: the list's
/// export.
pub async fn export(
    app: &App,
    actor: &Actor,
    status: Option<TransferStatus>,
) -> Result<Rows<Transfer>> {
    let filter = transfers::Filter {
        department_id: department_filter(actor, Op::ListTransfers),
        status,
    };
    app.rows(actor, Op::ListTransfers, filter, transfers::filtered_rows)
        .await
}

/// The admin's transfer desk: every department's transfers, newest first, a page at a time.
pub async fn desk(
    app: &App,
    actor: &Actor,
    status: Option<TransferStatus>,
    paging: Paging,
) -> Result<Page<Transfer>> {
    let filter = transfers::Filter {
        department_id: None,
        status,
    };
    let window = paging.window();
    let found = app
        .read(actor, Op::ApprovalQueue, async |c| {
            transfers::list(c, &filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Request a transfer for the requester's own department (an admin: for the one named).
pub async fn request(app: &App, actor: &Actor, new: NewTransfer) -> Result<Transfer> {
    let department = new.department_id.or(actor.department_id);
    authorize(actor, Op::RequestTransfer, Target::For(department))?;
    let department = department.ok_or_else(|| {
        Error::Invalid("say which department the transfer is for (department_id)".into())
    })?;
    let ctx = Context::by(actor.id);
    let mut tx = app.pool.begin().await?;
    let transfer = transfers::create(&mut tx, department, &new, &ctx).await?;
    // After the request's own checks (lines, purpose), so those are told first.
    short_of(&mut tx, department, &new, app.today()).await?;
    tx.commit().await?;
    Ok(transfer)
}

/// Refuse a transfer of more of a category than the depot's stock holds free today (what
/// no live reservation keeps), naming the shortfall: a transfer takes assets for good, so
/// there is nothing to rent instead. Approval chooses the assets later and may still fall
/// short if others book first.
async fn short_of(
    conn: &mut PgConnection,
    department: i64,
    new: &NewTransfer,
    today: chrono::NaiveDate,
) -> Result<()> {
    let mut wanted: Vec<(i64, i64)> = Vec::new();
    for line in &new.lines {
        let Some(category) = line.category_id else {
            continue;
        };
        let n = i64::from(line.quantity);
        match wanted.iter_mut().find(|(c, _)| *c == category) {
            Some((_, total)) => *total = total.saturating_add(n),
            None => wanted.push((category, n)),
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let search = crate::db::catalogue::Search {
        period: Some((today, today)),
        ..Default::default()
    };
    let offers = crate::db::catalogue::offers(conn, Some(department), &search).await?;
    let short: Vec<String> = wanted
        .iter()
        .filter_map(|&(category, n)| {
            let offer = offers.iter().find(|o| o.category_id == category)?;
            (offer.depot < n).then(|| {
                format!(
                    "only {} of the {n} {} asked for are free in the depot",
                    offer.depot, offer.name
                )
            })
        })
        .collect();
    match short.is_empty() {
        true => Ok(()),
        false => Err(Error::Conflict(short.join("; "))),
    }
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Transfer> {
    app.find(actor, Op::GetTransfer, async |c| {
        transfers::get(c, id).await
    })
    .await
}

/// The transfer's history: its status changes and what happened to its assets.
pub async fn events(app: &App, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let load = async |c: &mut PgConnection| transfers::get(c, id).await;
    app.read_found(actor, Op::TransferEvents, load, async |c, _| {
        let events = events::for_order(c, OrderKind::Transfer, id).await?;
        Ok::<_, Error>(Visibility::of(actor).timeline(events))
    })
    .await
}

/// Approve: reserve assets from today on, for good.
pub async fn approve(app: &App, actor: &Actor, id: i64, input: Approval) -> Result<Transfer> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::ApproveTransfer, async |tx| {
        transfers::approve(tx, id, input.asset_ids.as_deref(), &ctx).await
    })
    .await
}

pub async fn reject(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Transfer> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::RejectTransfer, async |tx| {
        transfers::reject(tx, id, &ctx).await
    })
    .await
}

/// Cancel before the handover (the requesting department or an admin).
pub async fn cancel(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Transfer> {
    let ctx = Context::by(actor.id).reason(input.reason);
    let load = async |c: &mut PgConnection| transfers::get(c, id).await;
    app.change_found(actor, Op::CancelTransfer, load, async |tx, _| {
        transfers::cancel(tx, id, &ctx).await
    })
    .await
}

/// Hand over every reserved asset: ownership moves to the department.
pub async fn issue(app: &App, actor: &Actor, id: i64) -> Result<Transfer> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::IssueTransfer, async |tx| {
        transfers::issue(tx, id, None, &ctx).await
    })
    .await
}
