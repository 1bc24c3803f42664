//! The admin's pages: the approval queue, transfers, disposals (appraise, approve, sell or
//! scrap, remit), and the registers of users, departments, warehouses and zones. Auditors
//! read the disposals too. Readers join the registers with reader ingest.

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{
    fen, field, ids, invalid, named, note, optional_text, render, text, Chrome, Fields, Lang,
    PageError, PageResult, Posted, Refused, Viewer,
};
use crate::app::disposals::{self, Appraisal, Remittance, Sale};
use crate::app::loans::{self, Payment, Repair};
use crate::app::people::{self, NewUser};
use crate::app::{self, catalogue, policy, transfers, App, Approval, Op, Reason};
use crate::auth::Role;
use crate::db::compensations::{self, Compensation};
use crate::db::disposals::{Disposal, NewDisposal};
use crate::db::events::Event;
use crate::db::loans::Loan;
use crate::db::people::{NewDepartment, UserFilter, UserListing};
use crate::db::places::{NewWarehouse, NewZone};
use crate::db::transfers::Transfer;
use crate::domain::bounds::{FenSum, NewPassword};
use crate::domain::lifecycle::orders::{
    CompensationStatus, DisposalStatus, TransferStatus, DISPOSAL_ACTIONS,
};

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/approvals", get(approvals))
        .route("/admin/approvals.csv", get(approvals_csv))
        .route("/finance/sign-offs", get(sign_offs))
        .route("/finance/sign-offs.csv", get(sign_offs_csv))
        .route("/admin/transfers", get(transfer_list))
        .route("/admin/transfers/{id}/{action}", post(transfer_action))
        .route("/disposals", get(disposal_list).post(propose_disposal))
        .route("/disposals.csv", get(disposals_csv))
        .route("/disposals/{id}", get(disposal_detail))
        .route("/disposals/{id}/{action}", post(disposal_action))
        .route("/admin/registers", get(registers))
        .route("/admin/users", post(add_user))
        .route("/admin/users.csv", get(users_csv))
        .route("/admin/users/{id}", get(user_page).post(change_user))
        .route("/admin/departments", post(add_department))
        .route("/admin/warehouses", post(add_warehouse))
        .route("/admin/zones", post(add_zone))
        .route("/compensations", get(compensation_list))
        .route("/compensations.csv", get(compensations_csv))
        .route("/compensations/{id}/{action}", post(compensation_action))
}

#[derive(askama::Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    c: Chrome,
    /// A page of the loan requests, oldest first.
    loans: Vec<Loan>,
    pager: super::Pager,
    /// The oldest transfer requests, and how many wait in all.
    transfers: Vec<Transfer>,
    transfers_waiting: i64,
    /// Loans the depot approved that wait for finance's sign-off: the oldest, and how many.
    at_finance: Vec<loans::SignOff>,
    at_finance_waiting: i64,
    /// Appraised disposals waiting for a second admin: the oldest, and how many.
    disposals: Vec<Disposal>,
    disposals_waiting: i64,
}

impl ApprovalsPage {
    fn why(&self, s: &loans::SignOff) -> String {
        match self.c.lang {
            Lang::Zh => s.why_zh.clone(),
            Lang::En => s.why_en.clone(),
        }
    }
}

/// What waits for a decision: requested loans (a page at a time), the loans at finance,
/// transfers and appraised disposals, oldest first.
async fn approvals(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    let paging = super::list_paging(&q.page)?;
    let (queue, transfers) = loans::approval_queue(&app, &v.actor, paging).await?;
    let at_finance = loans::sign_offs(&app, &v.actor, super::first_page()).await?;
    let appraised = disposals::awaiting_approval(&app, &v.actor, super::first_page()).await?;
    render(ApprovalsPage {
        c: v.chrome("approvals"),
        pager: super::Pager::of("/admin/approvals", &[], &queue),
        loans: queue.items,
        transfers_waiting: transfers.total,
        transfers: transfers.items,
        at_finance_waiting: at_finance.total,
        at_finance: at_finance.items,
        disposals_waiting: appraised.total,
        disposals: appraised.items,
    })
}

/// Everything the approval queue lists, as CSV: the loan requests, the loans at finance,
/// the transfer requests and the appraised disposals, each oldest first.
async fn approvals_csv(
    v: Viewer,
    State(app): State<App>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = loans::approval_export(&app, &v.actor).await?;
    let columns = super::reports::APPROVAL_COLUMNS;
    let cells = super::reports::approval_cells;
    Ok(style.download(&v, "approvals", columns, rows, cells))
}

