//! Loan and asset pages: lists, details with the full timeline, and the actions each role
//! takes on a loan (cancel; approve with an adjustable choice of assets, or reject; issue;
//! take back with inspection). A requester sees only their own department's loans (404).

use std::collections::HashMap;

use axum::extract::{Query, State};

use super::Path;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{
    day, field, ids, invalid, named, note, number, render, text, Chrome, Fields, PageError,
    PageResult, Posted, Refused, Viewer,
};
use crate::app::assets::{self, ActionBody, AssetFilter, ManualAction};
use crate::app::loans::{self, Issue, LoanFilter, Return};
use crate::app::{self, catalogue, policy, App, Approval, Op, Reason};
use crate::auth::Role;
use crate::db::assets::Asset;
use crate::db::events::Event;
use crate::db::loans::{Condition, Loan, ReturnedItem};
use crate::db::orders;
use crate::db::rentals::{NewRental, Rental};
use crate::domain::bounds::{Fen, FenSum, Text};
use crate::domain::lifecycle::orders::LOAN_ACTIONS;
use crate::domain::lifecycle::AssetState;

pub fn router() -> Router<App> {
    Router::new()
        .route("/orders", get(list))
        .route("/orders.csv", get(list_csv))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/{action}", post(act))
        .route("/assets", get(asset_list))
        .route("/assets.csv", get(asset_list_csv))
        .route("/assets/{id}", get(asset_detail))
        .route("/assets/{id}/{action}", post(asset_action))
}

#[derive(askama::Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    c: Chrome,
    title: &'static str,
    status: String,
    loans: Vec<Loan>,
    pager: super::Pager,
}

const STATUSES: &[&str] = &[
    "requested",
    "approved",
    "partially_issued",
    "issued",
    "overdue",
    "returned",
    "rejected",
    "cancelled",
];

impl OrdersPage {
    fn statuses(&self) -> &'static [&'static str] {
        STATUSES
    }
}

/// The orders the list shows (every page of them, with its status filter) as CSV.
async fn list_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let status = STATUSES
        .iter()
        .find(|s| **s == q.status)
        .map(|s| s.to_string());
    let filter = LoanFilter {
        status,
        department: None,
    };
    let rows = loans::export(&app, &v.actor, filter).await?;
    let columns = super::reports::OVERDUE_COLUMNS;
    Ok(style.download(&v, "orders", columns, rows, super::reports::loan_cells))
}

async fn list(v: Viewer, State(app): State<App>, Query(q): Query<super::ListQuery>) -> PageResult {
    let status = STATUSES
        .iter()
        .find(|s| **s == q.status)
        .map(|s| s.to_string());
    let filter = LoanFilter {
        status: status.clone(),
        department: None,
    };
    let paging = super::list_paging(&q.page)?;
    let found = loans::list(&app, &v.actor, filter, paging).await?;
    let status = status.unwrap_or_default();
    let pager = super::Pager::of("/orders", &[("status", &status)], &found);
    let (here, title) = if v.actor.role == Role::Requester {
        ("my_orders", "my_orders")
    } else {
        ("orders", "orders")
    };
    render(OrdersPage {
        c: v.chrome(here),
        title,
        status,
        loans: found.items,
        pager,
    })
}

#[derive(askama::Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Chrome,
    loan: Loan,
    categories: HashMap<i64, String>,
    /// The kits the loan's lines name, by id.
    kits: HashMap<i64, String>,
    timeline: Vec<Event>,
    /// Admin, requested: the automatic choice and other free assets (id, name, epc).
    proposal: Vec<(i64, String, String)>,
    alternatives: Vec<(i64, String, String)>,
    proposal_error: String,
    /// Categories that fall short: approve what there is, rent the rest.
    shortfalls: Vec<String>,
    zones: Vec<(i64, String)>,
    just_requested: bool,
    /// What the viewer may do to the loan now: cancel, decide, issue, return, rent.
    can: Vec<&'static str>,
    /// Its market rentals, each with what the viewer may do to it now, and what they cost.
    rentals: Vec<(Rental, Vec<&'static str>)>,
    rentals_cost: FenSum,
    rentals_back: &'static str,
    /// The categories a rental may be recorded for, by name.
    category_options: Vec<(i64, String)>,
    /// The rental's form, when it came back refused: why, and what was typed.
    refused: Refused,
}

