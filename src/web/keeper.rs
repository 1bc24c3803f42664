//! The keeper's pages: pick lists for approved loans, the returns desk (loans to take back,
//! inspected on the loan page; assets back through the gate, inspected here in one form),
//! and intake with tag commissioning. The live gate view and the stocktake
//! page belong here too, once reader ingest streams its events.

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{
    day, fen, field, invalid, named, note, render, text, Chrome, Fields, PageError, PageResult,
    Posted, Refused, Viewer,
};
use crate::app::assets::{self, ActionBody, ManualAction};
use crate::app::intakes::{self, Receipt};
use crate::app::labels::{self, PrintRequest};
use crate::app::{self, catalogue, loans, people, App};
use crate::db::assets::{NewAsset, SourceClass};
use crate::db::hand_ins::HandIn;
use crate::db::intakes::{Intake, NewIntake};
use crate::db::loans::{Condition, Inspection, Loan, OutFilter};
use crate::db::reports::{PickFilter, PickLoan, Uninspected};
use crate::domain::bounds::Text;
use crate::domain::lifecycle::orders::IntakeStatus;

pub fn router() -> Router<App> {
    Router::new()
        .route("/keeper/picks", get(picks))
        .route("/keeper/picks.csv", get(picks_csv))
        .route("/keeper/returns", get(returns))
        .route("/keeper/returns.csv", get(returns_csv))
        .route("/keeper/returns/out.csv", get(out_csv))
        .route("/keeper/returns/inspect", post(inspect))
        .route("/keeper/intakes", get(intake_list).post(open_intake))
        .route("/keeper/intakes.csv", get(intakes_csv))
        .route("/keeper/intakes/{id}", get(intake_detail))
        .route("/keeper/intakes/{id}/receive", post(receive))
        .route("/keeper/intakes/{id}/labels", get(label_sheet))
        .route("/keeper/intakes/{id}/print", post(print_labels))
        .route("/keeper/intakes/{id}/write-tag", post(write_tag))
        .route("/keeper/hand-ins/{id}/take-in", post(take_in))
}

#[derive(askama::Template)]
#[template(path = "picks.html")]
struct PicksPage {
    c: Chrome,
    /// A page of loans, each with all its picks.
    loans: Vec<PickLoan>,
    pager: super::Pager,
    /// The departments to choose from, and the filter chosen: a department's id, a day
    /// (each empty: any).
    departments: Vec<(i64, String)>,
    department: String,
    starts_by: String,
    /// The export of the list as filtered.
    csv: String,
}

impl PicksPage {
    fn department_is(&self, id: &i64) -> bool {
        self.department == id.to_string()
    }
}

/// The pick list's query: the loans of a department, starting on or before a day (each
/// empty: any), and the page.
#[derive(Debug, Default, serde::Deserialize)]
struct PicksQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    starts_by: String,
    #[serde(default)]
    page: String,
}

impl PicksQuery {
    /// The filter asked for: a department that is no number is a 400, a day that is no day
    /// a 422.
    fn filter(&self) -> Result<PickFilter, PageError> {
        Ok(PickFilter {
            department_id: super::filter_id("department", &self.department)?,
            starts_by: super::filter_day("starts_by", &self.starts_by)?,
        })
    }
}

/// A pick list filter as its address says it: (department, starts_by).
fn pick_fields(f: &PickFilter) -> (String, String) {
    let department = f.department_id.map(|d| d.to_string()).unwrap_or_default();
    let day = f.starts_by.map(|d| d.to_string()).unwrap_or_default();
    (department, day)
}

/// The pick list a page of loans at a time ([`PICK_LOANS`] a page), each loan whole; of one
/// department, or starting by a day, when asked.
async fn picks(v: Viewer, State(app): State<App>, Query(q): Query<PicksQuery>) -> PageResult {
    let filter = q.filter()?;
    let paging = app::Paging {
        per_page: Some(PICK_LOANS),
        ..super::list_paging(&q.page)?
    };
    let found = loans::pick_list(&app, &v.actor, filter, paging).await?;
    let (department, starts_by) = pick_fields(&filter);
    let fields = [
        ("department", department.as_str()),
        ("starts_by", starts_by.as_str()),
    ];
    render(PicksPage {
        c: v.chrome("picks"),
        pager: super::Pager::of("/keeper/picks", &fields, &found),
        csv: super::with_query("/keeper/picks.csv", &fields),
        loans: found.items,
        departments: super::department_choices(&app, &v).await?,
        department,
        starts_by,
    })
}

