//! Intakes (收储): assets an agency hands over, registered with their tags commissioned, then
//! received into stock. The staff work them; a requester follows those their own department
//! handed over.

use serde::Deserialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::policy::department_filter;
use super::{App, Error, Op, Page, Paging, Reason, Result, Visibility};
use crate::auth::Actor;
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::intakes::{self, Intake, NewIntake};
use crate::domain::lifecycle::orders::IntakeStatus;

/// Intakes, newest first; a requester's own department's only.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<IntakeStatus>,
    department: Option<i64>,
    paging: Paging,
) -> Result<Page<Intake>> {
    let filter = intakes::Filter {
        source_department_id: department_filter(actor, Op::ListIntakes).or(department),
        status,
    };
    let window = paging.window();
    let found = app
        .read(actor, Op::ListIntakes, async |c| {
            intakes::list(c, &filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// The keeper's intake desk: every department's intakes, newest first, a page at a time.
pub async fn desk(
    app: &App,
    actor: &Actor,
    status: Option<IntakeStatus>,
    paging: Paging,
) -> Result<Page<Intake>> {
    let filter = intakes::Filter {
        source_department_id: None,
        status,
    };
    let window = paging.window();
    let found = app
        .read(actor, Op::IntakeDesk, async |c| {
            intakes::list(c, &filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every intake the desk lists with `status` (none: any), newest first, in batches as they
/// come: the desk's export.
pub async fn desk_export(
    app: &App,
    actor: &Actor,
    status: Option<IntakeStatus>,
) -> Result<super::Rows<Intake>> {
    let filter = intakes::Filter {
        source_department_id: None,
        status,
    };
    app.rows(actor, Op::IntakeDesk, filter, intakes::filtered_rows)
        .await
}

/// Open an intake: register every item and commission its tag, all or nothing.
pub async fn open(app: &App, actor: &Actor, new: NewIntake) -> Result<Intake> {
    let ctx = Context::by(actor.id);
    let prefix = &app.config.company_prefix;
    app.change(actor, Op::OpenIntake, async |tx| {
        intakes::create(tx, prefix, &new, &ctx).await
    })
    .await
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Intake> {
    app.find(actor, Op::GetIntake, async |c| intakes::get(c, id).await)
        .await
}

/// The intake's history: opening, registrations, receipts.
pub async fn events(app: &App, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let load = async |c: &mut PgConnection| intakes::get(c, id).await;
    app.read_found(actor, Op::IntakeEvents, load, async |c, _| {
        let events = events::for_order(c, OrderKind::Intake, id).await?;
        Ok::<_, Error>(Visibility::of(actor).timeline(events))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Where the assets are put.
    pub zone_id: i64,
    /// The assets that arrived; omitted: every one still awaited.
    #[schema(min_items = 1)]
    pub asset_ids: Option<Vec<i64>>,
}

/// Receive assets into stock at a zone; with nothing left to receive, the intake completes.
pub async fn receive(app: &App, actor: &Actor, id: i64, input: Receipt) -> Result<Intake> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::ReceiveIntake, async |tx| {
        let assets = input.asset_ids.as_deref();
        intakes::receive(tx, id, input.zone_id, assets, &ctx).await
    })
    .await
}

/// Cancel while none of the intake's assets has been received.
pub async fn cancel(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Intake> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::CancelIntake, async |tx| {
        intakes::cancel(tx, id, &ctx).await
    })
    .await
}

/// Close an intake whose remaining items will not arrive; a reason is required.
pub async fn complete(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Intake> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::CompleteIntake, async |tx| {
        intakes::complete(tx, id, &ctx).await
    })
    .await
}
