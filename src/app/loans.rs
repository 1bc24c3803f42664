//! Loans (出借) and the compensation cases their returns open. A requester requests, reads
//! and cancels only their own department's.

use serde::Deserialize;
use utoipa::ToSchema;

use sqlx::PgConnection;

use super::policy::{authorize, department_filter, Target};
use super::{App, Approval, Error, Op, Page, Paging, Reason, Result, Rows, Visibility};
use crate::auth::Actor;
use crate::db::assets::Asset;
use crate::db::compensations::{self, Compensation};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::loans::{self, Inspection, Loan, NewLoan, ReturnedItem};
use crate::db::{catalogue, orders, reports};
use crate::domain::bounds::{Fen, Text};
use crate::domain::lifecycle::orders::{CompensationStatus, LoanStatus};

/// Which loans: a status (or `overdue`), a department.
#[derive(Debug, Default, Clone)]
pub struct LoanFilter {
    pub status: Option<String>,
    pub department: Option<i64>,
}

/// Loans, newest first; a requester's own department's only.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: LoanFilter,
    paging: Paging,
) -> Result<Page<Loan>> {
    authorize(actor, Op::ListLoans, Target::Nothing)?;
    let filter = loans::Filter {
        department_id: department_filter(actor, Op::ListLoans).or(filter.department),
        status: filter.status,
    };
    let window = paging.window();
    let found = loans::list(&mut *app.pool.acquire().await?, &filter, window).await?;
    Ok(Page::new(window, found))
}

/// Every loan [`list`] would list, newest first, in batches as they come: the list's export.
pub async fn export(app: &App, actor: &Actor, filter: LoanFilter) -> Result<Rows<Loan>> {
    let filter = loans::Filter {
        department_id: department_filter(actor, Op::ListLoans).or(filter.department),
        status: filter.status,
    };
    app.rows(actor, Op::ListLoans, filter, loans::filtered_rows)
        .await
}

/// Request a loan for the requester's own department (an admin: for the one named).
pub async fn request(app: &App, actor: &Actor, new: NewLoan) -> Result<Loan> {
    let department = new.department_id.or(actor.department_id);
    authorize(actor, Op::RequestLoan, Target::For(department))?;
    let department = department.ok_or_else(|| {
        Error::Invalid("say which department the loan is for (department_id)".into())
    })?;
    let today = app.today();
    if new.starts_on.date() < today {
        return Err(Error::Invalid(format!(
            "a loan cannot start in the past: {} is before today, {today}",
            new.starts_on.date()
        )));
    }
    let mut tx = app.pool.begin().await?;
    let loan = loans::create(&mut tx, department, &new, &Context::by(actor.id)).await?;
    // After the request's own checks (lines, dates in order), so those are told first.
    if !new.accept_shortfall {
        short_of(&mut tx, department, &new).await?;
    }
    tx.commit().await?;
    Ok(loan)
}

/// Whether `e` is [`request`]'s refusal of a shortfall, which the requester may accept.
pub fn is_shortfall(e: &Error) -> bool {
    match e {
        Error::Conflict(m) => m
            .split("; ")
            .all(|m| super::messages::lookup(m).is_some_and(|found| found.key == "only_available")),
        _ => false,
    }
}

