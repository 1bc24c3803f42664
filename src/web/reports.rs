//! The dashboard for admins and auditors: the figures the seeds publish by department and
//! period, stock by state and category, utilisation, idle assets, overdue loans,
//! compensation cases, disposals and proceeds remitted, money saved by lending instead of
//! renting (and the market prices behind it, which the admin sets here). Charts are inline
//! SVG drawn here; every table is also a CSV.

use axum::body::Body;
use axum::extract::{Query, State};

use super::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;

use super::{
    escape, field, named, render, Amount, Chrome, Fields, PageError, PageResult, Posted, Viewer,
};
use crate::app::names::Register;
use crate::app::reports::{DepreciationReport, Figures, MonthQuery, PeriodQuery};
use crate::app::{catalogue, reports, App, Rows};
use crate::db::compensations::Compensation;
use crate::db::disposals::Disposal;
use crate::db::loans::Loan;
use crate::db::places::CategoryChange;
use crate::db::reports::{CategoryStock, Count, FigureRow, Idle, Money, SavingsLine};
use crate::domain::bounds::{Day, Fen, Text};

pub fn router() -> Router<App> {
    Router::new()
        .route("/reports", get(dashboard))
        .route("/reports/prices/{category}", post(set_price))
        .route("/reports/figures.csv", get(figures_csv))
        .route("/reports/depreciation", get(depreciation))
        .route("/reports/depreciation.csv", get(depreciation_csv))
        .route(
            "/reports/stock.csv",
            get(|v: Viewer, s: State<App>, q: Query<CsvQuery>| csv(v, s, q, "stock")),
        )
        .route(
            "/reports/idle.csv",
            get(|v: Viewer, s: State<App>, q: Query<CsvQuery>| csv(v, s, q, "idle")),
        )
        .route(
            "/reports/overdue.csv",
            get(|v: Viewer, s: State<App>, q: Query<CsvQuery>| csv(v, s, q, "overdue")),
        )
        .route(
            "/reports/compensations.csv",
            get(|v: Viewer, s: State<App>, q: Query<CsvQuery>| csv(v, s, q, "compensations")),
        )
        .route(
            "/reports/disposals.csv",
            get(|v: Viewer, s: State<App>, q: Query<CsvQuery>| csv(v, s, q, "disposals")),
        )
}

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    by_state: Vec<Count>,
    by_category: Vec<CategoryStock>,
    idle: Vec<Idle>,
    idle_total: i64,
    overdue: crate::app::Page<Loan>,
    /// The newest cases, and how many there are: the rest on the cases' own pages.
    cases: crate::app::Page<Compensation>,
    money: Money,
    savings: Vec<SavingsLine>,
    /// The published figures of the period asked (this month unless the page says).
    figures: Figures,
    /// The period as the form shows it: the month (`YYYY-MM`) if it is one.
    month: String,
    /// When utilisation and the days lent were computed (UTC, to the minute).
    figures_at: String,
    state_chart: String,
    utilisation_chart: String,
    /// A category's price form (`price-ID`), when it was refused: why, and what was typed.
    refused: super::Refused,
}

impl Dashboard {
    /// The name of category `id`'s price form.
    fn price_form(&self, id: &i64) -> String {
        format!("price-{id}")
    }
    /// Why category `id`'s price was refused; empty when it was not.
    fn price_refused(&self, id: &i64) -> &str {
        self.refused.why(&self.price_form(id))
    }
    fn percent(&self, x: &f64) -> String {
        format!("{:.1}%", x * 100.0)
    }

    /// The categories without a market price, which count nothing towards the savings.
    fn unpriced(&self) -> String {
        let names: Vec<&str> = self
            .savings
            .iter()
            .filter(|l| l.daily_rent_fen.is_none())
            .map(|l| self.c.category(&l.category))
            .collect();
        names.join(", ")
    }

    /// A price as typed into its field: yuan, or nothing; as it was typed when refused.
    fn price_field(&self, id: &i64, fen: &Option<i64>) -> String {
        let stored = fen.map(|f| yuan(&f)).unwrap_or_default();
        self.refused
            .typed_or(&self.price_form(id), "price", &stored)
    }
}

/// The period of the figures as a page's query gives it: text fields, each refused with a
/// 422 that names it.
#[derive(Debug, Default, serde::Deserialize)]
struct FiguresQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl FiguresQuery {
    fn period(&self) -> Result<PeriodQuery, PageError> {
        let day = |name: &str, value: &str| match value.trim() {
            "" => Ok(None),
            value => named(name, Day::parse(value)).map(Some),
        };
        Ok(PeriodQuery {
            month: match self.month.trim() {
                "" => None,
                month => Some(named("month", Text::parse(month))?),
            },
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
            department: None,
        })
    }
}

async fn dashboard(v: Viewer, State(app): State<App>, Query(q): Query<FiguresQuery>) -> PageResult {
    dashboard_page(&app, &v, &q, super::Refused::default()).await
}