impl OrderPage {
    /// Whether the viewer may open the assets' pages: a borrowing department reads a loan's
    /// assets on the loan (name, EPC, what became of them), not the depot's records of them.
    fn asset_pages(&self) -> bool {
        self.c.role() != "requester"
    }
    fn category(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.categories.get(&id))
            .map(|name| self.c.category(name).to_owned())
            .unwrap_or_default()
    }
    fn kit(&self, id: &i64) -> String {
        self.kits.get(id).cloned().unwrap_or_default()
    }
    fn status(&self) -> &'static str {
        self.loan.status.as_str()
    }
    fn can(&self, what: &str) -> bool {
        self.can.contains(&what)
    }
    /// Why a form was refused whose section the page no longer shows (the loan moved on
    /// meanwhile: approved by someone else, cancelled): said at the top instead.
    fn refused_elsewhere(&self) -> &str {
        const SHOWN_BY: &[(&str, &str)] = &[
            ("approve", "decide"),
            ("reject", "decide"),
            ("sign-off", "sign_off"),
            ("refuse", "sign_off"),
            ("issue", "issue"),
            ("return", "return"),
            ("cancel", "cancel"),
            ("rent", "rent"),
        ];
        SHOWN_BY
            .iter()
            .map(|(form, shown)| (self.refused.why(form), shown))
            .find(|(why, _)| !why.is_empty())
            .filter(|(_, shown)| !self.can(shown))
            .map_or("", |(why, _)| why)
    }
    /// Whether asset `id` stands ticked in form `form`: as posted when it was refused, else
    /// `fresh`.
    fn ticked(&self, form: &str, id: &i64, fresh: bool) -> bool {
        match self.refused.why(form).is_empty() {
            true => fresh,
            false => self.refused.chose(form, "asset", id),
        }
    }
    /// The note typed for asset `id` in the return form, when it was refused.
    fn return_note(&self, id: &i64) -> &str {
        self.refused.typed("return", &format!("note-{id}"))
    }
    /// Whether `condition` is chosen for asset `id` in the return form: as posted when it
    /// was refused, else "fine".
    fn condition_is(&self, id: &i64, condition: &str) -> bool {
        match self.refused.why("return").is_empty() {
            true => condition == "fine",
            false => self
                .refused
                .chose("return", &format!("condition-{id}"), &condition),
        }
    }
    fn waiting(&self) -> Vec<&orders::Reserved> {
        self.loan
            .assets
            .iter()
            .filter(|a| a.issued_at.is_none() && a.released_at.is_none())
            .collect()
    }
    fn out(&self) -> Vec<&orders::Reserved> {
        self.loan
            .assets
            .iter()
            .filter(|a| a.issued_at.is_some() && a.returned_at.is_none())
            .collect()
    }
}

/// What the page offers, each with the operation it takes and the loan action of the
/// lifecycle's status table.
const OFFERS: &[policy::Offer] = &[
    ("cancel", Op::CancelLoan, "cancel"),
    ("decide", Op::ApproveLoan, "approve"),
    ("sign_off", Op::SignOffLoan, "sign_off"),
    ("issue", Op::IssueLoan, "issue"),
    ("return", Op::ReturnLoan, "return"),
    ("rent", Op::RecordRental, "rent"),
];

#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    #[serde(default)]
    requested: String,
}

async fn detail(
    v: Viewer,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    order_page(&app, &v, id, !q.requested.is_empty(), Refused::default()).await
}