#[derive(askama::Template)]
#[template(path = "sign_offs.html")]
struct SignOffsPage {
    c: Chrome,
    waiting: Vec<loans::SignOff>,
    pager: super::Pager,
}

impl SignOffsPage {
    fn why(&self, s: &loans::SignOff) -> String {
        match self.c.lang {
            Lang::Zh => s.why_zh.clone(),
            Lang::En => s.why_en.clone(),
        }
    }
}

/// Every loan waiting for the finance approver, as CSV.
async fn sign_offs_csv(
    v: Viewer,
    State(app): State<App>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = loans::sign_off_export(&app, &v.actor).await?;
    let columns = super::reports::SIGN_OFF_COLUMNS;
    let cells = super::reports::sign_off_cells;
    Ok(style.download(&v, "sign-offs", columns, rows, cells))
}

/// The loans waiting for the finance approver: what sent each there, oldest first.
async fn sign_offs(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    let waiting = loans::sign_offs(&app, &v.actor, super::list_paging(&q.page)?).await?;
    render(SignOffsPage {
        c: v.chrome("sign_offs"),
        pager: super::Pager::of("/finance/sign-offs", &[], &waiting),
        waiting: waiting.items,
    })
}

#[derive(askama::Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    c: Chrome,
    status: String,
    transfers: Vec<Transfer>,
    pager: super::Pager,
}

impl TransfersPage {
    fn statuses(&self) -> impl Iterator<Item = &'static str> {
        TransferStatus::ALL.iter().map(|s| s.as_str())
    }
}

/// Every transfer, newest first, a page at a time, of one status or all.
async fn transfer_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    let status = TransferStatus::named(&q.status);
    let paging = super::list_paging(&q.page)?;
    let found = transfers::desk(&app, &v.actor, status, paging).await?;
    let status = status.map_or("", TransferStatus::as_str);
    render(TransfersPage {
        c: v.chrome("transfers"),
        status: status.to_owned(),
        pager: super::Pager::of("/admin/transfers", &[("status", status)], &found),
        transfers: found.items,
    })
}

async fn transfer_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let actor = &v.actor;
    let reason = note(&form, "reason")?;
    // Back to the page the action was taken on: the desk, or the transfer's own page.
    let back = match crate::domain::bounds::LocalPath::or_home(field(&form, "back")).as_str() {
        "/" => "/admin/transfers".to_owned(),
        path => path.to_owned(),
    };
    // Asked first: (operation, title, text, whether a reason is asked: the log says why).
    let asked = match action.as_str() {
        "issue" => Some((
            Op::IssueTransfer,
            "hand_over_transfer",
            "hand_over_text",
            false,
        )),
        "approve" => Some((
            Op::ApproveTransfer,
            "approve_transfer",
            "approve_transfer_text",
            false,
        )),
        "reject" => Some((
            Op::RejectTransfer,
            "reject_transfer",
            "reject_transfer_text",
            true,
        )),
        _ => None,
    };
    let unanswered = |reason_asked: bool| {
        !super::confirmed(&form) || (reason_asked && field(&form, "reason").trim().is_empty())
    };
    if let Some((op, title, text, reason_asked)) = asked.filter(|a| unanswered(a.3)) {
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op,
                title: &format!("{} {id}?", v.lang.t(title)),
                message: v.lang.t(text).to_owned(),
                action: format!("/admin/transfers/{id}/{action}"),
                reason_asked,
                back,
            },
        );
    }
    let done = match action.as_str() {
        "approve" => {
            let approval = Approval {
                asset_ids: None,
                reason,
            };
            transfers::approve(&app, actor, id, approval).await?;
            "approved"
        }
        "reject" => {
            transfers::reject(&app, actor, id, Reason { reason }).await?;
            "rejected"
        }
        "issue" => {
            transfers::issue(&app, actor, id).await?;
            "handed_over"
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    };
    Ok(Redirect::to(&super::done(&back, done)).into_response())
}

#[derive(askama::Template)]
#[template(path = "disposals.html")]
struct DisposalsPage {
    c: Chrome,
    status: String,
    disposals: Vec<Disposal>,
    pager: super::Pager,
    /// What every disposal remitted, not only this page's.
    remitted_fen: FenSum,
    /// The proposal's form, when it came back refused: why, and what was typed.
    refused: Refused,
}