/// The dashboard, with a price form as it was refused, if one was.
async fn dashboard_page(
    app: &App,
    v: &Viewer,
    q: &FiguresQuery,
    refused: super::Refused,
) -> PageResult {
    let app = app.clone();
    let figures = reports::figures(&app, &v.actor, &q.period()?).await?;
    let reports::Dashboard {
        by_state,
        by_category,
        idle: (idle, idle_total),
        overdue,
        cases,
        money,
        savings,
        figures_at,
    } = reports::dashboard(&app, &v.actor).await?;
    let state_chart = bar_chart(
        v.lang.t("stock_by_state"),
        &by_state
            .iter()
            .map(|c| {
                (
                    v.lang.t(&c.label).to_owned(),
                    c.count as f64,
                    c.count.to_string(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let utilisation_chart = bar_chart(
        v.lang.t("utilisation"),
        &by_category
            .iter()
            .map(|c| {
                (
                    v.names
                        .say(Register::Category, &c.category, v.lang == super::Lang::Zh)
                        .to_owned(),
                    c.utilisation,
                    format!("{:.1}%", c.utilisation * 100.0),
                )
            })
            .collect::<Vec<_>>(),
    );
    render(Dashboard {
        c: v.chrome("dashboard"),
        by_state,
        by_category,
        idle,
        idle_total,
        overdue,
        cases,
        money,
        savings,
        month: month_of(&figures),
        figures,
        figures_at: format!(
            "{} {}",
            v.chrome("dashboard").time(&figures_at),
            v.chrome("dashboard").zone()
        ),
        state_chart,
        utilisation_chart,
        refused,
    })
}

/// The admin sets a category's market daily rental price (yuan; empty: none), which prices
/// its days lent in the savings at once.
async fn set_price(
    State(app): State<App>,
    Path(category): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = async {
        let price = match field(&form, "price") {
            "" => None,
            yuan => Some(named("price", Fen::from_yuan(yuan))?),
        };
        let change = CategoryChange {
            daily_rent_fen: Some(price),
            ..Default::default()
        };
        catalogue::update_category(&app, &v.actor, category, change).await?;
        Ok(format!("{}#savings", super::done("/reports", "saved")))
    }
    .await;
    let which = format!("price-{category}");
    let this_month = FiguresQuery::default();
    super::after_form(&v, which, form.clone(), outcome, |refused| {
        dashboard_page(&app, &v, &this_month, refused)
    })
    .await
}

/// `YYYY-MM` when the figures are for one whole month, else nothing.
fn month_of(f: &Figures) -> String {
    use chrono::Datelike;
    let whole = f.from.day() == 1
        && f.to.succ_opt().is_some_and(|next| next.day() == 1)
        && f.from.year() == f.to.year()
        && f.from.month() == f.to.month();
    if whole {
        f.from.format("%Y-%m").to_string()
    } else {
        String::new()
    }
}

/// The published figures as CSV, one row per department (the depot's own last), for the
/// period the query asks (`?month=` or `?from=&to=`; neither: this month).
async fn figures_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<FiguresQuery>,
    Query(style): Query<CsvQuery>,
) -> Result<Response, PageError> {
    let f = reports::figures(&app, &v.actor, &q.period()?).await?;
    let style = style.of(&v);
    let mut body = head(FIGURE_COLUMNS, &style);
    for row in &f.departments {
        push_row(&mut body, figure_cells(&f, row, &style));
    }
    Ok(attachment(
        &format!("figures-{}-{}", f.from, f.to),
        Body::from(body),
    ))
}

const FIGURE_COLUMNS: &[&str] = &[
    "from",
    "to",
    "department_code",
    "department",
    "loans",
    "items_lent",
    "days_lent",
    "transfers",
    "items_transferred",
    "hand_ins",
    "items_handed_in",
    "disposals",
    "items_disposed",
    "proceeds_remitted_yuan",
    "rentals",
    "rental_cost_yuan",
    "lent_value_yuan",
    "saved_yuan",
];

/// What the CSV calls the depot's own row (disposals, proceeds, intakes from no department).
const THE_DEPOT: &str = "(the depot itself 公物仓本级)";

fn figure_cells(f: &Figures, r: &FigureRow, style: &CsvStyle) -> Vec<String> {
    vec![
        f.from.to_string(),
        f.to.to_string(),
        r.department_code.clone().unwrap_or_default(),
        r.department.clone().map_or_else(
            || THE_DEPOT.to_owned(),
            |d| style.name(Register::Department, d),
        ),
        r.loans.to_string(),
        r.items_lent.to_string(),
        r.days_lent.to_string(),
        r.transfers.to_string(),
        r.items_transferred.to_string(),
        r.hand_ins.to_string(),
        r.items_handed_in.to_string(),
        r.disposals.to_string(),
        r.items_disposed.to_string(),
        yuan(&r.proceeds_remitted_fen),
        r.rentals.to_string(),
        yuan(&r.rental_fen),
        yuan(&r.lent_value_fen),
        yuan(&r.saved_fen),
    ]
}

/// A horizontal bar chart: (label, value, value as shown). Labels are escaped.
fn bar_chart(title: &str, rows: &[(String, f64, String)]) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 190;
    const BAR: f64 = 260.0;
    let max = rows
        .iter()
        .map(|r| r.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let height = rows.len() * ROW + 8;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = escape(title),
        w = LABEL + BAR as usize + 80,
    );
    for (i, (label, value, shown)) in rows.iter().enumerate() {
        let y = i * ROW + 4;
        let width = (value / max * BAR).max(if *value > 0.0 { 1.0 } else { 0.0 });
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{width:.1}\" height=\"{h}\" fill=\"#0b5cad\"/><text x=\"{vx:.1}\" y=\"{ty}\">{shown}</text>",
            lx = LABEL - 8,
            ty = y + 15,
            label = escape(label),
            h = ROW - 8,
            vx = LABEL as f64 + width + 6.0,
            shown = escape(shown),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn yuan(fen: &dyn Amount) -> String {
    let fen = fen.fen();
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// `?codes=1`: a CSV for machines (column names and statuses as codes, times in RFC 3339);
/// without it, for people.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct CsvQuery {
    #[serde(default)]
    codes: String,
}

impl CsvQuery {
    /// A list's `rows` as the download `depot-{name}.csv`, each row's cells by `cells`, said
    /// as this query asks.
    pub(super) fn download<T: Send + 'static>(
        &self,
        v: &Viewer,
        name: &str,
        columns: &[&str],
        rows: Rows<T>,
        cells: fn(&CsvStyle, T) -> Vec<String>,
    ) -> Response {
        let style = self.of(v);
        let body = streamed(columns, &style.clone(), rows, move |row| cells(&style, row));
        attachment(name, body)
    }

    pub(super) fn of(&self, v: &Viewer) -> CsvStyle {
        CsvStyle {
            lang: v.lang,
            codes: matches!(self.codes.as_str(), "1" | "true" | "yes"),
            tz: v.tz,
            names: v.names.clone(),
        }
    }
}

/// How a CSV says things. For people: column names, statuses and the names of categories
/// and departments in the viewer's language, times on the depot's clock as
/// `2026-11-30 10:44:15` (a form spreadsheets read as a date and time), the column saying
/// which clock. For machines: the codes and names as stored, and times in RFC 3339 with the
/// depot's offset.
#[derive(Debug, Clone)]
pub(super) struct CsvStyle {
    lang: super::i18n::Lang,
    codes: bool,
    tz: chrono::FixedOffset,
    names: std::sync::Arc<crate::app::names::Glossary>,
}

impl CsvStyle {
    /// A category's or department's name: in the viewer's language for people.
    fn name(&self, register: Register, name: String) -> String {
        match self.codes {
            true => name,
            false => self
                .names
                .say(register, &name, self.lang == super::i18n::Lang::Zh)
                .to_owned(),
        }
    }

    /// A place as the database writes it, "warehouse · zone": for people, each name in the
    /// viewer's language.
    fn place(&self, place: String) -> String {
        match (self.codes, place.split_once(" · ")) {
            (false, Some((warehouse, zone))) => format!(
                "{} · {}",
                self.name(Register::Warehouse, warehouse.to_owned()),
                self.name(Register::Zone, zone.to_owned())
            ),
            _ => place,
        }
    }

    fn column(&self, code: &str) -> String {
        match self.codes {
            true => code.to_owned(),
            false if TIME_COLUMNS.contains(&code) => {
                format!("{} (UTC{})", self.lang.t(&format!("csv_{code}")), self.tz)
            }
            false => self.lang.t(&format!("csv_{code}")).to_owned(),
        }
    }

    /// A status or another word of the vocabulary.
    fn word(&self, code: &str) -> String {
        match self.codes {
            true => code.to_owned(),
            false => self.lang.t(code).to_owned(),
        }
    }

    /// Yes or no: `true`/`false` for machines.
    fn yes_no(&self, yes: bool) -> String {
        match (self.codes, yes) {
            (true, yes) => yes.to_string(),
            (false, true) => self.lang.t("yes").to_owned(),
            (false, false) => self.lang.t("no").to_owned(),
        }
    }

    fn time(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        let t = t.with_timezone(&self.tz);
        match self.codes {
            true => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            false => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

const STOCK_COLUMNS: &[&str] = &[
    "category",
    "in_stock",
    "reserved",
    "on_loan",
    "listed",
    "other",
    "value_yuan",
    "utilisation",
];

const IDLE_COLUMNS: &[&str] = &["asset_id", "name", "category", "value_yuan", "last_issued"];

/// A list of loans: the overdue ones, or the orders page's.
pub(super) const OVERDUE_COLUMNS: &[&str] = &[
    "loan_id",
    "department",
    "purpose",
    "starts_on",
    "ends_on",
    "status",
];

pub(super) const COMPENSATION_COLUMNS: &[&str] = &[
    "case_id",
    "asset_id",
    "asset",
    "department",
    "loan_id",
    "status",
    "amount_yuan",
    "receipt_number",
];

pub(super) const DISPOSAL_COLUMNS: &[&str] = &[
    "disposal_id",
    "reason",
    "status",
    "original_value_yuan",
    "appraised_yuan",
    "method",
    "sale_price_yuan",
    "buyer",
    "receipt_number",
    "remitted_at",
];

/// The columns that hold a time (not a day): said with the depot's clock in their name.
const TIME_COLUMNS: &[&str] = &[
    "last_issued",
    "remitted_at",
    "resolved_at",
    "created_at",
    "requested_at",
    "returned_at",
    "started_at",
    "finished_at",
    "passed_at",
    "since_at",
    "last_read_at",
    "delivered_at",
    "dead_at",
    "notified_at",
];

/// One table of the dashboard as CSV (UTF-8 with a byte-order mark, so spreadsheets on
/// office PCs read the Chinese names right). Money columns are yuan. The long tables are
/// streamed: rows are written as the query yields them, never all held at once.
async fn csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<CsvQuery>,
    name: &'static str,
) -> Result<Response, PageError> {
    let style = q.of(&v);
    let body = match name {
        "stock" => {
            let rows = reports::stock(&app, &v.actor).await?;
            let mut body = head(STOCK_COLUMNS, &style);
            for c in rows {
                push_row(&mut body, stock_row(c, &style));
            }
            Body::from(body)
        }
        "idle" => streamed(
            IDLE_COLUMNS,
            &style.clone(),
            reports::idle(&app, &v.actor).await?,
            move |i: Idle| {
                vec![
                    i.asset_id.to_string(),
                    i.name,
                    style.name(Register::Category, i.category),
                    yuan(&i.value_fen),
                    i.last_issued.map(|d| style.time(d)).unwrap_or_default(),
                ]
            },
        ),
        "overdue" => streamed(
            OVERDUE_COLUMNS,
            &style.clone(),
            reports::overdue(&app, &v.actor).await?,
            move |l: Loan| loan_cells(&style, l),
        ),
        "compensations" => streamed(
            COMPENSATION_COLUMNS,
            &style.clone(),
            reports::compensations(&app, &v.actor).await?,
            move |c: Compensation| compensation_cells(&style, c),
        ),
        _ => streamed(
            DISPOSAL_COLUMNS,
            &style.clone(),
            reports::disposals(&app, &v.actor).await?,
            move |d: Disposal| disposal_cells(&style, d),
        ),
    };
    Ok(attachment(name, body))
}

/// A compensation case's row ([`COMPENSATION_COLUMNS`]).
pub(super) fn compensation_cells(style: &CsvStyle, c: Compensation) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.asset_id.to_string(),
        c.asset,
        style.name(Register::Department, c.department),
        c.loan_id.map(|l| l.to_string()).unwrap_or_default(),
        style.word(c.status.as_str()),
        yuan(&c.amount_fen),
        c.receipt_number.unwrap_or_default(),
    ]
}

/// A disposal's row ([`DISPOSAL_COLUMNS`]).
pub(super) fn disposal_cells(style: &CsvStyle, d: Disposal) -> Vec<String> {
    vec![
        d.id.to_string(),
        d.reason,
        style.word(d.status.as_str()),
        yuan(&d.original_value_fen),
        d.appraised_value_fen.map(|v| yuan(&v)).unwrap_or_default(),
        d.method.unwrap_or_default(),
        d.sale_price_fen.map(|v| yuan(&v)).unwrap_or_default(),
        d.buyer.unwrap_or_default(),
        d.receipt_number.unwrap_or_default(),
        d.remitted_at.map(|t| style.time(t)).unwrap_or_default(),
    ]
}

/// A CSV body as a download named `depot-{name}.csv`.
fn attachment(name: &str, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"depot-{name}.csv\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// A loan's row in a list of loans ([`OVERDUE_COLUMNS`]).
pub(super) fn loan_cells(style: &CsvStyle, l: Loan) -> Vec<String> {
    vec![
        l.id.to_string(),
        style.name(Register::Department, l.department),
        l.purpose,
        l.starts_on.to_string(),
        l.ends_on.to_string(),
        style.word(l.status.as_str()),
    ]
}

/// The transfers list.
pub(super) const TRANSFER_COLUMNS: &[&str] = &[
    "transfer_id",
    "department",
    "purpose",
    "requester",
    "status",
    "requested_at",
];

/// A transfer's row ([`TRANSFER_COLUMNS`]).
pub(super) fn transfer_cells(style: &CsvStyle, t: crate::db::transfers::Transfer) -> Vec<String> {
    vec![
        t.id.to_string(),
        style.name(Register::Department, t.department),
        t.purpose,
        t.requester_name,
        style.word(t.status.as_str()),
        style.time(t.created_at),
    ]
}

/// The market rentals list.
pub(super) const RENTAL_COLUMNS: &[&str] = &[
    "rental_id",
    "loan_id",
    "department",
    "supplier",
    "category",
    "quantity",
    "starts_on",
    "ends_on",
    "daily_price_yuan",
    "total_yuan",
    "status",
];

pub(super) const ASSET_COLUMNS: &[&str] = &[
    "asset_id",
    "epc",
    "name",
    "category",
    "state",
    "original_value_yuan",
];

/// An asset's row in the list's export ([`ASSET_COLUMNS`]).
pub(super) fn asset_cells(style: &CsvStyle, a: crate::db::assets::Asset) -> Vec<String> {
    vec![
        a.id.to_string(),
        a.epc,
        a.name,
        style.name(Register::Category, a.category),
        style.word(a.state.as_str()),
        yuan(&a.original_value_fen),
    ]
}

pub(super) const STOCKTAKE_COLUMNS: &[&str] = &[
    "epc",
    "asset_id",
    "asset",
    "category",
    "outcome",
    "expected_zone",
    "seen_zone",
    "other_zone",
    "resolution",
    "resolved_at",
];

/// A stocktake line's row ([`STOCKTAKE_COLUMNS`]).
pub(super) fn stocktake_cells(
    style: &CsvStyle,
    l: crate::db::stocktakes::ExportLine,
) -> Vec<String> {
    let outcome = match style.codes {
        true => l.outcome.as_str().to_owned(),
        false => style
            .lang
            .t(&format!("oc_{}", l.outcome.as_str()))
            .to_owned(),
    };
    let zone = |z: Option<String>| z.map(|z| style.name(Register::Zone, z)).unwrap_or_default();
    let resolution = l.resolution.map(|r| match style.codes {
        true => r,
        false => style.lang.t(&format!("res_{r}")).to_owned(),
    });
    vec![
        l.epc,
        l.asset_id.map(|id| id.to_string()).unwrap_or_default(),
        l.asset.unwrap_or_default(),
        l.category
            .map(|c| style.name(Register::Category, c))
            .unwrap_or_default(),
        outcome,
        zone(l.expected_zone),
        zone(l.seen_zone),
        zone(l.other_zone),
        resolution.unwrap_or_default(),
        l.resolved_at.map(|t| style.time(t)).unwrap_or_default(),
    ]
}

/// The keeper's pick list.
pub(super) const PICK_COLUMNS: &[&str] = &[
    "loan_id",
    "department",
    "starts_on",
    "place",
    "asset_id",
    "asset",
    "epc",
];

/// A pick's row ([`PICK_COLUMNS`]).
pub(super) fn pick_cells(style: &CsvStyle, p: crate::db::reports::Pick) -> Vec<String> {
    vec![
        p.loan_id.to_string(),
        style.name(Register::Department, p.department),
        p.starts_on.to_string(),
        style.place(p.place),
        p.asset_id.to_string(),
        p.name,
        p.epc,
    ]
}

/// The keeper's intakes.
pub(super) const INTAKE_COLUMNS: &[&str] = &[
    "intake_id",
    "created_at",
    "source_class",
    "department",
    "description",
    "items",
    "awaiting_receipt",
    "status",
];

/// An intake's row ([`INTAKE_COLUMNS`]).
pub(super) fn intake_cells(style: &CsvStyle, i: crate::db::intakes::Intake) -> Vec<String> {
    vec![
        i.id.to_string(),
        style.time(i.created_at),
        style.word(i.source_class.as_str()),
        i.source_department
            .map(|d| style.name(Register::Department, d))
            .unwrap_or_default(),
        i.description,
        i.asset_count.to_string(),
        i.awaiting_receipt.to_string(),
        style.word(i.status.as_str()),
    ]
}

/// The returns desk's assets back through the gates, waiting for inspection.
pub(super) const UNINSPECTED_COLUMNS: &[&str] = &[
    "loan_id",
    "department",
    "asset_id",
    "asset",
    "epc",
    "returned_at",
];

/// An asset waiting for inspection ([`UNINSPECTED_COLUMNS`]).
pub(super) fn uninspected_cells(
    style: &CsvStyle,
    u: crate::db::reports::Uninspected,
) -> Vec<String> {
    vec![
        u.loan_id.to_string(),
        style.name(Register::Department, u.department),
        u.asset_id.to_string(),
        u.name,
        u.epc,
        style.time(u.returned_at),
    ]
}

/// The keeper's stocktakes.
pub(super) const STOCKTAKE_LIST_COLUMNS: &[&str] = &[
    "stocktake_id",
    "warehouse",
    "zones",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "expected",
    "found",
    "misplaced",
    "missing",
    "unexpected",
    "between",
];

/// A stocktake's row ([`STOCKTAKE_LIST_COLUMNS`]): its status as the page says it.
pub(super) fn stocktake_list_cells(
    style: &CsvStyle,
    s: crate::db::stocktakes::Listing,
) -> Vec<String> {
    use crate::db::stocktakes::StocktakeStatus;
    let status = match (style.codes, s.status) {
        (true, status) => status.as_str().to_owned(),
        (false, StocktakeStatus::Cancelled) => style.lang.t("cancelled").to_owned(),
        (false, status) => style.lang.t(&format!("st_{}", status.as_str())).to_owned(),
    };
    let separator = match style.codes {
        true => ";",
        false => style.lang.t("list_separator"),
    };
    let zones: Vec<String> = s
        .zones
        .into_iter()
        .map(|z| style.name(Register::Zone, z))
        .collect();
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| style.time(t));
    vec![
        s.id.to_string(),
        style.name(Register::Warehouse, s.warehouse),
        zones.join(separator),
        status,
        style.time(s.created_at),
        time(s.started_at).unwrap_or_default(),
        time(s.finished_at).unwrap_or_default(),
        s.expected.to_string(),
        s.found.to_string(),
        s.misplaced.to_string(),
        s.missing.to_string(),
        s.unexpected.to_string(),
        s.between.to_string(),
    ]
}

/// The passages through the gates.
pub(super) const PASSAGE_COLUMNS: &[&str] = &[
    "passed_at",
    "gate",
    "direction",
    "asset_id",
    "asset",
    "epc",
    "order_kind",
    "order_id",
    "result",
];

/// A passage's row ([`PASSAGE_COLUMNS`]): its direction, paperwork and outcome in words for
/// people, as codes for machines.
pub(super) fn passage_cells(style: &CsvStyle, p: crate::db::readers::Passage) -> Vec<String> {
    let direction = p.direction.map(|d| match (style.codes, d.as_str()) {
        (true, _) => d,
        (false, "in") => style.lang.t("dir_in").to_owned(),
        (false, _) => style.lang.t("dir_out").to_owned(),
    });
    let outcome = match style.codes {
        true => p.outcome,
        false => style.lang.t(&format!("out_{}", p.outcome)).to_owned(),
    };
    vec![
        style.time(p.at),
        p.gate.unwrap_or_default(),
        direction.unwrap_or_default(),
        p.asset_id.map(|id| id.to_string()).unwrap_or_default(),
        p.asset.unwrap_or_default(),
        p.epc,
        p.order_kind.map(|k| style.word(&k)).unwrap_or_default(),
        p.order_id.map(|id| id.to_string()).unwrap_or_default(),
        outcome,
    ]
}

/// The admin's approval queue: loan requests waiting for a decision.
pub(super) const APPROVAL_COLUMNS: &[&str] = &[
    "waiting",
    "order_id",
    "department",
    "purpose",
    "requester",
    "starts_on",
    "ends_on",
    "requested_at",
];

/// A row of the approval queue ([`APPROVAL_COLUMNS`]): a loan request, a loan at finance, a
/// transfer request (no dates) or an appraised disposal (no department, no dates).
pub(super) fn approval_cells(style: &CsvStyle, w: crate::db::loans::Awaiting) -> Vec<String> {
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        style.word(&w.kind),
        w.id.to_string(),
        style.name(Register::Department, w.department),
        w.purpose,
        w.requester_name,
        day(w.starts_on),
        day(w.ends_on),
        style.time(w.created_at),
    ]
}

/// Bookings whose asset will not be there in time, soonest first.
pub(super) const COLLISION_COLUMNS: &[&str] = &[
    "loan_id",
    "department",
    "starts_on",
    "ends_on",
    "asset_id",
    "asset",
    "epc",
    "state",
    "out_on_loan",
    "due_back_on",
    "replacement_id",
    "replacement",
];

/// A row of [`COLLISION_COLUMNS`].
pub(super) fn collision_cells(style: &CsvStyle, k: crate::db::bookings::Collision) -> Vec<String> {
    let (swap_id, swap) = k
        .swap
        .map(|r| (r.asset_id.to_string(), r.name))
        .unwrap_or_default();
    vec![
        k.loan_id.to_string(),
        style.name(Register::Department, k.department),
        k.starts_on.to_string(),
        k.ends_on.to_string(),
        k.asset_id.to_string(),
        k.asset,
        k.epc,
        style.word(k.state.as_str()),
        k.out_on.map(|l| l.to_string()).unwrap_or_default(),
        k.due_on.map(|d| d.to_string()).unwrap_or_default(),
        swap_id,
        swap,
    ]
}

/// One's notifications, newest first.
pub(super) const NOTIFICATION_COLUMNS: &[&str] = &[
    "notified_at",
    "order_kind",
    "order_id",
    "title",
    "text",
    "read",
];

/// A row of [`NOTIFICATION_COLUMNS`]: the words in the viewer's language (English for
/// machines, with the kind of notice as the title).
pub(super) fn notification_cells(
    style: &CsvStyle,
    n: crate::app::notices::Notification,
) -> Vec<String> {
    let (title, text) = match (style.codes, style.lang) {
        (true, _) => (n.kind.as_str().to_owned(), n.words.text_en),
        (false, super::i18n::Lang::Zh) => (n.words.title_zh, n.words.text_zh),
        (false, super::i18n::Lang::En) => (n.words.title_en, n.words.text_en),
    };
    vec![
        style.time(n.created_at),
        style.word(n.order_kind.as_str()),
        n.order_id.to_string(),
        title,
        text,
        style.yes_no(n.read),
    ]
}

/// A webhook's deliveries, newest first.
pub(super) const DELIVERY_COLUMNS: &[&str] = &[
    "delivery_id",
    "event_id",
    "action",
    "status",
    "attempts",
    "created_at",
    "delivered_at",
    "dead_at",
    "last_status",
    "last_error",
];

/// A row of [`DELIVERY_COLUMNS`].
pub(super) fn delivery_cells(style: &CsvStyle, d: crate::db::webhooks::Delivery) -> Vec<String> {
    let status = match (d.dead_at, d.delivered_at) {
        (Some(_), _) => "dead_letter",
        (None, Some(_)) => "delivered",
        (None, None) => "waiting",
    };
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| style.time(t)).unwrap_or_default();
    vec![
        d.id.to_string(),
        d.event_id.to_string(),
        match style.codes {
            true => d.action,
            false => style.lang.action(&d.action),
        },
        style.word(status),
        d.attempts.to_string(),
        style.time(d.created_at),
        time(d.delivered_at),
        time(d.dead_at),
        d.last_status.map(|s| s.to_string()).unwrap_or_default(),
        d.last_error,
    ]
}

/// The kits, by name.
pub(super) const KIT_COLUMNS: &[&str] = &["kit_id", "name", "description", "parts"];

/// A row of [`KIT_COLUMNS`]: the parts as "2 × Laptop; asset 7 Projector".
pub(super) fn kit_cells(style: &CsvStyle, k: crate::db::kits::Kit) -> Vec<String> {
    let parts: Vec<String> = k
        .parts
        .into_iter()
        .map(|p| match p.asset_id {
            Some(asset) => format!("{} {asset} {}", style.word("asset"), p.name),
            None => format!(
                "{} × {}",
                p.quantity,
                style.name(Register::Category, p.name)
            ),
        })
        .collect();
    vec![k.id.to_string(), k.name, k.description, parts.join("; ")]
}

/// The site's readers and how each is doing, as this instance sees them.
pub(super) const READER_COLUMNS: &[&str] = &[
    "reader_id",
    "name",
    "address",
    "enabled",
    "antennas",
    "health",
    "driven_by",
    "last_read_at",
    "reads_per_s",
    "errors",
    "reconnects",
];

/// A row of [`READER_COLUMNS`].
pub(super) fn reader_cells(style: &CsvStyle, row: crate::app::readers::ReaderRow) -> Vec<String> {
    let r = row.reader.reader;
    let h = row.reader.health;
    let antennas: Vec<String> = row
        .antennas
        .into_iter()
        .map(|(antenna, place)| format!("{antenna}→{}", style.place(place)))
        .collect();
    let status = h.as_ref().map_or("none", |h| h.status.as_str());
    vec![
        r.id.to_string(),
        r.name,
        r.address,
        style.yes_no(r.enabled),
        antennas.join("; "),
        match style.codes {
            true => status.to_owned(),
            false => style.lang.t(&format!("h_{status}")).to_owned(),
        },
        row.reader.owner.unwrap_or_default(),
        h.as_ref()
            .and_then(|h| h.last_read_at)
            .map(|t| style.time(t))
            .unwrap_or_default(),
        h.as_ref()
            .map(|h| format!("{:.1}", h.reads_per_s))
            .unwrap_or_default(),
        h.as_ref().map(|h| h.errors.to_string()).unwrap_or_default(),
        h.as_ref()
            .map(|h| h.reconnects.to_string())
            .unwrap_or_default(),
    ]
}

/// The loans waiting for the finance approver, oldest first.
pub(super) const SIGN_OFF_COLUMNS: &[&str] = &[
    "loan_id",
    "department",
    "purpose",
    "requester",
    "starts_on",
    "ends_on",
    "days",
    "value_yuan",
    "why_finance",
    "requested_at",
];

/// A row of [`SIGN_OFF_COLUMNS`]: why finance signs off in the viewer's language (in
/// English for machines).
pub(super) fn sign_off_cells(style: &CsvStyle, s: crate::app::loans::SignOff) -> Vec<String> {
    let l = s.loan;
    vec![
        l.id.to_string(),
        style.name(Register::Department, l.department),
        l.purpose,
        l.requester_name,
        l.starts_on.to_string(),
        l.ends_on.to_string(),
        s.days.to_string(),
        yuan(&s.value_fen),
        match (style.codes, style.lang) {
            (false, super::i18n::Lang::Zh) => s.why_zh,
            _ => s.why_en,
        },
        style.time(l.created_at),
    ]
}

/// Work past one time limit (限时办结), most late first.
pub(super) const OVERDUE_WORK_COLUMNS: &[&str] = &[
    "order_kind",
    "order_id",
    "about",
    "department",
    "status",
    "since_at",
    "due",
    "due_on",
    "working_days_late",
    "who_acts",
];

/// A row of [`OVERDUE_WORK_COLUMNS`].
pub(super) fn overdue_work_cells(
    style: &CsvStyle,
    w: crate::app::deadlines::OverdueWork,
) -> Vec<String> {
    vec![
        style.word(w.kind.as_str()),
        w.id.to_string(),
        w.about,
        w.department
            .map(|d| style.name(Register::Department, d))
            .unwrap_or_default(),
        style.word(w.status),
        style.time(w.since),
        match style.codes {
            true => w.action.to_owned(),
            false => style.lang.t(&format!("due_{}", w.action)).to_owned(),
        },
        w.due_on.to_string(),
        w.working_days_late.to_string(),
        style.word(w.acts.as_str()),
    ]
}

/// A department's own assets in the virtual depot.
pub(super) const VIRTUAL_COLUMNS: &[&str] = &[
    "asset_id",
    "epc",
    "name",
    "category",
    "state",
    "value_yuan",
    "handed_in",
];

/// An asset of the virtual depot's ([`VIRTUAL_COLUMNS`]).
pub(super) fn virtual_cells(style: &CsvStyle, a: crate::db::assets::OwnAsset) -> Vec<String> {
    let handed_in = match (style.codes, a.handed_in) {
        (true, handed_in) => handed_in.to_string(),
        (false, true) => style.lang.t("yes").to_owned(),
        (false, false) => style.lang.t("no").to_owned(),
    };
    vec![
        a.id.to_string(),
        a.epc,
        a.name,
        style.name(Register::Category, a.category),
        style.word(a.state.as_str()),
        yuan(&a.original_value_fen),
        handed_in,
    ]
}

pub(super) const USER_COLUMNS: &[&str] =
    &["username", "display_name", "role", "department", "active"];

/// A user's row ([`USER_COLUMNS`]).
pub(super) fn user_cells(style: &CsvStyle, u: crate::db::people::UserListing) -> Vec<String> {
    let active = style.yes_no(u.active);
    vec![
        u.username,
        u.display_name,
        style.word(crate::app::policy::role_name(u.role)),
        u.department
            .map(|d| style.name(Register::Department, d))
            .unwrap_or_default(),
        active,
    ]
}

/// A rental's row ([`RENTAL_COLUMNS`]).
pub(super) fn rental_cells(style: &CsvStyle, r: crate::db::rentals::Rental) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.loan_id.to_string(),
        style.name(Register::Department, r.department),
        r.supplier,
        style.name(Register::Category, r.category),
        r.quantity.to_string(),
        r.starts_on.to_string(),
        r.ends_on.to_string(),
        yuan(&r.daily_price_fen),
        yuan(&r.total_fen),
        style.word(r.status.as_str()),
    ]
}