/// A loan's page; with its rental's form refused, the reason and what was typed.
async fn order_page(
    app: &App,
    v: &Viewer,
    id: i64,
    just_requested: bool,
    refused: Refused,
) -> PageResult {
    let loan = loans::get(app, &v.actor, id).await?;
    let timeline = loans::events(app, &v.actor, id).await?;
    let category_options = catalogue::category_names(app, &v.actor).await?;
    let categories = category_options.iter().cloned().collect();

    let kits = match loan.lines.iter().any(|l| l.kit_id.is_some()) {
        true => app::kits::list(app, &v.actor)
            .await?
            .into_iter()
            .map(|k| (k.id, k.name))
            .collect(),
        false => HashMap::new(),
    };
    let (rentals, rentals_cost) = app::rentals::of_loan(app, &v.actor, &loan).await?;
    let proposal = loans::proposal(app, &v.actor, &loan)
        .await?
        .unwrap_or_default();
    let zones = catalogue::zone_names(app, &v.actor, true).await?;
    let can = policy::offered(&v.actor, OFFERS, LOAN_ACTIONS, loan.status);
    let here = if v.actor.role == Role::Requester {
        "my_orders"
    } else {
        "orders"
    };
    render(OrderPage {
        c: v.chrome(here),
        loan,
        categories,
        kits,
        timeline,
        proposal: proposal
            .chosen
            .into_iter()
            .map(|a| (a.id, a.name, a.epc))
            .collect(),
        alternatives: proposal.alternatives,
        proposal_error: proposal.error,
        shortfalls: proposal.shortfalls,
        zones,
        just_requested,
        can,
        rentals: super::rentals::offered(v, rentals),
        rentals_cost,
        rentals_back: "loan",
        category_options,
        refused,
    })
}

/// The ticked check boxes named `asset`.
fn ticked(form: &Fields) -> Vec<i64> {
    form.iter()
        .filter(|(k, _)| k == "asset")
        .filter_map(|(_, v)| v.parse().ok())
        .collect()
}

/// The actions on a loan, each the same operation as the API's.
async fn act(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    if action == "rent" {
        // Refused, the loan's page again with the rental's form as it was typed.
        let outcome = new_rental(&app, &v, id, &form).await.map(|()| {
            let to = super::done(&format!("/orders/{id}"), "saved");
            format!("{to}#rentals")
        });
        return super::after_form(&v, "rent", form, outcome, |refused| {
            order_page(&app, &v, id, false, refused)
        })
        .await;
    }
    const ACTIONS: &[&str] = &[
        "cancel", "approve", "reject", "sign-off", "refuse", "issue", "return",
    ];
    if !ACTIONS.contains(&action.as_str()) {
        return Err(app::Error::NotFound("no such action".into()).into());
    }
    if let Some(asked) = ask_first(&app, &v, id, &action, &form).await? {
        return Ok(asked);
    }
    let done = match action.as_str() {
        "cancel" => "cancelled",
        "approve" => "approved",
        "reject" => "rejected",
        "sign-off" => "approved",
        "refuse" => "rejected",
        "issue" => "issued",
        "return" => "returned",
        _ => "saved",
    };
    // Refused, the loan's page again with the refusal beside the form and what was typed
    // or ticked in it kept.
    let outcome = match order_step(&app, &v, id, &action, &form).await {
        Ok(Some(asked)) => return Ok(asked),
        Ok(None) => Ok(super::done(&format!("/orders/{id}"), done)),
        Err(e) => Err(e),
    };
    super::after_form(&v, action, form, outcome, |refused| {
        order_page(&app, &v, id, false, refused)
    })
    .await
}