impl DisposalsPage {
    fn statuses(&self) -> &'static [DisposalStatus] {
        DisposalStatus::ALL
    }
}

async fn disposal_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    disposals_page(&app, &v, &q, Refused::default()).await
}

async fn disposals_page(
    app: &App,
    v: &Viewer,
    q: &super::ListQuery,
    refused: Refused,
) -> PageResult {
    let status = DisposalStatus::named(&q.status);
    let paging = super::list_paging(&q.page)?;
    let found = disposals::list(app, &v.actor, status, paging).await?;
    let remitted_fen = disposals::remitted(app, &v.actor).await?;
    let status = status.map(|s| s.as_str()).unwrap_or_default();
    render(DisposalsPage {
        c: v.chrome("disposals"),
        status: status.to_owned(),
        pager: super::Pager::of("/disposals", &[("status", status)], &found),
        disposals: found.items,
        remitted_fen,
        refused,
    })
}

/// The disposals the list shows (every page of them, with its status filter) as CSV.
async fn disposals_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = disposals::export(&app, &v.actor, DisposalStatus::named(&q.status)).await?;
    let columns = super::reports::DISPOSAL_COLUMNS;
    Ok(style.download(
        &v,
        "disposals",
        columns,
        rows,
        super::reports::disposal_cells,
    ))
}

/// Put assets forward for disposal (admin or keeper): each becomes pending disposal. A
/// refusal shows the list again with the reason and what was typed.
async fn propose_disposal(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_disposal(&app, &v, &form).await;
    let outcome = outcome.map(|id| super::done(&format!("/disposals/{id}"), "proposed"));
    let first = super::ListQuery::default();
    super::after_form(&v, "propose", form, outcome, |refused| {
        disposals_page(&app, &v, &first, refused)
    })
    .await
}

/// The disposal a posted form proposes: its id.
async fn new_disposal(app: &App, v: &Viewer, form: &Fields) -> Result<i64, PageError> {
    let new = NewDisposal {
        asset_ids: ids(field(form, "assets"))?,
        reason: note(form, "reason")?,
    };
    Ok(disposals::request(app, &v.actor, new).await?.id)
}

#[derive(askama::Template)]
#[template(path = "disposal.html")]
struct DisposalPage {
    c: Chrome,
    d: Disposal,
    timeline: Vec<Event>,
    /// What the viewer may do to the disposal now: appraise, decide, sell, remit.
    can: Vec<&'static str>,
    /// The action refused, if one was: why, and what was typed, shown beside its form.
    refused: Refused,
}

impl DisposalPage {
    fn status(&self) -> &'static str {
        self.d.status.as_str()
    }
    fn can(&self, what: &str) -> bool {
        self.can.contains(&what)
    }
}

/// What the page offers, each with its operation and the disposal action of the status table:
/// a requested disposal may be rejected or cancelled before it is appraised.
const DISPOSAL_OFFERS: &[policy::Offer] = &[
    ("appraise", Op::AppraiseDisposal, "appraise"),
    ("approve", Op::ApproveDisposal, "approve"),
    ("reject", Op::RejectDisposal, "reject"),
    ("cancel", Op::CancelDisposal, "cancel"),
    ("sell", Op::SellDisposal, "sell"),
    ("scrap", Op::ScrapDisposal, "scrap"),
    ("remit", Op::RemitDisposal, "remit"),
];

async fn disposal_detail(v: Viewer, State(app): State<App>, Path(id): Path<i64>) -> PageResult {
    disposal_page(&app, &v, id, Refused::default()).await
}

/// The disposal's page; with a refused action, its message and what was typed.
async fn disposal_page(app: &App, v: &Viewer, id: i64, refused: Refused) -> PageResult {
    let d = disposals::get(app, &v.actor, id).await?;
    let timeline = disposals::events(app, &v.actor, id).await?;
    let can = policy::offered(&v.actor, DISPOSAL_OFFERS, DISPOSAL_ACTIONS, d.status);
    render(DisposalPage {
        c: v.chrome("disposals"),
        d,
        timeline,
        can,
        refused,
    })
}