/// How many loans a page of the pick list holds (with all their picks: a loan is never cut
/// in two).
const PICK_LOANS: i64 = 25;

/// Everything to pick, by loan and place, as CSV: what the list holds with its filter.
async fn picks_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<PicksQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = loans::pick_export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::PICK_COLUMNS;
    Ok(style.download(&v, "picks", columns, rows, super::reports::pick_cells))
}

#[derive(askama::Template)]
#[template(path = "returns.html")]
struct ReturnsPage {
    c: Chrome,
    /// A page of the loans out, soonest due first.
    loans: Vec<Loan>,
    pager: super::Pager,
    /// A page of what waits for inspection, longest back first, and its own pages
    /// (`returned_page`).
    uninspected: Vec<Uninspected>,
    returned_pager: super::Pager,
    /// The inspection, when it came back refused: why, and what was chosen and noted.
    refused: Refused,
    /// The departments to choose from, and the filter chosen: a department's id, a loan's
    /// (each empty: any).
    departments: Vec<(i64, String)>,
    department: String,
    loan: String,
    /// The exports of the two lists as filtered.
    returns_csv: String,
    out_csv: String,
}

impl ReturnsPage {
    fn department_is(&self, id: &i64) -> bool {
        self.department == id.to_string()
    }
    fn returned(&self, u: &Uninspected) -> String {
        self.c.time(&u.returned_at)
    }
    /// The names of an asset's condition and note fields.
    fn fields(&self, u: &Uninspected) -> (String, String) {
        let key = format!("{}-{}", u.loan_id, u.asset_id);
        (format!("condition-{key}"), format!("note-{key}"))
    }
}

/// A list's page number to keep in the links of another list's pager on the same page:
/// none for the first.
fn kept(page: i64) -> String {
    match page {
        1 => String::new(),
        p => p.to_string(),
    }
}

/// The returns desk's query: its filter, one department's loans or one loan (each empty:
/// any, kept by both lists), and the page of the loans out (`page`) and of what waits for
/// inspection (`returned_page`), each paged on its own.
#[derive(Debug, Default, serde::Deserialize)]
struct ReturnsQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    loan: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    returned_page: String,
}

impl ReturnsQuery {
    /// The filter asked for: a department or a loan that is no number is a 400.
    fn filter(&self) -> Result<OutFilter, PageError> {
        Ok(OutFilter {
            department_id: super::filter_id("department", &self.department)?,
            loan_id: super::filter_id("loan", &self.loan)?,
        })
    }
}

/// The returns desk's filter as its address says it: (department, loan).
fn returns_fields(f: &OutFilter) -> (String, String) {
    let id = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    (id(f.department_id), id(f.loan_id))
}

/// The returns desk with its filter (`returned_page`: of what waits for inspection).
fn returns_link(f: &OutFilter, returned_page: &str) -> String {
    let (department, loan) = returns_fields(f);
    let fields = [
        ("department", department.as_str()),
        ("loan", loan.as_str()),
        ("returned_page", returned_page),
    ];
    super::with_query("/keeper/returns", &fields)
}

async fn returns(v: Viewer, State(app): State<App>, Query(q): Query<ReturnsQuery>) -> PageResult {
    let (out, returned) = (
        super::list_paging(&q.page)?,
        super::list_paging(&q.returned_page)?,
    );
    returns_page(&app, &v, q.filter()?, out, returned, Refused::default()).await
}

async fn returns_page(
    app: &App,
    v: &Viewer,
    filter: OutFilter,
    paging: app::Paging,
    returned: app::Paging,
    refused: Refused,
) -> PageResult {
    let out = loans::out(app, &v.actor, filter, paging).await?;
    let uninspected = loans::uninspected(app, &v.actor, filter, returned).await?;
    let (out_page, returned_page) = (kept(out.page), kept(uninspected.page));
    let (department, loan) = returns_fields(&filter);
    let path = "/keeper/returns";
    // Each list's links keep the filter and where the other list is.
    let filters = [("department", department.as_str()), ("loan", loan.as_str())];
    let mut out_fields = filters.to_vec();
    out_fields.push(("returned_page", returned_page.as_str()));
    let mut returned_fields = filters.to_vec();
    returned_fields.push(("page", out_page.as_str()));
    let pager = super::Pager::of(path, &out_fields, &out);
    let returned_pager = super::Pager::of(path, &returned_fields, &uninspected)
        .named("returned_page", "awaiting_inspection");
    render(ReturnsPage {
        c: v.chrome("returns"),
        pager,
        loans: out.items,
        returned_pager,
        uninspected: uninspected.items,
        refused,
        departments: super::department_choices(app, v).await?,
        returns_csv: super::with_query("/keeper/returns.csv", &filters),
        out_csv: super::with_query("/keeper/returns/out.csv", &filters),
        department,
        loan,
    })
}