/// One action on a loan, the same operation as the API's; `Some` page when it asks first.
async fn order_step(
    app: &App,
    v: &Viewer,
    id: i64,
    action: &str,
    form: &Fields,
) -> Result<Option<axum::response::Response>, PageError> {
    let actor = &v.actor;
    let reason = note(form, "reason")?;
    match action {
        "cancel" => drop(loans::cancel(app, actor, id, Reason { reason }).await?),
        "approve" => {
            let mut chosen = ticked(form);
            chosen.extend(ids(field(form, "extra"))?);
            let approval = Approval {
                asset_ids: Some(chosen),
                reason,
            };
            loans::approve(app, actor, id, approval).await?;
        }
        "reject" => drop(loans::reject(app, actor, id, Reason { reason }).await?),
        "sign-off" => drop(loans::sign_off(app, actor, id, Reason { reason }).await?),
        "refuse" => drop(loans::refuse(app, actor, id, Reason { reason }).await?),
        // A kit's button hands over its whole line; the other, the ticked assets.
        "issue" if !field(form, "line").is_empty() => {
            let line = field(form, "line")
                .parse()
                .map_err(|_| invalid("line: not a line of this loan"))?;
            let issue = Issue {
                asset_ids: None,
                line_ids: Some(vec![line]),
            };
            loans::issue(app, actor, id, issue).await?;
        }
        "issue" => {
            let chosen = ticked(form);
            if chosen.is_empty() {
                return Err(invalid("tick the assets handed over"));
            }
            let issue = Issue {
                asset_ids: Some(chosen),
                line_ids: None,
            };
            loans::issue(app, actor, id, issue).await?;
        }
        "return" => {
            let items = returned(form)?;
            // Damaged or missing opens a compensation case, which this page cannot undo:
            // asked first, naming them.
            let marked: Vec<(i64, Condition)> = items
                .iter()
                .map(|i| (i.asset_id, i.condition))
                .filter(|(_, c)| *c != Condition::Fine)
                .collect();
            if !marked.is_empty() && !super::confirmed(form) {
                let asked = super::keeper::Marked {
                    op: Op::ReturnLoan,
                    action: format!("/orders/{id}/return"),
                    back: format!("/orders/{id}"),
                };
                return super::keeper::ask_marked(app, v, form, &marked, asked)
                    .await
                    .map(Some);
            }
            let back = Return { items: Some(items) };
            loans::take_back(app, actor, id, back).await?;
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    }
    Ok(None)
}

/// What a loan page's return form takes back: each asset whose condition was chosen (fine,
/// damaged, missing; "—": not back yet), into the zone chosen, with its note.
fn returned(form: &Fields) -> Result<Vec<ReturnedItem>, PageError> {
    let zone_id = super::form_id(form, "zone")?;
    let mut items = Vec::new();
    for (k, value) in form {
        let Some(asset) = k
            .strip_prefix("condition-")
            .and_then(|a| a.parse::<i64>().ok())
        else {
            continue;
        };
        let condition = match value.as_str() {
            "fine" => Condition::Fine,
            "damaged" => Condition::Damaged,
            "missing" => Condition::Missing,
            _ => continue, // not back yet
        };
        items.push(ReturnedItem {
            asset_id: asset,
            condition,
            zone_id,
            note: note(form, &format!("note-{asset}"))?,
        });
    }
    Ok(items)
}

/// A market rental recorded for a loan's shortfall, as its form gives it.
async fn new_rental(app: &App, v: &Viewer, id: i64, form: &Fields) -> Result<(), PageError> {
    let new = NewRental {
        supplier: text(form, "supplier")?,
        category_id: number(form, "category")?,
        quantity: number(form, "quantity")?,
        starts_on: day(form, "starts_on")?
            .ok_or_else(|| invalid("starts_on: give the rental's first day"))?,
        ends_on: day(form, "ends_on")?
            .ok_or_else(|| invalid("ends_on: give the rental's last day"))?,
        daily_price_fen: named("daily_price", Fen::from_yuan(field(form, "daily_price")))?,
        total_fen: match field(form, "total") {
            "" => None,
            total => Some(named("total", Fen::from_yuan(total))?),
        },
        note: note(form, "note")?,
    };
    app::rentals::record(app, &v.actor, id, new).await?;
    Ok(())
}

/// The confirmation step of a loan's action that cannot be undone, when the form is not its
/// second step: cancelling, rejecting and refusing the sign-off (each with a reason: the log
/// says why), approving, issuing before the first day.
async fn ask_first(
    app: &App,
    v: &Viewer,
    id: i64,
    action: &str,
    form: &Fields,
) -> Result<Option<axum::response::Response>, super::PageError> {
    let needs_reason = matches!(action, "cancel" | "reject" | "refuse");
    if super::confirmed(form) && (!needs_reason || !field(form, "reason").trim().is_empty()) {
        return Ok(None);
    }
    let lang = v.lang;
    let (op, title, message, reason_asked) = match action {
        "cancel" => (
            Op::CancelLoan,
            format!("{} {id}?", lang.t("cancel_loan")),
            lang.t("cancel_loan_text").to_owned(),
            true,
        ),
        "reject" => (
            Op::RejectLoan,
            format!("{} {id}?", lang.t("reject_loan")),
            lang.t("reject_loan_text").to_owned(),
            true,
        ),
        "refuse" => (
            Op::RefuseLoan,
            format!("{} {id}?", lang.t("refuse_loan")),
            lang.t("refuse_loan_text").to_owned(),
            true,
        ),
        "approve" => {
            let mut n = ticked(form).len();
            n += ids(field(form, "extra"))?.len();
            (
                Op::ApproveLoan,
                format!("{} {id}?", lang.t("approve_loan")),
                lang.t("approve_loan_text").replace("{n}", &n.to_string()),
                false,
            )
        }
        "issue" => {
            let loan = loans::get(app, &v.actor, id).await?;
            let today = chrono::Utc::now().with_timezone(&v.tz).date_naive();
            if loan.starts_on <= today {
                return Ok(None);
            }
            let early = (loan.starts_on - today).num_days();
            (
                Op::IssueLoan,
                format!("{} {id}?", lang.t("issue_early")),
                lang.t("issue_early_text")
                    .replace("{day}", &loan.starts_on.to_string())
                    .replace("{n}", &early.to_string()),
                false,
            )
        }
        _ => return Ok(None),
    };
    super::confirm(
        v,
        form,
        super::Ask {
            op,
            title: &title,
            message,
            action: format!("/orders/{id}/{action}"),
            reason_asked,
            back: format!("/orders/{id}"),
        },
    )
    .map(Some)
}

#[derive(Debug, Default, Deserialize)]
struct AssetQuery {
    #[serde(default)]
    q: Text,
    #[serde(default)]
    state: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    page: String,
}

#[derive(askama::Template)]
#[template(path = "assets.html")]
struct AssetsPage {
    c: Chrome,
    q: String,
    /// The filters as chosen (empty: any).
    state: String,
    category: String,
    zone: String,
    categories: Vec<(i64, String)>,
    zones: Vec<(i64, String)>,
    assets: Vec<Asset>,
    pager: super::Pager,
}

impl AssetsPage {
    fn states(&self) -> impl Iterator<Item = &'static str> {
        AssetState::ALL.iter().map(|s| s.as_str())
    }
    fn chosen(&self, value: &str, id: &i64) -> bool {
        value == id.to_string()
    }
    /// The export of this list, with its search and filters.
    fn csv_link(&self) -> String {
        let query = serde_urlencoded::to_string([
            ("q", self.q.as_str()),
            ("state", &self.state),
            ("category", &self.category),
            ("zone", &self.zone),
        ])
        .unwrap_or_default();
        format!("/assets.csv?{query}")
    }
}