/// Appraise → approve (or reject, or cancel) → sell at auction or scrap → remit the proceeds.
async fn disposal_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let needs_reason = matches!(action.as_str(), "scrap" | "reject" | "cancel");
    if matches!(
        action.as_str(),
        "approve" | "reject" | "cancel" | "scrap" | "remit"
    ) && (!super::confirmed(&form) || (needs_reason && field(&form, "reason").trim().is_empty()))
    {
        let (title, message, op) = match action.as_str() {
            "approve" => (
                "approve_disposal",
                "approve_disposal_text",
                Op::ApproveDisposal,
            ),
            "reject" => (
                "reject_disposal",
                "reject_disposal_text",
                Op::RejectDisposal,
            ),
            "cancel" => (
                "cancel_disposal",
                "cancel_disposal_text",
                Op::CancelDisposal,
            ),
            "remit" => ("remit_disposal", "remit_disposal_text", Op::RemitDisposal),
            _ => ("scrap_disposal", "scrap_disposal_text", Op::ScrapDisposal),
        };
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op,
                title: &format!("{} {id}?", v.lang.t(title)),
                message: v.lang.t(message).to_owned(),
                action: format!("/disposals/{id}/{action}"),
                reason_asked: needs_reason,
                back: format!("/disposals/{id}"),
            },
        );
    }
    let result = match action.as_str() {
        // A sale is final: asked first, warned when below the appraisal.
        "sell" if !super::confirmed(&form) => sale_asked(&app, &v, id, &form).await,
        _ => disposal_step(&app, &v, id, &action, &form)
            .await
            .map(|done| {
                Redirect::to(&super::done(&format!("/disposals/{id}"), done)).into_response()
            }),
    };
    // A figure or a rule refused: the page again, the message beside the form, what was
    // typed kept.
    match result {
        Ok(page) => Ok(page),
        Err(e) => {
            super::shown_again(e, |e| {
                disposal_page(&app, &v, id, Refused::new(&v, action, &e, form))
            })
            .await
        }
    }
}

/// The confirmation of a sale, which cannot be undone: what will be recorded, and, when the
/// price is below the appraisal, that warning instead.
async fn sale_asked(app: &App, v: &Viewer, id: i64, form: &Fields) -> PageResult {
    let price = fen(field(form, "price"))?;
    let buyer = text(form, "buyer")?;
    let (title, message) = match disposals::sale_warning(app, &v.actor, id, price).await? {
        Some(warning) => (v.lang.t("confirm_sale"), v.lang.say(&warning)),
        None => (
            v.lang.t("record_sale"),
            v.lang
                .t("record_sale_text")
                .replace("{id}", &id.to_string())
                .replace("{price}", &super::i18n::yuan(price.get().into()))
                .replace("{buyer}", &buyer),
        ),
    };
    super::confirm(
        v,
        form,
        super::Ask {
            op: Op::SellDisposal,
            title,
            message,
            action: format!("/disposals/{id}/sell"),
            reason_asked: false,
            back: format!("/disposals/{id}"),
        },
    )
}

/// One action on a disposal; what to say it did.
async fn disposal_step(
    app: &App,
    v: &Viewer,
    id: i64,
    action: &str,
    form: &Fields,
) -> Result<&'static str, PageError> {
    let actor = &v.actor;
    let reason = || {
        Ok::<_, PageError>(Reason {
            reason: note(form, "reason")?,
        })
    };
    Ok(match action {
        "appraise" => {
            let appraisal = Appraisal {
                appraised_value_fen: fen(field(form, "value"))?,
                appraiser: text(form, "appraiser")?,
            };
            disposals::appraise(app, actor, id, appraisal).await?;
            "appraised"
        }
        "approve" => {
            disposals::approve(app, actor, id, reason()?).await?;
            "approved"
        }
        "reject" => {
            disposals::reject(app, actor, id, reason()?).await?;
            "rejected"
        }
        "cancel" => {
            disposals::cancel(app, actor, id, reason()?).await?;
            "cancelled"
        }
        "sell" => {
            let sale = Sale {
                sale_price_fen: fen(field(form, "price"))?,
                buyer: text(form, "buyer")?,
                below_appraisal: super::confirmed(form),
            };
            disposals::sell(app, actor, id, sale).await?;
            "sold"
        }
        "scrap" => {
            disposals::scrap(app, actor, id, reason()?).await?;
            "scrapped"
        }
        "remit" => {
            let receipt_number = text(form, "receipt")?;
            disposals::remit(app, actor, id, Remittance { receipt_number }).await?;
            "remitted"
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    })
}

