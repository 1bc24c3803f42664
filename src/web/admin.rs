//! The admin's pages: the approval queue, transfers, disposals (appraise, approve, sell or
//! scrap, remit), and the registers of users, departments, warehouses and zones. Auditors
//! read the disposals too. Readers join the registers with reader ingest.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{
    fen, field, ids, invalid, named, note, optional_text, render, text, Chrome, Fields, Lang,
    PageError, PageResult, Posted, Viewer,
};
use crate::app::disposals::{self, Appraisal, Remittance, Sale};
use crate::app::loans::{self, Payment, Repair};
use crate::app::people::{self, NewUser};
use crate::app::{self, catalogue, policy, transfers, App, Approval, Op, Paging, Reason};
use crate::auth::Role;
use crate::db::compensations::{self, Compensation};
use crate::db::disposals::{Disposal, NewDisposal};
use crate::db::events::Event;
use crate::db::loans::Loan;
use crate::db::people::{NewDepartment, UserListing};
use crate::db::places::{NewWarehouse, NewZone};
use crate::db::transfers::Transfer;
use crate::domain::bounds::{NewPassword, PageNo};
use crate::domain::lifecycle::orders::{DisposalStatus, DISPOSAL_ACTIONS};

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/approvals", get(approvals))
        .route("/finance/sign-offs", get(sign_offs))
        .route("/admin/transfers", get(transfer_list))
        .route("/admin/transfers/{id}/{action}", post(transfer_action))
        .route("/disposals", get(disposal_list).post(propose_disposal))
        .route("/disposals/{id}", get(disposal_detail))
        .route("/disposals/{id}/{action}", post(disposal_action))
        .route("/admin/registers", get(registers))
        .route("/admin/users", post(add_user))
        .route("/admin/departments", post(add_department))
        .route("/admin/warehouses", post(add_warehouse))
        .route("/admin/zones", post(add_zone))
        .route("/compensations", get(compensation_list))
        .route("/compensations/{id}/{action}", post(compensation_action))
}

#[derive(askama::Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    c: Chrome,
    loans: Vec<Loan>,
    transfers: Vec<Transfer>,
    /// Loans the depot approved that wait for finance's sign-off.
    at_finance: Vec<loans::SignOff>,
}

impl ApprovalsPage {
    fn why(&self, s: &loans::SignOff) -> String {
        match self.c.lang {
            Lang::Zh => s.why_zh.clone(),
            Lang::En => s.why_en.clone(),
        }
    }
}

/// What waits for a decision: requested loans and transfers, oldest first.
async fn approvals(v: Viewer, State(app): State<App>) -> PageResult {
    let (queue, transfers) = loans::approval_queue(&app, &v.actor).await?;
    render(ApprovalsPage {
        c: v.chrome("approvals"),
        loans: queue,
        transfers,
        at_finance: loans::sign_offs(&app, &v.actor).await?,
    })
}

#[derive(askama::Template)]
#[template(path = "sign_offs.html")]
struct SignOffsPage {
    c: Chrome,
    waiting: Vec<loans::SignOff>,
}

impl SignOffsPage {
    fn why(&self, s: &loans::SignOff) -> String {
        match self.c.lang {
            Lang::Zh => s.why_zh.clone(),
            Lang::En => s.why_en.clone(),
        }
    }
}

/// The loans waiting for the finance approver: what sent each there, oldest first.
async fn sign_offs(v: Viewer, State(app): State<App>) -> PageResult {
    let waiting = loans::sign_offs(&app, &v.actor).await?;
    render(SignOffsPage {
        c: v.chrome("sign_offs"),
        waiting,
    })
}

#[derive(askama::Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    c: Chrome,
    transfers: Vec<Transfer>,
}

async fn transfer_list(v: Viewer, State(app): State<App>) -> PageResult {
    render(TransfersPage {
        c: v.chrome("transfers"),
        transfers: transfers::desk(&app, &v.actor).await?,
    })
}