/// What waits for inspection, with the desk's filter, as CSV.
async fn returns_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<ReturnsQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = loans::uninspected_export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::UNINSPECTED_COLUMNS;
    let cells = super::reports::uninspected_cells;
    Ok(style.download(&v, "returns", columns, rows, cells))
}

/// The loans out, to take back, with the desk's filter, as CSV.
async fn out_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<ReturnsQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = loans::out_export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::OVERDUE_COLUMNS;
    Ok(style.download(&v, "loans-out", columns, rows, super::reports::loan_cells))
}

/// The returns desk's inspection form: for each asset back through the gate,
/// `condition-LOAN-ASSET` (fine, damaged, missing, or empty: not yet) and `note-LOAN-ASSET`.
/// The "all fine" button (`all_fine=1`) records every asset left at "not yet" as fine, so
/// twelve items back with one damaged take one choice and one click. An asset marked
/// damaged or missing opens a compensation case, which this page cannot undo: such a form is
/// confirmed first. A refusal shows the desk again (at the page of the form,
/// `returned_page`) with the reason and what was chosen.
async fn inspect(State(app): State<App>, Posted { viewer: v, form }: Posted<Fields>) -> PageResult {
    let outcome = match inspected(&form) {
        Ok(items)
            if !super::confirmed(&form)
                && items.iter().any(|(_, i)| i.condition != Condition::Fine) =>
        {
            return ask_inspection(&app, &v, &form, &items).await;
        }
        Ok(items) => loans::inspect_returns(&app, &v.actor, items)
            .await
            .map(|_| super::done(&returns_link(&posted_filter(&form), ""), "inspected"))
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    let returned =
        super::list_paging(field(&form, "returned_page")).unwrap_or_else(|_| super::first_page());
    let filter = posted_filter(&form);
    super::after_form(&v, "inspect", form, outcome, |refused| {
        returns_page(&app, &v, filter, super::first_page(), returned, refused)
    })
    .await
}

/// The desk's filter the inspection form was posted with (kept in hidden fields; one that
/// is no number is left out).
fn posted_filter(form: &Fields) -> OutFilter {
    OutFilter {
        department_id: field(form, "department").parse().ok(),
        loan_id: field(form, "loan").parse().ok(),
    }
}

/// The confirmation of an inspection that marks assets damaged or missing.
async fn ask_inspection(
    app: &App,
    v: &Viewer,
    form: &Fields,
    items: &[(i64, Inspection)],
) -> PageResult {
    let marked: Vec<(i64, Condition)> = items
        .iter()
        .map(|(_, i)| (i.asset_id, i.condition))
        .collect();
    // Back to the page of the list the form was on, with the desk's filter.
    let page = match field(form, "returned_page") {
        "1" => "",
        page => page,
    };
    let back = returns_link(&posted_filter(form), page);
    let asked = Marked {
        op: app::Op::InspectLoan,
        action: "/keeper/returns/inspect".into(),
        back,
    };
    ask_marked(app, v, form, &marked, asked).await
}

/// Where a return that marks assets damaged or missing is confirmed: the operation, the
/// form's address, and where Back goes.
pub(super) struct Marked {
    pub op: app::Op,
    pub action: String,
    pub back: String,
}

/// The confirmation of a return or an inspection that marks assets damaged or missing
/// (each opens a compensation case, which cannot be undone here): how many of each, and
/// which (by number and name). `items`: each asset and its condition; the fine ones are
/// not named.
pub(super) async fn ask_marked(
    app: &App,
    v: &Viewer,
    form: &Fields,
    items: &[(i64, Condition)],
    asked: Marked,
) -> PageResult {
    /// The most assets named one by one; the rest are counted.
    const NAMED: usize = 20;
    let marked: Vec<&(i64, Condition)> = items
        .iter()
        .filter(|(_, c)| *c != Condition::Fine)
        .collect();
    let count = |c: Condition| marked.iter().filter(|(_, m)| *m == c).count();
    let (missing, damaged) = (count(Condition::Missing), count(Condition::Damaged));
    let mut named = Vec::new();
    for (asset_id, condition) in marked.iter().take(NAMED) {
        let name = match assets::get(app, &v.actor, *asset_id).await {
            Ok(asset) => format!("{} · {}", asset.id, asset.name),
            Err(_) => asset_id.to_string(),
        };
        let said = match condition {
            Condition::Missing => v.lang.t("missing_item"),
            _ => v.lang.t("damaged"),
        };
        named.push(format!("{name} ({said})"));
    }
    if marked.len() > NAMED {
        named.push(
            v.lang
                .t("and_n_more")
                .replace("{n}", &(marked.len() - NAMED).to_string()),
        );
    }
    let message = v
        .lang
        .t("confirm_inspection_text")
        .replace("{missing}", &missing.to_string())
        .replace("{damaged}", &damaged.to_string())
        .replace("{assets}", &named.join(v.lang.t("list_separator")));
    super::confirm(
        v,
        form,
        super::Ask {
            op: asked.op,
            title: v.lang.t("confirm_inspection"),
            message,
            action: asked.action,
            reason_asked: false,
            back: asked.back,
        },
    )
}

/// The inspections a posted form records, by loan: each asset's chosen condition (those
/// left at "not yet" fine when `all_fine`, else left out) and note.
fn inspected(form: &Fields) -> Result<Vec<(i64, Inspection)>, PageError> {
    let all_fine = field(form, "all_fine") == "1";
    let mut items = Vec::new();
    for (name, value) in form {
        let Some(key) = name.strip_prefix("condition-") else {
            continue;
        };
        let condition = match value.trim() {
            "" if all_fine => Condition::Fine,
            "" => continue,
            "fine" => Condition::Fine,
            "damaged" => Condition::Damaged,
            "missing" => Condition::Missing,
            other => {
                return Err(invalid(format!(
                    "{name}: {other:?} is not fine, damaged or missing"
                )))
            }
        };
        let (loan, asset) = key
            .split_once('-')
            .and_then(|(l, a)| Some((l.parse::<i64>().ok()?, a.parse::<i64>().ok()?)))
            .ok_or_else(|| invalid(format!("{name} names no loan and asset")))?;
        let note = note(form, &format!("note-{key}"))?;
        items.push((
            loan,
            Inspection {
                asset_id: asset,
                condition,
                note,
            },
        ));
    }
    Ok(items)
}

#[derive(askama::Template)]
#[template(path = "intakes.html")]
struct IntakesPage {
    c: Chrome,
    intakes: Vec<Intake>,
    categories: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    /// A page of the assets departments hand back, to take in, its own pages
    /// (`hand_ins_page`), and the zones to put them.
    hand_ins: Vec<HandIn>,
    hand_ins_pager: super::Pager,
    zones: Vec<(i64, String)>,
    /// A refused intake: what was typed, shown again, and why (in the page's language).
    typed: Fields,
    error: String,
    /// The field the refusal is about, said beside it; none: above the form.
    error_field: Option<&'static str>,
    /// The list's status filter (empty: any) and its pages.
    status: String,
    pager: super::Pager,
}

impl IntakesPage {
    fn statuses(&self) -> impl Iterator<Item = &'static str> {
        IntakeStatus::ALL.iter().map(|s| s.as_str())
    }
    /// What was typed into `name`, or `default` on a fresh form.
    fn typed(&self, name: &str, default: &'static str) -> String {
        match self.typed.is_empty() {
            true => default.to_owned(),
            false => field(&self.typed, name).to_owned(),
        }
    }
    fn chosen(&self, name: &str, value: &dyn std::fmt::Display) -> bool {
        field(&self.typed, name) == value.to_string()
    }
    fn error_at(&self, name: &str) -> bool {
        self.error_field == Some(name)
    }
    fn error_above(&self) -> bool {
        !self.error.is_empty() && self.error_field.is_none()
    }

    fn classes(&self) -> [&'static str; 4] {
        [
            "event_purchase",
            "abolished_body",
            "institutional_reform",
            "other_idle",
        ]
    }
}