#[derive(askama::Template)]
#[template(path = "registers.html")]
struct RegistersPage {
    c: Chrome,
    users: Vec<UserListing>,
    pager: super::Pager,
    departments: Vec<(i64, String, String)>,
    warehouses: Vec<(String, String, String)>,
    warehouse_ids: Vec<(i64, String, String)>,
    zones: Vec<(String, String, String, String)>,
    /// The form last refused, if any: which (`user`, `department`, `warehouse`, `zone`),
    /// why (in the page's language) and what was typed in it.
    refused: Refused,
    /// The users' filter as chosen: a role, a department's id (each empty: any).
    filter_role: String,
    filter_department: String,
    /// The users' export as filtered.
    users_csv: String,
}

/// The kinds of zone, as the schema names them.
const ZONE_KINDS: [&str; 4] = ["storage", "staging", "gate_inside", "gate_outside"];

impl RegistersPage {
    fn role(&self, u: &UserListing) -> &'static str {
        policy::role_name(u.role)
    }

    fn zone_kinds(&self) -> [&'static str; 4] {
        ZONE_KINDS
    }

    /// The roles to choose from.
    fn roles(&self) -> [&'static str; 5] {
        ["requester", "keeper", "admin", "auditor", "finance"]
    }

    fn filter_department_is(&self, id: &i64) -> bool {
        self.filter_department == id.to_string()
    }

    /// A kind of zone in the viewer's language.
    fn zone_kind(&self, kind: &str) -> &'static str {
        self.c.t(&format!("zone_{kind}"))
    }
}

/// The registers' query: the users of a role (an unknown one is no filter) and of a
/// department (each empty: any), and the page of them.
#[derive(Debug, Default, serde::Deserialize)]
struct UsersQuery {
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: String,
}

impl UsersQuery {
    /// The filter asked for: a department that is no number is a 400.
    fn filter(&self) -> Result<UserFilter, PageError> {
        Ok(UserFilter {
            role: policy::role_named(self.role.trim()),
            department_id: super::filter_id("department", &self.department)?,
        })
    }
}

async fn registers(v: Viewer, State(app): State<App>, Query(q): Query<UsersQuery>) -> PageResult {
    let (filter, paging) = (q.filter()?, super::list_paging(&q.page)?);
    registers_listed(&app, &v, filter, paging, Refused::default()).await
}

/// The registers, every user listed (after a form on the page).
async fn registers_page(app: &App, v: &Viewer, users: app::Paging, refused: Refused) -> PageResult {
    registers_listed(app, v, UserFilter::default(), users, refused).await
}

async fn registers_listed(
    app: &App,
    v: &Viewer,
    filter: UserFilter,
    users: app::Paging,
    refused: Refused,
) -> PageResult {
    let r = catalogue::registers(app, &v.actor, filter, users).await?;
    let role = filter.role.map_or("", policy::role_name);
    let department = filter
        .department_id
        .map(|d| d.to_string())
        .unwrap_or_default();
    let fields = [("role", role), ("department", department.as_str())];
    render(RegistersPage {
        c: v.chrome("registers"),
        pager: super::Pager::of("/admin/registers", &fields, &r.users),
        users_csv: super::with_query("/admin/users.csv", &fields),
        filter_role: role.to_owned(),
        filter_department: department.clone(),
        users: r.users.items,
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
        refused,
    })
}

/// A registers form's outcome: back to the page, told what was done; or, refused, the page
/// again with the reason above the form `which` and what was typed in it.
async fn registers_outcome(
    app: &App,
    v: &Viewer,
    which: &'static str,
    form: Fields,
    outcome: Result<&'static str, PageError>,
) -> PageResult {
    let outcome = outcome.map(|done| super::done("/admin/registers", done));
    super::after_form(v, which, form, outcome, |refused| {
        registers_page(app, v, super::first_page(), refused)
    })
    .await
}

/// Every user the registers list with their filter (`role`, `department`) as CSV: login,
/// name, role, department, whether active.
async fn users_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<UsersQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = catalogue::user_export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::USER_COLUMNS;
    Ok(style.download(&v, "users", columns, rows, super::reports::user_cells))
}

async fn add_user(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_user(&app, &v, &form).await;
    registers_outcome(&app, &v, "user", form, outcome).await
}