impl AssetQuery {
    /// The list's filter: a state not known is none (the page's select has no such choice).
    fn filter(&self) -> Result<AssetFilter, PageError> {
        Ok(AssetFilter {
            text: Some(self.q.to_string()),
            state: AssetState::ALL
                .iter()
                .copied()
                .find(|s| s.as_str() == self.state),
            category: super::filter_id("category", &self.category)?,
            zone: super::filter_id("zone", &self.zone)?,
            ..Default::default()
        })
    }
}

/// The assets a page at a time: by a search, a state, a category and a zone.
async fn asset_list(v: Viewer, State(app): State<App>, Query(q): Query<AssetQuery>) -> PageResult {
    let filter = q.filter()?;
    let (state, category_id, zone_id) = (filter.state, filter.category, filter.zone);
    let paging = super::list_paging(&q.page)?;
    let found = assets::list(&app, &v.actor, filter, paging).await?;
    // Only what was understood is kept in the pager's links and the form.
    let state = state.map_or("", AssetState::as_str);
    let category = category_id.map_or_else(String::new, |c| c.to_string());
    let zone = zone_id.map_or_else(String::new, |z| z.to_string());
    let pager = super::Pager::of(
        "/assets",
        &[
            ("q", q.q.as_str()),
            ("state", state),
            ("category", &category),
            ("zone", &zone),
        ],
        &found,
    );
    render(AssetsPage {
        c: v.chrome("assets"),
        q: q.q.into(),
        state: state.to_owned(),
        category,
        zone,
        categories: catalogue::category_names(&app, &v.actor).await?,
        zones: catalogue::zone_names(&app, &v.actor, false).await?,
        assets: found.items,
        pager,
    })
}