async fn transfer_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let actor = &v.actor;
    let reason = note(&form, "reason")?;
    match action.as_str() {
        "approve" => {
            let approval = Approval {
                asset_ids: None,
                reason,
            };
            transfers::approve(&app, actor, id, approval).await?;
        }
        "reject" => drop(transfers::reject(&app, actor, id, Reason { reason }).await?),
        "issue" => drop(transfers::issue(&app, actor, id).await?),
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    }
    Ok(Redirect::to("/admin/transfers").into_response())
}

#[derive(askama::Template)]
#[template(path = "disposals.html")]
struct DisposalsPage {
    c: Chrome,
    disposals: Vec<Disposal>,
    remitted_fen: i64,
}

async fn disposal_list(v: Viewer, State(app): State<App>) -> PageResult {
    let paging = Paging {
        page: Some(PageNo::FIRST),
        per_page: Some(Paging::MAX_PER_PAGE),
        after: None,
    };
    let disposals = disposals::list(&app, &v.actor, None, paging).await?.items;
    let remitted_fen = disposals
        .iter()
        .filter(|d| d.status == DisposalStatus::Remitted)
        .filter_map(|d| d.sale_price_fen)
        .sum();
    render(DisposalsPage {
        c: v.chrome("disposals"),
        disposals,
        remitted_fen,
    })
}

/// Put assets forward for disposal (admin or keeper): each becomes pending disposal.
async fn propose_disposal(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let new = NewDisposal {
        asset_ids: ids(field(&form, "assets"))?,
        reason: note(&form, "reason")?,
    };
    let d = disposals::request(&app, &v.actor, new).await?;
    Ok(Redirect::to(&format!("/disposals/{}", d.id)).into_response())
}

#[derive(askama::Template)]
#[template(path = "disposal.html")]
struct DisposalPage {
    c: Chrome,
    d: Disposal,
    timeline: Vec<Event>,
    /// What the viewer may do to the disposal now: appraise, decide, sell, remit.
    can: Vec<&'static str>,
}

impl DisposalPage {
    fn status(&self) -> &'static str {
        self.d.status.as_str()
    }
    fn can(&self, what: &str) -> bool {
        self.can.contains(&what)
    }
}

/// What the page offers, each with its operation and the disposal action of the status table.
const DISPOSAL_OFFERS: &[policy::Offer] = &[
    ("appraise", Op::AppraiseDisposal, "appraise"),
    ("decide", Op::ApproveDisposal, "approve"),
    ("sell", Op::SellDisposal, "sell"),
    ("remit", Op::RemitDisposal, "remit"),
];

async fn disposal_detail(v: Viewer, State(app): State<App>, Path(id): Path<i64>) -> PageResult {
    let d = disposals::get(&app, &v.actor, id).await?;
    let timeline = disposals::events(&app, &v.actor, id).await?;
    let can = policy::offered(&v.actor, DISPOSAL_OFFERS, DISPOSAL_ACTIONS, d.status);
    render(DisposalPage {
        c: v.chrome("disposals"),
        d,
        timeline,
        can,
    })
}

/// Appraise → approve (or reject) → sell at auction or scrap → remit the proceeds.
async fn disposal_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let actor = &v.actor;
    let reason = || {
        Ok::<_, PageError>(Reason {
            reason: note(&form, "reason")?,
        })
    };
    match action.as_str() {
        "appraise" => {
            let appraisal = Appraisal {
                appraised_value_fen: fen(field(&form, "value"))?,
                appraiser: text(&form, "appraiser")?,
            };
            disposals::appraise(&app, actor, id, appraisal).await?;
        }
        "approve" => drop(disposals::approve(&app, actor, id, reason()?).await?),
        "reject" => drop(disposals::reject(&app, actor, id, reason()?).await?),
        "sell" => {
            let sale = Sale {
                sale_price_fen: fen(field(&form, "price"))?,
                buyer: text(&form, "buyer")?,
            };
            disposals::sell(&app, actor, id, sale).await?;
        }
        "scrap" => drop(disposals::scrap(&app, actor, id, reason()?).await?),
        "remit" => {
            let receipt_number = text(&form, "receipt")?;
            disposals::remit(&app, actor, id, Remittance { receipt_number }).await?;
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    }
    Ok(Redirect::to(&format!("/disposals/{id}")).into_response())
}