async fn new_user(app: &App, v: &Viewer, form: &Fields) -> Result<&'static str, PageError> {
    let role = policy::role_named(field(form, "role")).unwrap_or(Role::Requester);
    let new = NewUser {
        username: text(form, "username")?,
        display_name: optional_text(form, "display_name")?,
        password: named("password", NewPassword::parse(field(form, "password")))?,
        role,
        department_id: super::form_id(form, "department")?,
        email: named(
            "email",
            crate::domain::bounds::Email::parse(field(form, "email")),
        )?,
    };
    people::create_user(app, &v.actor, new).await?;
    Ok("user_saved")
}

#[derive(askama::Template)]
#[template(path = "user.html")]
struct UserPage {
    c: Chrome,
    u: crate::db::people::User,
    departments: Vec<(i64, String, String)>,
    /// Why the last change was refused, in the page's language.
    error: String,
    /// The field it is about (`display`, `email`, `role`, `department`, `password`,
    /// `access`), said beside it; empty: above the details.
    error_at: &'static str,
}

impl UserPage {
    fn error_at(&self, at: &str) -> bool {
        !self.error.is_empty() && self.error_at == at
    }
    fn email(&self) -> &str {
        self.u.email.as_deref().unwrap_or_default()
    }
    fn roles(&self) -> &'static [&'static str] {
        &["requester", "keeper", "admin", "auditor", "finance"]
    }
    fn in_department(&self, id: &i64) -> bool {
        self.u.department_id == Some(*id)
    }
    fn role_is(&self, r: &&str) -> bool {
        policy::role_name(self.u.role) == *r
    }
}

/// One user, for the admin: their name, e-mail, role and department; a new password; and
/// whether they may sign in.
async fn user_page(v: Viewer, State(app): State<App>, Path(id): Path<i64>) -> PageResult {
    let u = people::get_user(&app, &v.actor, id).await?;
    user_form(&app, &v, u, String::new(), "").await
}

async fn user_form(
    app: &App,
    v: &Viewer,
    u: crate::db::people::User,
    error: String,
    error_at: &'static str,
) -> PageResult {
    let departments = people::list_departments(app, &v.actor)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code, d.name))
        .collect();
    render(UserPage {
        c: v.chrome("registers"),
        u,
        departments,
        error,
        error_at,
    })
}

/// Which of the user page's fields a refusal is about: the form posted (a new password,
/// access), else the field the message names or is about.
fn user_form_field(form: &Fields, message: &str) -> &'static str {
    if !field(form, "password").is_empty() {
        return "password";
    }
    if !field(form, "active").is_empty() {
        return "access";
    }
    match message.split_once(": ").map(|(name, _)| name) {
        Some("display_name") => return "display",
        Some("email") => return "email",
        Some("role") => return "role",
        Some("department") => return "department",
        _ => {}
    }
    match app::messages::lookup(message).map(|m| m.key) {
        Some("not_an_email") => "email",
        Some("requester_department" | "no_such_department") => "department",
        Some("choose_role") => "role",
        _ => "",
    }
}

/// Save one of the user page's three forms: the details, a new password, or access. A
/// refusal shows the page again with the reason and what was typed.
async fn change_user(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let (change, done) = match user_change(&form) {
        Ok(c) => c,
        Err(PageError::App(e)) => return refused_user(&app, &v, id, &form, e).await,
        Err(e) => return Err(e),
    };
    match people::update_user(&app, &v.actor, id, change, None).await {
        Ok(_) => {
            Ok(Redirect::to(&super::done(&format!("/admin/users/{id}"), done)).into_response())
        }
        Err(e) => refused_user(&app, &v, id, &form, e).await,
    }
}

/// What one of the user page's forms asks to change, and what to say once it is done.
fn user_change(form: &Fields) -> Result<(people::UserChange, &'static str), PageError> {
    if !field(form, "password").is_empty() {
        let password = named("password", NewPassword::parse(field(form, "password")))?;
        let change = people::UserChange {
            password: Some(password),
            ..Default::default()
        };
        return Ok((change, "password_reset"));
    }
    match field(form, "active") {
        "false" => {
            let change = people::UserChange {
                active: Some(false),
                ..Default::default()
            };
            return Ok((change, "user_disabled"));
        }
        "true" => {
            let change = people::UserChange {
                active: Some(true),
                ..Default::default()
            };
            return Ok((change, "user_enabled"));
        }
        _ => {}
    }
    let Some(role) = policy::role_named(field(form, "role")) else {
        return Err(invalid("role: choose a role"));
    };
    let change = people::UserChange {
        display_name: Some(text(form, "display_name")?),
        role: Some(role),
        department_id: super::form_id(form, "department")?,
        email: Some(named(
            "email",
            crate::domain::bounds::Email::parse(field(form, "email")),
        )?),
        ..Default::default()
    };
    Ok((change, "user_saved"))
}