/// The intake desk's query: the intakes' status (empty: any) and page, and the page of the
/// hand-ins (`hand_ins_page`), each list paged on its own.
#[derive(Debug, Default, serde::Deserialize)]
struct IntakesQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    hand_ins_page: String,
}

async fn intake_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<IntakesQuery>,
) -> PageResult {
    render(intakes_page(&app, &v, &q, Fields::default(), None).await?)
}

/// Every intake the desk lists with its status filter, newest first, as CSV.
async fn intakes_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = intakes::desk_export(&app, &v.actor, IntakeStatus::named(&q.status)).await?;
    let columns = super::reports::INTAKE_COLUMNS;
    Ok(style.download(&v, "intakes", columns, rows, super::reports::intake_cells))
}

/// The intake desk: its intakes a page at a time, newest first, by status, and the
/// hand-ins a page at a time; with a refusal, the new intake's form as it was typed and why
/// not.
async fn intakes_page(
    app: &App,
    v: &Viewer,
    q: &IntakesQuery,
    typed: Fields,
    refusal: Option<&app::Error>,
) -> Result<IntakesPage, PageError> {
    let status = IntakeStatus::named(&q.status);
    let paging = super::list_paging(&q.page)?;
    let found = intakes::desk(app, &v.actor, status, paging).await?;
    let hand_ins = super::list_paging(&q.hand_ins_page)?;
    let hand_ins = assets::hand_ins(app, &v.actor, hand_ins).await?;
    let status = status.map_or("", IntakeStatus::as_str);
    let (intakes_page, hand_ins_page) = (kept(found.page), kept(hand_ins.page));
    let path = "/keeper/intakes";
    let filters = [
        ("status", status),
        ("hand_ins_page", hand_ins_page.as_str()),
    ];
    let pager = super::Pager::of(path, &filters, &found);
    let filters = [("status", status), ("page", intakes_page.as_str())];
    let hand_ins_pager =
        super::Pager::of(path, &filters, &hand_ins).named("hand_ins_page", "hand_ins");
    let intakes = found.items;
    let categories = catalogue::category_names(app, &v.actor).await?;
    let mut departments: Vec<(i64, String)> = people::list_departments(app, &v.actor)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    departments.sort_by(|a, b| a.1.cmp(&b.1));
    let message = refusal.map(ToString::to_string).unwrap_or_default();
    Ok(IntakesPage {
        c: v.chrome("intake"),
        intakes,
        categories,
        departments,
        hand_ins: hand_ins.items,
        hand_ins_pager,
        zones: catalogue::zone_names(app, &v.actor, true).await?,
        error_field: intake_field(&message),
        error: v.lang.say(&message),
        typed,
        status: status.to_owned(),
        pager,
    })
}