#[derive(askama::Template)]
#[template(path = "registers.html")]
struct RegistersPage {
    c: Chrome,
    users: Vec<UserListing>,
    departments: Vec<(i64, String, String)>,
    warehouses: Vec<(String, String, String)>,
    warehouse_ids: Vec<(i64, String, String)>,
    zones: Vec<(String, String, String, String)>,
}

impl RegistersPage {
    fn role(&self, u: &UserListing) -> &'static str {
        policy::role_name(u.role)
    }
}

async fn registers(v: Viewer, State(app): State<App>) -> PageResult {
    let r = catalogue::registers(&app, &v.actor).await?;
    render(RegistersPage {
        c: v.chrome("registers"),
        users: r.users,
        departments: r
            .departments
            .into_iter()
            .map(|d| (d.id, d.code, d.name))
            .collect(),
        warehouses: r
            .warehouses
            .iter()
            .map(|w| (w.code.clone(), w.name.clone(), w.address.clone()))
            .collect(),
        warehouse_ids: r
            .warehouses
            .into_iter()
            .map(|w| (w.id, w.code, w.name))
            .collect(),
        zones: r.zones,
    })
}

async fn add_user(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let role = match field(&form, "role") {
        "admin" => Role::Admin,
        "keeper" => Role::Keeper,
        "auditor" => Role::Auditor,
        "finance" => Role::Finance,
        _ => Role::Requester,
    };
    let new = NewUser {
        username: text(&form, "username")?,
        display_name: optional_text(&form, "display_name")?,
        password: named("password", NewPassword::parse(field(&form, "password")))?,
        role,
        department_id: field(&form, "department").parse().ok(),
        email: named(
            "email",
            crate::domain::bounds::Email::parse(field(&form, "email")),
        )?,
    };
    people::create_user(&app, &v.actor, new).await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

async fn add_department(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let new = NewDepartment {
        code: text(&form, "code")?,
        name: text(&form, "name")?,
    };
    people::create_department(&app, &v.actor, new).await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

async fn add_warehouse(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let new = NewWarehouse {
        code: text(&form, "code")?,
        name: text(&form, "name")?,
        address: text(&form, "address")?,
    };
    catalogue::create_warehouse(&app, &v.actor, new).await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

async fn add_zone(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let warehouse: i64 = field(&form, "warehouse")
        .parse()
        .map_err(|_| invalid("choose a warehouse"))?;
    let new = NewZone {
        code: text(&form, "code")?,
        name: text(&form, "name")?,
        kind: text(&form, "kind")?,
    };
    catalogue::create_zone(&app, &v.actor, warehouse, new).await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

#[derive(askama::Template)]
#[template(path = "compensations.html")]
struct CompensationsPage {
    c: Chrome,
    cases: Vec<Compensation>,
}

impl CompensationsPage {
    fn kind(&self, case: &Compensation) -> &'static str {
        match case.kind {
            compensations::Kind::Damage => "damage",
            compensations::Kind::Loss => "loss",
        }
    }
}

/// Compensation cases opened at return inspection: repaired (keeper or admin, for the repair
/// cost), paid (admin, with the receipt) or waived (admin, with a reason).
async fn compensation_list(v: Viewer, State(app): State<App>) -> PageResult {
    let cases = loans::compensation_desk(&app, &v.actor).await?;
    render(CompensationsPage {
        c: v.chrome(match v.actor.role {
            Role::Keeper => "returns",
            Role::Requester => "compensation_cases",
            _ => "dashboard",
        }),
        cases,
    })
}

async fn compensation_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let actor = &v.actor;
    match action.as_str() {
        "repair" => {
            let cost_fen = fen(field(&form, "cost"))?;
            loans::repaired(&app, actor, id, Repair { cost_fen }).await?;
        }
        "pay" => {
            let receipt_number = text(&form, "receipt")?;
            loans::paid(&app, actor, id, Payment { receipt_number }).await?;
        }
        "waive" => {
            let reason = note(&form, "reason")?;
            loans::waived(&app, actor, id, Reason { reason }).await?;
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    }
    Ok(Redirect::to("/compensations").into_response())
}