/// Every asset the list finds with its search and filters (all its pages) as CSV.
async fn asset_list_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<AssetQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = assets::export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::ASSET_COLUMNS;
    Ok(style.download(&v, "assets", columns, rows, super::reports::asset_cells))
}

#[derive(askama::Template)]
#[template(path = "asset.html")]
struct AssetPage {
    c: Chrome,
    asset: Asset,
    place: String,
    /// "Between Aisle 2 and Aisle 3: check", when the readers cannot tell which.
    between: Option<String>,
    owner: String,
    holder: String,
    timeline: Vec<Event>,
    /// Where a found asset can be put back (staff only).
    zones: Vec<(i64, String)>,
    /// Its documents (photos, invoices, appraisals, contracts, receipts), when the viewer
    /// may read them.
    documents: Option<Vec<crate::db::attachments::Attachment>>,
    /// The form last refused (`retag`, `recover`, `mark-lost`, `attach`), if any: why, and
    /// what was typed.
    refused: Refused,
}

async fn asset_detail(v: Viewer, State(app): State<App>, Path(id): Path<i64>) -> PageResult {
    asset_page(&app, &v, id, Refused::default()).await
}

/// Asset `id`'s page, with the form `refused` refused, if any, beside it as it was typed.
pub async fn asset_page(app: &App, v: &Viewer, id: i64, refused: Refused) -> PageResult {
    let (asset, at) = assets::whereabouts(app, &v.actor, id).await?;
    let timeline = assets::events(app, &v.actor, id).await?;
    // A department reads the documents of its own assets only: for others, no section.
    let documents = match app::attachments::list(app, &v.actor, id).await {
        Err(app::Error::Forbidden(_)) => None,
        listed => Some(listed?),
    };
    let between = match (&at.zone, &at.between_zone) {
        (Some(zone), Some(other)) => Some(v.lang.between(zone, other)),
        _ => None,
    };
    let zones = match app::policy::permits(&v.actor, app::Op::RecoverAsset) {
        true => catalogue::zone_names(app, &v.actor, true).await?,
        false => Vec::new(),
    };
    render(AssetPage {
        c: v.chrome("assets"),
        asset,
        place: at.place.unwrap_or_default(),
        between,
        owner: at.owner.unwrap_or_else(|| v.lang.t("app").to_owned()),
        holder: at.holder.unwrap_or_default(),
        timeline,
        zones,
        documents,
        refused,
    })
}