/// Which field of the new intake's form a refusal is about.
fn intake_field(message: &str) -> Option<&'static str> {
    const FIELDS: [&str; 7] = [
        "category",
        "name",
        "quantity",
        "value",
        "acquired_on",
        "epcs",
        "description",
    ];
    let (named, rest) = message.split_once(": ").unwrap_or(("", message));
    if let Some(field) = FIELDS.iter().find(|f| **f == named) {
        return Some(field);
    }
    // An item's refusal ("items[3]: …") is about what all items share, or their EPCs.
    let said =
        crate::app::messages::lookup(message).or_else(|| crate::app::messages::lookup(rest))?;
    Some(match said.key {
        "choose_category" | "no_such_category" | "no_such_category_id" => "category",
        "give_quantity" | "intake_items" | "intake_needs_item" => "quantity",
        "not_an_amount" | "amount_too_large" | "value_not_negative" | "amounts_not_negative" => {
            "value"
        }
        "epcs_per_item" | "epc_hex" | "epc_not_hex" | "epc_given_twice" | "epc_exists"
        | "epc_taken" => "epcs",
        "asset_needs_name" => "name",
        _ => return None,
    })
}

/// Take in an asset its department handed back, at the zone chosen: asked first (which asset,
/// from which department, into which zone), then back to the page of the list it came from.
async fn take_in(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let zone_id = field(&form, "zone")
        .parse()
        .map_err(|_| invalid("choose where it goes"))?;
    let body = ActionBody {
        reason: note(&form, "reason")?,
        zone_id: Some(zone_id),
    };
    let back = super::posted_from(&form, "/keeper/intakes");
    if !super::confirmed(&form) {
        let offer = assets::hand_in(&app, &v.actor, id).await?;
        let c = v.chrome("");
        let message = v
            .lang
            .t("take_in_confirm_text")
            .replace("{asset}", &format!("{} · {}", offer.asset_id, offer.name))
            .replace("{epc}", &offer.epc)
            .replace("{department}", c.department(&offer.department))
            .replace("{zone}", &zone_named(&app, &v, zone_id).await?);
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: app::Op::TakeInAsset,
                title: &v
                    .lang
                    .t("take_in_confirm")
                    .replace("{asset}", &id.to_string()),
                message,
                action: format!("/keeper/hand-ins/{id}/take-in"),
                reason_asked: false,
                back,
            },
        );
    }
    assets::act(&app, &v.actor, id, ManualAction::TakeIn, body).await?;
    Ok(Redirect::to(&super::done(&back, "received")).into_response())
}