fn stock_row(c: CategoryStock, style: &CsvStyle) -> Vec<String> {
    vec![
        style.name(Register::Category, c.category),
        c.in_stock.to_string(),
        c.reserved.to_string(),
        c.on_loan.to_string(),
        c.listed.to_string(),
        c.other.to_string(),
        yuan(&c.value_fen),
        format!("{:.4}", c.utilisation),
    ]
}

/// The byte-order mark and the header line.
fn head(columns: &[&str], style: &CsvStyle) -> String {
    let mut out = String::from("\u{feff}");
    push_row(&mut out, columns.iter().map(|c| style.column(c)).collect());
    out
}

fn push_row(out: &mut String, cells: Vec<String>) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(cell));
    }
    out.push_str("\r\n");
}

/// A CSV body written batch by batch as `rows` come. A failure halfway ends the body
/// early (the client sees a cut transfer, never a complete-looking file) and is logged.
fn streamed<T: Send + 'static>(
    columns: &[&str],
    style: &CsvStyle,
    rows: Rows<T>,
    row: impl Fn(T) -> Vec<String> + Send + 'static,
) -> Body {
    let first = head(columns, style);
    let state = (Some(first), Some(rows), row);
    let chunks = futures_util::stream::unfold(state, |(first, rows, row)| async move {
        if let Some(first) = first {
            return Some((Ok(Bytes::from(first)), (None, rows, row)));
        }
        let mut rows = rows?;
        match rows.next().await? {
            Ok(batch) => {
                let mut out = String::with_capacity(batch.len() * 64);
                for r in batch {
                    push_row(&mut out, row(r));
                }
                Some((Ok(Bytes::from(out)), (None, Some(rows), row)))
            }
            Err(e) => {
                tracing::warn!(error = %e, "a CSV export failed halfway");
                Some((Err(std::io::Error::other(e.to_string())), (None, None, row)))
            }
        }
    });
    Body::from_stream(chunks)
}

/// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is neutralised so a spreadsheet never
/// runs a cell as a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_csv_column_has_a_name_for_people_in_both_languages() {
        use crate::web::i18n::{Lang, CATALOGUE};
        let columns = [
            FIGURE_COLUMNS,
            DEPRECIATION_COLUMNS,
            STOCK_COLUMNS,
            IDLE_COLUMNS,
            OVERDUE_COLUMNS,
            COMPENSATION_COLUMNS,
            DISPOSAL_COLUMNS,
            RENTAL_COLUMNS,
            ASSET_COLUMNS,
            TRANSFER_COLUMNS,
            STOCKTAKE_COLUMNS,
            USER_COLUMNS,
            PICK_COLUMNS,
            INTAKE_COLUMNS,
            UNINSPECTED_COLUMNS,
            STOCKTAKE_LIST_COLUMNS,
            PASSAGE_COLUMNS,
            APPROVAL_COLUMNS,
            VIRTUAL_COLUMNS,
            OVERDUE_WORK_COLUMNS,
            SIGN_OFF_COLUMNS,
            READER_COLUMNS,
            KIT_COLUMNS,
            COLLISION_COLUMNS,
            DELIVERY_COLUMNS,
            NOTIFICATION_COLUMNS,
        ];
        for code in columns.concat() {
            let key = format!("csv_{code}");
            assert!(CATALOGUE.iter().any(|(k, _, _)| *k == key), "{key}");
            // A time's column says which clock: every `…_at` column is a time.
            assert!(
                !code.ends_with("_at") || TIME_COLUMNS.contains(&code),
                "{code} holds a time but is not in TIME_COLUMNS"
            );
        }
        for code in TIME_COLUMNS {
            assert!(columns.concat().contains(code), "{code} is no CSV's column");
        }
        let people = CsvStyle {
            lang: Lang::Zh,
            codes: false,
            tz: crate::config::default_time_zone(),
            names: Default::default(),
        };
        assert_eq!(people.column("remitted_at"), "上缴时间 (UTC+08:00)");
        assert_eq!(people.column("requested_at"), "申请时间 (UTC+08:00)");
        assert_eq!(people.word("remitted"), "已上缴");
        let t = "2026-11-30T02:43:15.594032Z".parse().unwrap();
        assert_eq!(people.time(t), "2026-11-30 10:43:15");
        let machines = CsvStyle {
            codes: true,
            ..people.clone()
        };
        assert_eq!(machines.column("remitted_at"), "remitted_at");
        assert_eq!(machines.word("remitted"), "remitted");
        assert_eq!(machines.time(t), "2026-11-30T10:43:15+08:00");
    }

    #[test]
    fn a_stocktake_line_says_its_follow_up_in_words_for_people_and_as_a_code_for_machines() {
        use crate::db::stocktakes::{ExportLine, Outcome};
        let line = || ExportLine {
            epc: "3414A3F0".into(),
            asset_id: Some(7),
            asset: Some("desk".into()),
            category: Some("desks".into()),
            outcome: Outcome::Missing,
            expected_zone: Some("Aisle A".into()),
            seen_zone: None,
            other_zone: None,
            resolution: Some("marked_lost".into()),
            resolved_at: Some("2026-11-30T02:43:15Z".parse().unwrap()),
        };
        let people = CsvStyle {
            lang: crate::web::i18n::Lang::Zh,
            codes: false,
            tz: crate::config::default_time_zone(),
            names: Default::default(),
        };
        let cells = stocktake_cells(&people, line());
        assert_eq!(cells[4], "盘亏");
        assert_eq!(cells[5], "Aisle A");
        assert_eq!(cells[8], "已标记丢失");
        assert_eq!(cells[9], "2026-11-30 10:43:15");
        let machines = CsvStyle {
            codes: true,
            ..people
        };
        let cells = stocktake_cells(&machines, line());
        assert_eq!(cells[4], "missing");
        assert_eq!(cells[8], "marked_lost");
        assert_eq!(cells[9], "2026-11-30T10:43:15+08:00");
    }

    #[test]
    fn a_passage_says_its_direction_and_outcome_in_words_for_people_and_as_codes_for_machines() {
        let passage = || crate::db::readers::Passage {
            key: "k".into(),
            epc: "3414A3F0".into(),
            asset_id: Some(7),
            asset: Some("desk".into()),
            gate: Some("Door 1".into()),
            direction: Some("in".into()),
            at: "2026-11-30T02:43:15Z".parse().unwrap(),
            order_kind: Some("loan".into()),
            order_id: Some(12),
            outcome: "returned".into(),
        };
        let people = CsvStyle {
            lang: crate::web::i18n::Lang::Zh,
            codes: false,
            tz: crate::config::default_time_zone(),
            names: Default::default(),
        };
        let cells = passage_cells(&people, passage());
        assert_eq!(cells.len(), PASSAGE_COLUMNS.len());
        assert_eq!(cells[0], "2026-11-30 10:43:15");
        assert_eq!(cells[2], "入");
        assert_eq!(cells[6], "出借");
        assert_eq!(cells[8], people.lang.t("out_returned"));
        let machines = CsvStyle {
            codes: true,
            ..people
        };
        let cells = passage_cells(&machines, passage());
        assert_eq!(cells[0], "2026-11-30T10:43:15+08:00");
        assert_eq!(
            cells[1..],
            ["Door 1", "in", "7", "desk", "3414A3F0", "loan", "12", "returned"]
        );
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("-12.50"), "-12.50");
    }

    #[test]
    fn yuan_keeps_the_sign_of_less_than_a_yuan() {
        assert_eq!(yuan(&-50i64), "-0.50");
        assert_eq!(yuan(&-12_345i64), "-123.45");
        assert_eq!(yuan(&7i64), "0.07");
    }

    #[test]
    fn charts_escape_their_labels() {
        let svg = bar_chart(
            "t",
            &[
                ("<b>".into(), 2.0, "2".into()),
                ("x".into(), 0.0, "0".into()),
            ],
        );
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}