/// The staff's actions on one asset from its page: mark it lost (with a reason, after a
/// confirmation step), undo that when it turns up (找回: back in stock, in a zone), and
/// re-tag it when its tag is damaged (with a reason, after a confirmation step).
async fn asset_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let reason = note(&form, "reason")?;
    if action == "retag" {
        let epc = super::optional_text(&form, "epc")?;
        if reason.trim().is_empty() || !super::confirmed(&form) {
            return super::confirm(
                &v,
                &form,
                super::Ask {
                    op: app::Op::RetagAsset,
                    title: v.lang.t("confirm_retag"),
                    message: v.lang.t("confirm_retag_text").to_owned(),
                    action: format!("/assets/{id}/retag"),
                    reason_asked: true,
                    back: format!("/assets/{id}"),
                },
            );
        }
        let outcome = assets::retag(&app, &v.actor, id, assets::Retag { epc, reason }).await;
        let outcome = outcome
            .map(|_| super::done(&format!("/assets/{id}"), "retagged"))
            .map_err(Into::into);
        return super::after_form(&v, action, form, outcome, |refused| {
            asset_page(&app, &v, id, refused)
        })
        .await;
    }
    let (manual, done) = match action.as_str() {
        "mark-lost" => (ManualAction::MarkLost, "marked_lost"),
        "recover" => (ManualAction::Recover, "recovered"),
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    };
    if reason.trim().is_empty() || (manual == ManualAction::MarkLost && !super::confirmed(&form)) {
        let title = match manual {
            ManualAction::MarkLost => v.lang.t("confirm_lost"),
            _ => v.lang.t("found_asset"),
        };
        let message = match manual {
            ManualAction::MarkLost => v.lang.t("confirm_lost_text"),
            _ => v.lang.t("found_help"),
        };
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: manual.op(),
                title,
                message: message.to_owned(),
                action: format!("/assets/{id}/{action}"),
                reason_asked: true,
                back: format!("/assets/{id}"),
            },
        );
    }
    let body = ActionBody {
        reason,
        zone_id: super::form_id(&form, "zone")?,
    };
    let outcome = assets::act(&app, &v.actor, id, manual, body).await;
    let outcome = outcome
        .map(|_| super::done(&format!("/assets/{id}"), done))
        .map_err(Into::into);
    super::after_form(&v, action, form, outcome, |refused| {
        asset_page(&app, &v, id, refused)
    })
    .await
}

impl AssetPage {
    /// Whether the page offers to put the asset back in stock (找回): it is lost.
    fn offers_recover(&self) -> bool {
        self.asset.state == AssetState::Lost && self.c.may(app::Op::RecoverAsset)
    }
    fn offers_mark_lost(&self) -> bool {
        self.losable() && self.c.may(app::Op::MarkAssetLost)
    }
    fn offers_attach(&self) -> bool {
        self.documents.is_some() && self.c.may(app::Op::AddAttachment)
    }
    fn offers_retag(&self) -> bool {
        self.asset.state != AssetState::Disposed && self.c.may(app::Op::RetagAsset)
    }
    /// Why a form was refused that the page does not offer now (the asset moved on: found
    /// already, disposed): said at the top instead.
    fn refused_elsewhere(&self) -> &str {
        [
            ("recover", self.offers_recover()),
            ("mark-lost", self.offers_mark_lost()),
            ("attach", self.offers_attach()),
            ("retag", self.offers_retag()),
        ]
        .into_iter()
        .map(|(form, offered)| (self.refused.why(form), offered))
        .find(|(why, _)| !why.is_empty())
        .filter(|(_, offered)| !offered)
        .map_or("", |(why, _)| why)
    }

    /// The label of a kind of document.
    fn doc_kind(&self, kind: &str) -> &'static str {
        match kind {
            "photo" => "doc_photo",
            "invoice" => "doc_invoice",
            "appraisal" => "doc_appraisal",
            "contract" => "doc_contract",
            "receipt" => "doc_receipt",
            _ => "doc_other",
        }
    }

    /// Whether the asset is in a state it can be marked lost from (the lifecycle's table).
    fn losable(&self) -> bool {
        crate::domain::lifecycle::AssetAction::MarkLost
            .allowed_from()
            .contains(&self.asset.state)
    }

    fn source(&self) -> &'static str {
        use crate::db::assets::SourceClass;
        match self.asset.source_class {
            SourceClass::EventPurchase => "event_purchase",
            SourceClass::AbolishedBody => "abolished_body",
            SourceClass::InstitutionalReform => "institutional_reform",
            SourceClass::OtherIdle => "other_idle",
        }
    }

    /// The label of how the asset was acquired, if the card says.
    fn acquisition(&self) -> Option<&'static str> {
        use crate::db::assets::AcquisitionMethod as M;
        self.asset.acquisition_method.map(|m| match m {
            M::Purchase => "acq_purchase",
            M::Transfer => "acq_transfer",
            M::Donation => "acq_donation",
            M::Other => "acq_other",
        })
    }
}