/// Zone `id` as the viewer reads it ("warehouse · zone"), or its number if there is none.
async fn zone_named(app: &App, v: &Viewer, id: i64) -> Result<String, PageError> {
    let zones = catalogue::zone_names(app, &v.actor, true).await?;
    Ok(zones
        .iter()
        .find(|(z, _)| *z == id)
        .map(|(_, name)| v.chrome("").place(name))
        .unwrap_or_else(|| id.to_string()))
}

/// Open an intake: `quantity` items of one category at one value; EPCs already on the tags
/// may be given one per line, otherwise GIAI-96 EPCs are assigned (commissioned).
async fn open_intake(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    match new_intake(&app, &v, &form).await {
        Ok(id) => Ok(
            Redirect::to(&super::done(&format!("/keeper/intakes/{id}"), "created")).into_response(),
        ),
        // Refused: the form again, what was typed kept, the reason beside its field.
        Err(PageError::App(e))
            if !matches!(e, app::Error::Internal(_) | app::Error::Unavailable(_)) =>
        {
            let status = super::status(&e);
            let first = IntakesQuery::default();
            let mut response = render(intakes_page(&app, &v, &first, form, Some(&e)).await?)?;
            *response.status_mut() = status;
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

/// The intake a posted form asks for, opened: its id.
async fn new_intake(app: &App, v: &Viewer, form: &Fields) -> Result<i64, PageError> {
    let source_class = match field(form, "source_class") {
        "event_purchase" => SourceClass::EventPurchase,
        "abolished_body" => SourceClass::AbolishedBody,
        "institutional_reform" => SourceClass::InstitutionalReform,
        _ => SourceClass::OtherIdle,
    };
    let category_id: i64 = field(form, "category")
        .parse()
        .map_err(|_| invalid("choose a category"))?;
    let quantity: usize = field(form, "quantity")
        .parse()
        .map_err(|_| invalid("give a quantity"))?;
    if !(1..=500).contains(&quantity) {
        return Err(invalid("an intake on this page takes 1 to 500 items"));
    }
    let value = fen(field(form, "value"))?;
    let epcs: Vec<Text> = field(form, "epcs")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| named("epcs", Text::parse(l)))
        .collect::<Result<_, _>>()?;
    if !epcs.is_empty() && epcs.len() != quantity {
        return Err(invalid(format!(
            "{} EPCs given for {quantity} items: give one per item, or none",
            epcs.len()
        )));
    }
    let (name, acquired_on) = (text(form, "name")?, day(form, "acquired_on")?);
    let items = (0..quantity)
        .map(|i| NewAsset {
            epc: epcs.get(i).cloned(),
            name: name.clone(),
            category_id,
            original_value_fen: value,
            acquired_on,
            source_class,
            owner_department_id: None,
            notes: Default::default(),
            ..Default::default()
        })
        .collect();
    let new = NewIntake {
        source_department_id: super::form_id(form, "department")?,
        source_class,
        description: note(form, "description")?,
        items,
    };
    Ok(intakes::open(app, &v.actor, new).await?.id)
}

#[derive(askama::Template)]
#[template(path = "intake.html")]
struct IntakePage {
    c: Chrome,
    intake: Intake,
    zones: Vec<(i64, String)>,
    /// The configured label printers, when the viewer may print.
    printers: Vec<String>,
    /// The printer the labels were just sent to, if any.
    printed: Option<String>,
    /// Whether a tag writer is configured and the viewer may write tags on it.
    writer: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
struct IntakeQuery {
    /// The printer the labels were just sent to.
    #[serde(default)]
    printed: String,
}

impl IntakePage {
    fn source(&self) -> &'static str {
        self.intake.source_class.as_str()
    }
}

async fn intake_detail(
    v: Viewer,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(q): Query<IntakeQuery>,
) -> PageResult {
    let intake = intakes::get(&app, &v.actor, id).await?;
    let zones = catalogue::zone_names(&app, &v.actor, true).await?;
    let c = v.chrome("intake");
    let printers = if c.may(crate::app::Op::PrintIntakeLabels) {
        labels::printers(&app)
    } else {
        Vec::new()
    };
    // Only a configured printer's name is said back.
    let printed = printers.iter().find(|p| **p == q.printed).cloned();
    let writer = app.config.tag_writer.is_some() && c.may(crate::app::Op::WriteAssetTag);
    render(IntakePage {
        c,
        intake,
        zones,
        printers,
        printed,
        writer,
    })
}

#[derive(askama::Template)]
#[template(path = "labels.html")]
struct LabelSheet {
    c: Chrome,
    intake: Intake,
    /// Each asset's QR code (its tag URI) as SVG, in the order of the assets.
    codes: Vec<String>,
}

/// The intake's labels on a printable page: each asset's QR code, name, number and EPC.
async fn label_sheet(v: Viewer, State(app): State<App>, Path(id): Path<i64>) -> PageResult {
    let intake = labels::intake(&app, &v.actor, id).await?;
    let codes = intake.assets.iter().map(|a| qr_svg(&a.tag_uri)).collect();
    render(LabelSheet {
        c: v.chrome("intake"),
        intake,
        codes,
    })
}

/// A QR code of `data` as an SVG element to put in a page (no XML declaration); only
/// squares, never the data as text.
fn qr_svg(data: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<svg::Color>().min_dimensions(96, 96).build();
            match svg.find("<svg") {
                Some(at) => svg[at..].to_owned(),
                None => svg,
            }
        }
        // Longer than a QR code holds: a tag URI never is.
        Err(_) => String::new(),
    }
}