#[derive(askama::Template)]
#[template(path = "depreciation.html")]
struct DepreciationPage {
    c: Chrome,
    report: DepreciationReport,
}

/// The month of the depreciation report as a page's query gives it (empty: this month).
#[derive(Debug, Default, serde::Deserialize)]
struct MonthField {
    #[serde(default)]
    month: String,
}

impl MonthField {
    fn query(&self) -> Result<MonthQuery, PageError> {
        Ok(MonthQuery {
            month: match self.month.trim() {
                "" => None,
                month => Some(named("month", Text::parse(month))?),
            },
            department: None,
        })
    }
}

/// The register's depreciation in a month, by category (折旧月报).
async fn depreciation(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<MonthField>,
) -> PageResult {
    let report = reports::depreciation(&app, &v.actor, &q.query()?).await?;
    render(DepreciationPage {
        c: v.chrome("depreciation_report"),
        report,
    })
}

const DEPRECIATION_COLUMNS: &[&str] = &[
    "month",
    "category_code",
    "category",
    "assets",
    "undepreciated",
    "original_value_yuan",
    "depreciation_this_month_yuan",
    "accumulated_depreciation_yuan",
    "net_value_yuan",
];

/// The depreciation report as CSV, one row per category.
async fn depreciation_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<MonthField>,
    Query(style): Query<CsvQuery>,
) -> Result<Response, PageError> {
    let r = reports::depreciation(&app, &v.actor, &q.query()?).await?;
    let style = style.of(&v);
    let mut body = head(DEPRECIATION_COLUMNS, &style);
    for row in &r.categories {
        push_row(
            &mut body,
            vec![
                r.month.clone(),
                row.category_code.clone(),
                style.name(Register::Category, row.category.clone()),
                row.assets.to_string(),
                row.undepreciated.to_string(),
                yuan(&row.original_fen),
                yuan(&row.charge_fen),
                yuan(&row.accumulated_fen),
                yuan(&row.net_fen),
            ],
        );
    }
    Ok(attachment(
        &format!("depreciation-{}", r.month),
        Body::from(body),
    ))
}
