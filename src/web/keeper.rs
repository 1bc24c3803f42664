//! The keeper's pages: pick lists for approved loans, the returns desk (loans to take back,
//! inspected on the loan page; assets back through the gate, inspected here in one form),
//! and intake with tag commissioning. The live gate view and the stocktake
//! page belong here too, once reader ingest streams its events.

use axum::extract::{Path, Query, State};
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
use crate::db::loans::{Condition, Inspection, Loan};
use crate::db::reports::{Pick, Uninspected};
use crate::domain::bounds::Text;
use crate::domain::lifecycle::orders::IntakeStatus;

pub fn router() -> Router<App> {
    Router::new()
        .route("/keeper/picks", get(picks))
        .route("/keeper/returns", get(returns))
        .route("/keeper/returns/inspect", post(inspect))
        .route("/keeper/intakes", get(intake_list).post(open_intake))
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
    picks: Vec<Pick>,
}

impl PicksPage {
    /// Whether this row starts a new loan in the list.
    fn first_of_loan(&self, i: &usize) -> bool {
        *i == 0 || self.picks[*i - 1].loan_id != self.picks[*i].loan_id
    }
}

async fn picks(v: Viewer, State(app): State<App>) -> PageResult {
    let picks = loans::pick_list(&app, &v.actor).await?;
    render(PicksPage {
        c: v.chrome("picks"),
        picks,
    })
}

#[derive(askama::Template)]
#[template(path = "returns.html")]
struct ReturnsPage {
    c: Chrome,
    /// A page of the loans out, soonest due first.
    loans: Vec<Loan>,
    pager: super::Pager,
    uninspected: Vec<Uninspected>,
    /// The inspection, when it came back refused: why, and what was chosen and noted.
    refused: Refused,
}

impl ReturnsPage {
    fn returned(&self, u: &Uninspected) -> String {
        self.c.time(&u.returned_at)
    }
    /// The names of an asset's condition and note fields.
    fn fields(&self, u: &Uninspected) -> (String, String) {
        let key = format!("{}-{}", u.loan_id, u.asset_id);
        (format!("condition-{key}"), format!("note-{key}"))
    }
}

async fn returns(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    returns_page(&app, &v, super::list_paging(&q.page)?, Refused::default()).await
}

async fn returns_page(app: &App, v: &Viewer, paging: app::Paging, refused: Refused) -> PageResult {
    let out = loans::out(app, &v.actor, paging).await?;
    render(ReturnsPage {
        c: v.chrome("returns"),
        pager: super::Pager::of("/keeper/returns", &[], &out),
        loans: out.items,
        uninspected: loans::uninspected(app, &v.actor).await?,
        refused,
    })
}

/// The returns desk's inspection form: for each asset back through the gate,
/// `condition-LOAN-ASSET` (fine, damaged, missing, or empty: not yet) and `note-LOAN-ASSET`.
/// The "all fine" button (`all_fine=1`) records every asset left at "not yet" as fine, so
/// twelve items back with one damaged take one choice and one click. A refusal shows the
/// desk again with the reason and what was chosen.
async fn inspect(State(app): State<App>, Posted { viewer: v, form }: Posted<Fields>) -> PageResult {
    let outcome = inspection(&app, &v, &form).await;
    let outcome = outcome.map(|()| super::done("/keeper/returns", "inspected"));
    super::after_form(&v, "inspect", form, outcome, |refused| {
        returns_page(&app, &v, super::first_page(), refused)
    })
    .await
}

async fn inspection(app: &App, v: &Viewer, form: &Fields) -> Result<(), PageError> {
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
    loans::inspect_returns(app, &v.actor, items).await?;
    Ok(())
}

#[derive(askama::Template)]
#[template(path = "intakes.html")]
struct IntakesPage {
    c: Chrome,
    intakes: Vec<Intake>,
    categories: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    /// Assets departments hand back, to take in, and the zones to put them.
    hand_ins: Vec<HandIn>,
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

async fn intake_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    render(intakes_page(&app, &v, &q, Fields::default(), None).await?)
}

/// The intake desk: its intakes a page at a time, newest first, by status; with a refusal,
/// the new intake's form as it was typed and why not.
async fn intakes_page(
    app: &App,
    v: &Viewer,
    q: &super::ListQuery,
    typed: Fields,
    refusal: Option<&app::Error>,
) -> Result<IntakesPage, PageError> {
    let status = IntakeStatus::named(&q.status);
    let paging = super::list_paging(&q.page)?;
    let found = intakes::desk(app, &v.actor, status, paging).await?;
    let status = status.map_or("", IntakeStatus::as_str);
    let pager = super::Pager::of("/keeper/intakes", &[("status", status)], &found);
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
        hand_ins: assets::hand_ins(app, &v.actor).await?,
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

/// Take in an asset its department handed back, at the zone chosen.
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
    assets::act(&app, &v.actor, id, ManualAction::TakeIn, body).await?;
    Ok(Redirect::to(&super::done("/keeper/intakes", "received")).into_response())
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
            let first = super::ListQuery::default();
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
        source_department_id: field(form, "department").parse().ok(),
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
        match self.intake.source_class {
            SourceClass::EventPurchase => "event_purchase",
            SourceClass::AbolishedBody => "abolished_body",
            SourceClass::InstitutionalReform => "institutional_reform",
            SourceClass::OtherIdle => "other_idle",
        }
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

async fn receive(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let zone_id: i64 = field(&form, "zone")
        .parse()
        .map_err(|_| invalid("choose a zone"))?;
    let receipt = Receipt {
        zone_id,
        asset_ids: None,
    };
    intakes::receive(&app, &v.actor, id, receipt).await?;
    Ok(Redirect::to(&super::done(&format!("/keeper/intakes/{id}"), "received")).into_response())
}