/// Send the intake's labels to the printer chosen (`printer`).
async fn print_labels(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let input = PrintRequest {
        printer: text(&form, "printer")?,
    };
    let printed = labels::print(&app, &v.actor, id, input).await?;
    let to = format!(
        "/keeper/intakes/{id}?{}",
        serde_urlencoded::to_string([("printed", printed.printer)]).unwrap_or_default()
    );
    Ok(Redirect::to(&to).into_response())
}

/// Write one of the intake's assets' EPC to the new tag on the desk reader, read it back.
async fn write_tag(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let asset: i64 = field(&form, "asset")
        .parse()
        .map_err(|_| invalid("asset: not an asset of this intake"))?;
    let intake = intakes::get(&app, &v.actor, id).await?;
    if !intake.assets.iter().any(|a| a.id == asset) {
        return Err(invalid("asset: not an asset of this intake"));
    }
    crate::app::tags::write(&app, &v.actor, asset).await?;
    let to = super::done(&format!("/keeper/intakes/{id}"), "tag_written");
    Ok(Redirect::to(&format!("{to}#asset-{asset}")).into_response())
}

/// Receive what an intake still awaits into the zone chosen: asked first (how many assets,
/// into which zone).
async fn receive(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let zone_id: i64 = field(&form, "zone")
        .parse()
        .map_err(|_| invalid("choose a zone"))?;
    let here = format!("/keeper/intakes/{id}");
    if !super::confirmed(&form) {
        let intake = intakes::get(&app, &v.actor, id).await?;
        let message = v
            .lang
            .t("receive_confirm_text")
            .replace("{n}", &intake.awaiting_receipt.to_string())
            .replace("{intake}", &id.to_string())
            .replace("{zone}", &zone_named(&app, &v, zone_id).await?);
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: app::Op::ReceiveIntake,
                title: &v
                    .lang
                    .t("receive_confirm")
                    .replace("{intake}", &id.to_string()),
                message,
                action: format!("{here}/receive"),
                reason_asked: false,
                back: here,
            },
        );
    }
    let receipt = Receipt {
        zone_id,
        asset_ids: None,
    };
    intakes::receive(&app, &v.actor, id, receipt).await?;
    Ok(Redirect::to(&super::done(&here, "received")).into_response())
}