/// Refuse a request for more of a category than the department can borrow for its dates
/// (the catalogue's count for the window: depot stock and other departments' listings,
/// less what live reservations keep), naming the shortfall, unless the requester accepts
/// it: the depot may approve part, or rent the rest from the market, so a short request is
/// allowed, but only knowingly. Kits count by their category parts. Approval chooses the
/// assets later and may still fall short if others book first.
async fn short_of(conn: &mut PgConnection, department: i64, new: &NewLoan) -> Result<()> {
    let mut wanted: Vec<(i64, i64)> = Vec::new();
    let mut add = |category: i64, n: i64| match wanted.iter_mut().find(|(c, _)| *c == category) {
        Some((_, total)) => *total = total.saturating_add(n),
        None => wanted.push((category, n)),
    };
    let kit_ids: Vec<i64> = new.lines.iter().filter_map(|l| l.kit_id).collect();
    let kits = match kit_ids.is_empty() {
        true => Vec::new(),
        false => crate::db::kits::list(&mut *conn).await?,
    };
    for line in &new.lines {
        if let Some(category) = line.category_id {
            add(category, i64::from(line.quantity));
        }
        let Some(kit) = line
            .kit_id
            .and_then(|k| kits.iter().find(|kit| kit.id == k))
        else {
            continue;
        };
        for part in &kit.parts {
            if let Some(category) = part.category_id {
                add(
                    category,
                    i64::from(part.quantity) * i64::from(line.quantity),
                );
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let search = catalogue::Search {
        period: Some((new.starts_on.date(), new.ends_on.date())),
        ..Default::default()
    };
    let offers = catalogue::offers(conn, Some(department), &search).await?;
    let short: Vec<String> = wanted
        .iter()
        .filter_map(|&(category, n)| {
            let offer = offers.iter().find(|o| o.category_id == category)?;
            let free = offer.depot + offer.listed;
            (free < n).then(|| {
                format!(
                    "only {free} of the {n} {} asked for are available for those dates",
                    offer.name
                )
            })
        })
        .collect();
    match short.is_empty() {
        true => Ok(()),
        false => Err(Error::Conflict(short.join("; "))),
    }
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Loan> {
    app.find(actor, Op::GetLoan, async |c| loans::get(c, id).await)
        .await
}

/// The loan's history: its status changes, what happened to its assets, and its market
/// rentals.
pub async fn events(app: &App, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let load = async |c: &mut PgConnection| loans::get(c, id).await;
    app.read_found(actor, Op::LoanEvents, load, async |c, _| {
        let events = events::for_loan(c, id).await?;
        Ok::<_, Error>(Visibility::of(actor).timeline(events))
    })
    .await
}

/// Approve: reserve assets for the loan's dates (those given, or chosen from the lines).
/// A loan of great value or length (the configured approval chain) then waits for the
/// finance approver's sign-off instead of being approved.
pub async fn approve(app: &App, actor: &Actor, id: i64, input: Approval) -> Result<Loan> {
    let ctx = Context::by(actor.id).reason(input.reason);
    let chain = app.config.approvals;
    let today = app.today();
    app.change(actor, Op::ApproveLoan, async |tx| {
        not_over(&loans::get(tx, id).await?, today)?;
        Ok::<_, Error>(loans::approve(tx, id, input.asset_ids.as_deref(), &chain, &ctx).await?)
    })
    .await
}

/// Refuse to approve (or sign off) a loan whose last day has passed: nothing would be lent,
/// yet its assets would be reserved. The loan is rejected or cancelled instead, and the
/// requester asks again with new dates. One that started and has days left may still be
/// approved, late.
fn not_over(loan: &Loan, today: chrono::NaiveDate) -> Result<()> {
    if loan.ends_on < today {
        return Err(Error::Conflict(format!(
            "the loan's dates have passed: it ended on {}, before today, {today}; reject it and ask again with new dates",
            loan.ends_on
        )));
    }
    Ok(())
}

/// The finance approver's sign-off: a loan awaiting finance is approved.
pub async fn sign_off(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Loan> {
    let ctx = Context::by(actor.id).reason(input.reason);
    let today = app.today();
    app.change(actor, Op::SignOffLoan, async |tx| {
        not_over(&loans::get(tx, id).await?, today)?;
        Ok::<_, Error>(loans::sign_off(tx, id, &ctx).await?)
    })
    .await
}

/// The finance approver refuses a loan awaiting finance (a reason is required): it is
/// rejected and its reserved assets go back.
pub async fn refuse(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Loan> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::RefuseLoan, async |tx| {
        loans::refuse(tx, id, &ctx).await
    })
    .await
}

/// A loan waiting for the finance approver, with what sent it there.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct SignOff {
    pub loan: Loan,
    /// The original value of the assets it holds reserved, in fen.
    pub value_fen: i64,
    /// Its days, the first and last counted.
    pub days: i64,
    /// Why finance must sign off, in English and 中文.
    pub why_en: String,
    pub why_zh: String,
}

/// Every loan [`sign_offs`] lists, oldest first, as they come: its export.
pub async fn sign_off_export(app: &App, actor: &Actor) -> Result<Rows<SignOff>> {
    let chain = app.config.approvals;
    let rows = app
        .rows(actor, Op::ListSignOffs, (), loans::sign_off_rows)
        .await?;
    Ok(rows.map(move |(loan, value_fen)| at_finance(&chain, loan, value_fen)))
}

/// A loan at finance worth `value_fen`, with why `chain` sent it there.
fn at_finance(chain: &crate::domain::approvals::Chain, loan: Loan, value_fen: i64) -> SignOff {
    let days = (loan.ends_on - loan.starts_on).num_days() + 1;
    // Limits changed since the approval: say what the loan is.
    let (why_en, why_zh) = chain.why(value_fen, days).unwrap_or_else(|| {
        (
            format!("¥{}, {days} days", value_fen / 100),
            format!("¥{}，{days} 天", value_fen / 100),
        )
    });
    SignOff {
        loan,
        value_fen,
        days,
        why_en,
        why_zh,
    }
}

/// The loans waiting for the finance approver, oldest first, a page at a time.
pub async fn sign_offs(app: &App, actor: &Actor, paging: Paging) -> Result<Page<SignOff>> {
    let chain = app.config.approvals;
    let window = paging.window();
    app.read(actor, Op::ListSignOffs, async |c| {
        let waiting = Page::new(
            window,
            loans::queue(c, LoanStatus::AwaitingFinance, window).await?,
        );
        let ids: Vec<i64> = waiting.items.iter().map(|l| l.id).collect();
        let values: std::collections::HashMap<i64, i64> =
            loans::reserved_values(c, &ids).await?.into_iter().collect();
        Ok::<_, crate::db::Error>(waiting.map(|loan| {
            let value_fen = values.get(&loan.id).copied().unwrap_or(0);
            at_finance(&chain, loan, value_fen)
        }))
    })
    .await
}

pub async fn reject(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Loan> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::RejectLoan, async |tx| {
        loans::reject(tx, id, &ctx).await
    })
    .await
}

/// Cancel before anything is issued (the requesting department or an admin).
pub async fn cancel(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Loan> {
    let ctx = Context::by(actor.id).reason(input.reason);
    let load = async |c: &mut PgConnection| loans::get(c, id).await;
    app.change_found(actor, Op::CancelLoan, load, async |tx, _| {
        loans::cancel(tx, id, &ctx).await
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    /// Assets handed over now; omitted: everything still waiting.
    pub asset_ids: Option<Vec<i64>>,
    /// Or the loan's lines handed over now, each whole: a kit's parts go out as a unit.
    #[serde(default)]
    pub line_ids: Option<Vec<i64>>,
}

/// Hand over reserved assets (or whole lines: a kit); partial issue allowed.
pub async fn issue(app: &App, actor: &Actor, id: i64, input: Issue) -> Result<Loan> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::IssueLoan, async |tx| {
        let assets = match (input.asset_ids, input.line_ids) {
            (Some(_), Some(_)) => {
                return Err(Error::Invalid(
                    "name the assets (asset_ids) or the lines (line_ids) handed over, not both"
                        .into(),
                ));
            }
            (None, Some(lines)) if lines.is_empty() || lines.len() > orders::MAX_LINES => {
                return Err(Error::Invalid(format!(
                    "name 1 to {} lines (line_ids)",
                    orders::MAX_LINES
                )));
            }
            (None, Some(lines)) => {
                let waiting = orders::waiting_on_lines(tx, id, &lines).await?;
                if waiting.is_empty() {
                    return Err(Error::Conflict(format!(
                        "nothing booked on those lines of loan {id} is waiting to be issued"
                    )));
                }
                Some(waiting)
            }
            (assets, None) => assets,
        };
        Ok(loans::issue(tx, id, assets.as_deref(), &ctx).await?)
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// What came back and in what condition; omitted: everything out, fine.
    pub items: Option<Vec<ReturnedItem>>,
}

/// Take assets back with their inspection; damage or loss opens a compensation case.
pub async fn take_back(app: &App, actor: &Actor, id: i64, input: Return) -> Result<Loan> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::ReturnLoan, async |tx| {
        loans::return_items(tx, id, input.items.as_deref(), &ctx).await
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Inspect {
    pub items: Vec<Inspection>,
}

/// Record the inspection of assets that came back through the gate.
pub async fn inspect(app: &App, actor: &Actor, id: i64, input: Inspect) -> Result<Loan> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::InspectLoan, async |tx| {
        loans::inspect(tx, id, &input.items, &ctx).await
    })
    .await
}

/// The most a keeper inspects in one go (the returns desk's form).
pub const INSPECTIONS_MAX: usize = 500;

/// Record the inspections of assets that came back through the gate on several loans at
/// once (the returns desk's one form): all of them, or none.
pub async fn inspect_returns(
    app: &App,
    actor: &Actor,
    items: Vec<(i64, Inspection)>,
) -> Result<usize> {
    if items.is_empty() {
        return Err(Error::Invalid(
            "say how each asset came back: fine, damaged or missing".into(),
        ));
    }
    if items.len() > INSPECTIONS_MAX {
        return Err(Error::Invalid(format!(
            "inspect at most {INSPECTIONS_MAX} assets at once"
        )));
    }
    let mut by_loan: std::collections::BTreeMap<i64, Vec<Inspection>> = Default::default();
    for (loan, item) in items {
        by_loan.entry(loan).or_default().push(item);
    }
    let ctx = Context::by(actor.id);
    app.change(actor, Op::InspectLoan, async |tx| {
        let mut done = 0;
        for (loan, items) in &by_loan {
            loans::inspect(tx, *loan, items, &ctx).await?;
            done += items.len();
        }
        Ok::<_, crate::db::Error>(done)
    })
    .await
}

/// What came back through the gates and waits for inspection, of the loans `filter` picks
/// (a department's, or one), longest back first, a page at a time.
pub async fn uninspected(
    app: &App,
    actor: &Actor,
    filter: loans::OutFilter,
    paging: Paging,
) -> Result<Page<reports::Uninspected>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ReturnsDesk, async |c| {
            reports::uninspected(c, filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Everything [`uninspected`] lists, in its order, in batches as they come: its export.
pub async fn uninspected_export(
    app: &App,
    actor: &Actor,
    filter: loans::OutFilter,
) -> Result<Rows<reports::Uninspected>> {
    app.rows(actor, Op::ReturnsDesk, filter, reports::uninspected_rows)
        .await
}

/// What approving a requested loan would reserve, for the admin to adjust: the automatic
/// choice (or why there is none) and other free assets of the same categories.
#[derive(Debug, Default)]
pub struct Proposal {
    pub chosen: Vec<Asset>,
    pub error: String,
    /// Categories whose free assets fall short of the lines: approve what there is and rent
    /// the rest from the market.
    pub shortfalls: Vec<String>,
    pub alternatives: Vec<(i64, String, String)>,
}

/// The proposal for `loan`, when `actor` may approve it and it waits for a decision.
pub async fn proposal(app: &App, actor: &Actor, loan: &Loan) -> Result<Option<Proposal>> {
    if authorize(actor, Op::ApproveLoan, Target::Nothing).is_err()
        || loan.status != LoanStatus::Requested
    {
        return Ok(None);
    }
    // Choosing locks rows; only reads happen, and the locks end with the rollback.
    let mut tx = app.pool.begin().await?;
    let (from, to) = orders::loan_period(loan.starts_on, loan.ends_on);
    let mut proposal = Proposal::default();
    let period = (Some(from), Some(to));
    match orders::proposal(
        &mut tx,
        OrderKind::Loan,
        loan.id,
        loan.department_id,
        period,
    )
    .await
    {
        Ok((chosen, short)) => {
            proposal.chosen = crate::db::assets::by_ids(&mut tx, &chosen).await?;
            proposal.shortfalls = short;
        }
        Err(e) => proposal.error = Error::from(e).to_string(),
    }
    let categories: Vec<i64> = loan.lines.iter().filter_map(|l| l.category_id).collect();
    let taken: Vec<i64> = proposal.chosen.iter().map(|a| a.id).collect();
    let dates = (loan.starts_on, loan.ends_on);
    proposal.alternatives =
        catalogue::free_assets(&mut tx, &categories, loan.department_id, dates, &taken, 30).await?;
    tx.rollback().await?;
    Ok(Some(proposal))
}

/// What waits for a decision, oldest first: a page of the requested loans, and the first
/// page of the requested transfers (their own desk pages through the rest).
pub async fn approval_queue(
    app: &App,
    actor: &Actor,
    paging: Paging,
) -> Result<(Page<Loan>, Page<crate::db::transfers::Transfer>)> {
    use crate::domain::lifecycle::orders::TransferStatus;
    let window = paging.window();
    let first = Paging {
        per_page: paging.per_page,
        ..Default::default()
    }
    .window();
    app.read(actor, Op::ApprovalQueue, async |c| {
        let loans = loans::queue(c, LoanStatus::Requested, window).await?;
        let transfers = crate::db::transfers::queue(c, TransferStatus::Requested, first).await?;
        Ok::<_, crate::db::Error>((Page::new(window, loans), Page::new(first, transfers)))
    })
    .await
}

/// Everything the approval queue's page lists — the loan requests waiting for a decision,
/// the loans waiting for finance's sign-off, the transfer requests, the appraised disposals
/// waiting for a second admin — each oldest first, in batches as they come: the queue's
/// export.
pub async fn approval_export(app: &App, actor: &Actor) -> Result<Rows<loans::Awaiting>> {
    app.rows(actor, Op::ApprovalQueue, (), loans::approval_rows)
        .await
}

/// What to pick for approved loans (a department's, those starting by a day: `filter`), a
/// page of loans at a time (soonest starting first), each loan with all its picks.
pub async fn pick_list(
    app: &App,
    actor: &Actor,
    filter: reports::PickFilter,
    paging: Paging,
) -> Result<Page<reports::PickLoan>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::PickList, async |c| {
            reports::picks(c, filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Everything the pick list holds with `filter`, in its order, in batches as they come: its
/// export.
pub async fn pick_export(
    app: &App,
    actor: &Actor,
    filter: reports::PickFilter,
) -> Result<Rows<reports::Pick>> {
    app.rows(actor, Op::PickList, filter, reports::pick_rows)
        .await
}

/// The loans out that `filter` picks (a department's, or one), to take back: soonest due
/// first (the most overdue at the head), a page at a time.
pub async fn out(
    app: &App,
    actor: &Actor,
    filter: loans::OutFilter,
    paging: Paging,
) -> Result<Page<Loan>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ReturnsDesk, async |c| {
            loans::out(c, filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every loan [`out`] lists, in its order, in batches as they come: its export.
pub async fn out_export(app: &App, actor: &Actor, filter: loans::OutFilter) -> Result<Rows<Loan>> {
    app.rows(actor, Op::ReturnsDesk, filter, loans::out_rows)
        .await
}

/// Compensation cases, newest first; a requester's own department's only.
pub async fn compensations(
    app: &App,
    actor: &Actor,
    status: Option<CompensationStatus>,
    department: Option<i64>,
    paging: Paging,
) -> Result<Page<Compensation>> {
    let department = department_filter(actor, Op::ListCompensations).or(department);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListCompensations, async |c| {
            compensations::list(c, department, status, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Compensation cases, newest first, a page at a time: to settle (the staff's page), to
/// follow (the auditor's), or a department's own, against it (a requester's).
pub async fn compensation_desk(
    app: &App,
    actor: &Actor,
    status: Option<CompensationStatus>,
    paging: Paging,
) -> Result<Page<Compensation>> {
    let department = department_filter(actor, Op::CompensationDesk);
    let window = paging.window();
    let found = app
        .read(actor, Op::CompensationDesk, async |c| {
            compensations::list(c, department, status, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every case [`compensation_desk`] would list (of one status, or any), newest first, in
/// batches as they come: the desk's export; a requester's own department's only.
pub async fn compensation_export(
    app: &App,
    actor: &Actor,
    status: Option<CompensationStatus>,
) -> Result<Rows<Compensation>> {
    let department = department_filter(actor, Op::CompensationDesk);
    let filter = (department, status);
    app.rows(actor, Op::CompensationDesk, filter, compensations::all_rows)
        .await
}

pub async fn compensation(app: &App, actor: &Actor, id: i64) -> Result<Compensation> {
    app.find(actor, Op::GetCompensation, async |c| {
        compensations::get(c, id).await
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    /// What the repair cost, in fen: the department compensates this instead of the original value.
    pub cost_fen: Fen,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub receipt_number: Text,
}

/// The damaged asset was repaired: it is back in stock, and the case is for the cost.
pub async fn repaired(app: &App, actor: &Actor, id: i64, input: Repair) -> Result<Compensation> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::RepairCompensation, async |tx| {
        compensations::repaired(tx, id, input.cost_fen, &ctx).await
    })
    .await
}

pub async fn paid(app: &App, actor: &Actor, id: i64, input: Payment) -> Result<Compensation> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::PayCompensation, async |tx| {
        compensations::paid(tx, id, &input.receipt_number, &ctx).await
    })
    .await
}

pub async fn waived(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<Compensation> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::WaiveCompensation, async |tx| {
        compensations::waived(tx, id, &ctx).await
    })
    .await
}