async fn refused_user(app: &App, v: &Viewer, id: i64, form: &Fields, e: app::Error) -> PageResult {
    if matches!(e, app::Error::Internal(_) | app::Error::Unavailable(_)) {
        return Err(e.into());
    }
    let mut u = people::get_user(app, &v.actor, id).await?;
    if !field(form, "display_name").is_empty() {
        // The details as typed, so that nothing is lost.
        u.display_name = field(form, "display_name").to_owned();
        u.email = Some(field(form, "email").to_owned());
        u.department_id = field(form, "department").parse().ok();
        if let Some(role) = policy::role_named(field(form, "role")) {
            u.role = role;
        }
    }
    let status = super::status(&e);
    let message = e.to_string();
    let at = user_form_field(form, &message);
    let mut response = user_form(app, v, u, v.lang.say(&message), at).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn add_department(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_department(&app, &v, &form).await;
    registers_outcome(&app, &v, "department", form, outcome).await
}

async fn new_department(app: &App, v: &Viewer, form: &Fields) -> Result<&'static str, PageError> {
    let new = NewDepartment {
        code: text(form, "code")?,
        name: text(form, "name")?,
        name_zh: optional_text(form, "name_zh")?,
        name_en: optional_text(form, "name_en")?,
    };
    people::create_department(app, &v.actor, new).await?;
    Ok("created")
}

async fn add_warehouse(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_warehouse(&app, &v, &form).await;
    registers_outcome(&app, &v, "warehouse", form, outcome).await
}

async fn new_warehouse(app: &App, v: &Viewer, form: &Fields) -> Result<&'static str, PageError> {
    let new = NewWarehouse {
        code: text(form, "code")?,
        name: text(form, "name")?,
        address: text(form, "address")?,
        name_zh: optional_text(form, "name_zh")?,
        name_en: optional_text(form, "name_en")?,
    };
    catalogue::create_warehouse(app, &v.actor, new).await?;
    Ok("created")
}

async fn add_zone(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_zone(&app, &v, &form).await;
    registers_outcome(&app, &v, "zone", form, outcome).await
}

async fn new_zone(app: &App, v: &Viewer, form: &Fields) -> Result<&'static str, PageError> {
    let warehouse: i64 = field(form, "warehouse")
        .parse()
        .map_err(|_| invalid("choose a warehouse"))?;
    let new = NewZone {
        code: text(form, "code")?,
        name: text(form, "name")?,
        kind: text(form, "kind")?,
        name_zh: optional_text(form, "name_zh")?,
        name_en: optional_text(form, "name_en")?,
    };
    catalogue::create_zone(app, &v.actor, warehouse, new).await?;
    Ok("created")
}

#[derive(askama::Template)]
#[template(path = "compensations.html")]
struct CompensationsPage {
    c: Chrome,
    status: String,
    cases: Vec<Compensation>,
    pager: super::Pager,
    /// A case's form last refused, if any: why, and what was typed.
    refused: Refused,
}

impl CompensationsPage {
    /// The name of a case's form on the page: its action and the case.
    fn form(&self, action: &str, case: &Compensation) -> String {
        case_form(action, case.id)
    }

    fn statuses(&self) -> &'static [CompensationStatus] {
        CompensationStatus::ALL
    }

    fn kind(&self, case: &Compensation) -> &'static str {
        match case.kind {
            compensations::Kind::Damage => "damage",
            compensations::Kind::Loss => "loss",
        }
    }
}

/// Compensation cases opened at return inspection: repaired (keeper or admin, for the repair
/// cost), paid (admin, with the receipt) or waived (admin, with a reason).
async fn compensation_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    compensations_page(&app, &v, &q, Refused::default()).await
}

async fn compensations_page(
    app: &App,
    v: &Viewer,
    q: &super::ListQuery,
    refused: Refused,
) -> PageResult {
    let status = CompensationStatus::named(&q.status);
    let paging = super::list_paging(&q.page)?;
    let found = loans::compensation_desk(app, &v.actor, status, paging).await?;
    let status = status.map(|s| s.as_str()).unwrap_or_default();
    render(CompensationsPage {
        status: status.to_owned(),
        pager: super::Pager::of("/compensations", &[("status", status)], &found),
        cases: found.items,
        refused,
        c: v.chrome(match v.actor.role {
            Role::Keeper => "returns",
            Role::Requester => "compensation_cases",
            _ => "dashboard",
        }),
    })
}

/// The cases the list shows (every page of them, with its status filter; a department's
/// own only) as CSV.
async fn compensations_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let status = CompensationStatus::named(&q.status);
    let rows = loans::compensation_export(&app, &v.actor, status).await?;
    let columns = super::reports::COMPENSATION_COLUMNS;
    let cells = super::reports::compensation_cells;
    Ok(style.download(&v, "compensations", columns, rows, cells))
}

/// The name of a case's form (`repair`, `pay`, `waive`) on the compensations page.
fn case_form(action: &str, id: i64) -> String {
    format!("{action}-{id}")
}

/// Repaired, paid or waived. Paying and waiving close the case for good: asked first. A
/// refusal shows the cases again with the reason beside that case's form and what was typed.
async fn compensation_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    if let Some(asked) = compensation_asked(&v, id, &action, &form)? {
        return Ok(asked);
    }
    let outcome = compensation_step(&app, &v, id, &action, &form).await;
    let outcome = outcome.map(|()| super::done("/compensations", "saved"));
    let first = super::ListQuery::default();
    super::after_form(&v, case_form(&action, id), form, outcome, |refused| {
        compensations_page(&app, &v, &first, refused)
    })
    .await
}

/// The confirmation step of a repair (its cost shown), paying (the receipt shown) or waiving
/// (with a reason), when the form is not its second step. A cost that is no amount, or a
/// receipt that is no text, is not asked about: the step refuses it beside its field.
fn compensation_asked(
    v: &Viewer,
    id: i64,
    action: &str,
    form: &Fields,
) -> Result<Option<axum::response::Response>, PageError> {
    let ask = match action {
        "repair" if !super::confirmed(form) => match super::fen(field(form, "cost")) {
            Ok(cost) => super::Ask {
                op: Op::RepairCompensation,
                title: &format!("{} {id}?", v.lang.t("repair_case")),
                message: v
                    .lang
                    .t("repair_case_text")
                    .replace("{cost}", &super::i18n::yuan(cost.get().into())),
                action: format!("/compensations/{id}/repair"),
                reason_asked: false,
                back: "/compensations".into(),
            },
            Err(_) => return Ok(None),
        },
        "pay" if !super::confirmed(form) => match text(form, "receipt") {
            Ok(receipt) => super::Ask {
                op: Op::PayCompensation,
                title: &format!("{} {id}?", v.lang.t("pay_case")),
                message: format!("{} {}", v.lang.t("pay_case_text"), &*receipt),
                action: format!("/compensations/{id}/pay"),
                reason_asked: false,
                back: "/compensations".into(),
            },
            Err(_) => return Ok(None),
        },
        "waive" if !super::confirmed(form) || field(form, "reason").trim().is_empty() => {
            super::Ask {
                op: Op::WaiveCompensation,
                title: &format!("{} {id}?", v.lang.t("waive_case")),
                message: v.lang.t("waive_case_text").to_owned(),
                action: format!("/compensations/{id}/waive"),
                reason_asked: true,
                back: "/compensations".into(),
            }
        }
        _ => return Ok(None),
    };
    super::confirm(v, form, ask).map(Some)
}

/// One action on a compensation case.
async fn compensation_step(
    app: &App,
    v: &Viewer,
    id: i64,
    action: &str,
    form: &Fields,
) -> Result<(), PageError> {
    let actor = &v.actor;
    match action {
        "repair" => {
            let cost_fen = fen(field(form, "cost"))?;
            loans::repaired(app, actor, id, Repair { cost_fen }).await?;
        }
        "pay" => {
            let receipt_number = text(form, "receipt")?;
            loans::paid(app, actor, id, Payment { receipt_number }).await?;
        }
        "waive" => {
            let reason = note(form, "reason")?;
            loans::waived(app, actor, id, Reason { reason }).await?;
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    }
    Ok(())
}
