//! The keeper's pages: pick lists for approved loans, loans to take back (inspection is on
//! the loan page), and intake with tag commissioning. The live gate view and the stocktake
//! page belong here too, once reader ingest streams its events.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{
    day, fen, field, named, note, render, text, Chrome, Fields, PageResult, Posted, Viewer,
};
use crate::auth::Role;
use crate::db::assets::{NewAsset, SourceClass};
use crate::db::catalogue;
use crate::db::events::Context;
use crate::db::intakes::{self, Intake, NewIntake};
use crate::db::loans::{self, Loan};
use crate::db::reports::{self, Pick};
use crate::domain::bounds::Text;
use crate::http::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/keeper/picks", get(picks))
        .route("/keeper/returns", get(returns))
        .route("/keeper/intakes", get(intake_list).post(open_intake))
        .route("/keeper/intakes/{id}", get(intake_detail))
        .route("/keeper/intakes/{id}/receive", post(receive))
}

const KEEPERS: &[Role] = &[Role::Keeper, Role::Admin];

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

async fn picks(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(KEEPERS)?;
    let picks = reports::picks(&mut *state.pool.acquire().await?).await?;
    render(PicksPage {
        c: v.chrome("picks"),
        picks,
    })
}

#[derive(askama::Template)]
#[template(path = "returns.html")]
struct ReturnsPage {
    c: Chrome,
    loans: Vec<Loan>,
}

async fn returns(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(KEEPERS)?;
    let mut conn = state.pool.acquire().await?;
    let mut out = Vec::new();
    for status in ["issued", "partially_issued"] {
        let filter = loans::Filter {
            department_id: None,
            status: Some(status.into()),
        };
        out.extend(loans::list(&mut conn, &filter, 1, 200).await?.0);
    }
    out.sort_by_key(|l| (l.ends_on, l.id));
    render(ReturnsPage {
        c: v.chrome("returns"),
        loans: out,
    })
}

#[derive(askama::Template)]
#[template(path = "intakes.html")]
struct IntakesPage {
    c: Chrome,
    intakes: Vec<Intake>,
    categories: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
}

impl IntakesPage {
    fn classes(&self) -> [&'static str; 4] {
        [
            "event_purchase",
            "abolished_body",
            "institutional_reform",
            "other_idle",
        ]
    }
}

async fn intake_list(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(KEEPERS)?;
    let mut conn = state.pool.acquire().await?;
    let (intakes, _) = intakes::list(&mut conn, &Default::default(), 1, 100).await?;
    let categories = catalogue::categories(&mut conn).await?;
    let departments = sqlx::query_as("select id, name from departments order by name")
        .fetch_all(&mut *conn)
        .await?;
    render(IntakesPage {
        c: v.chrome("intake"),
        intakes,
        categories,
        departments,
    })
}

/// Open an intake: `quantity` items of one category at one value; EPCs already on the tags
/// may be given one per line, otherwise GIAI-96 EPCs are assigned (commissioned).
async fn open_intake(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(KEEPERS)?;
    let source_class = match field(&form, "source_class") {
        "event_purchase" => SourceClass::EventPurchase,
        "abolished_body" => SourceClass::AbolishedBody,
        "institutional_reform" => SourceClass::InstitutionalReform,
        _ => SourceClass::OtherIdle,
    };
    let category_id: i64 = field(&form, "category")
        .parse()
        .map_err(|_| ApiError::Unprocessable("choose a category".into()))?;
    let quantity: usize = field(&form, "quantity")
        .parse()
        .map_err(|_| ApiError::Unprocessable("give a quantity".into()))?;
    if !(1..=500).contains(&quantity) {
        return Err(
            ApiError::Unprocessable("an intake on this page takes 1 to 500 items".into()).into(),
        );
    }
    let value = fen(field(&form, "value"))?;
    let epcs: Vec<Text> = field(&form, "epcs")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| named("epcs", Text::parse(l)))
        .collect::<Result<_, _>>()?;
    if !epcs.is_empty() && epcs.len() != quantity {
        return Err(ApiError::Unprocessable(format!(
            "{} EPCs given for {quantity} items: give one per item, or none",
            epcs.len()
        ))
        .into());
    }
    let (name, acquired_on) = (text(&form, "name")?, day(&form, "acquired_on")?);
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
        })
        .collect();
    let new = NewIntake {
        source_department_id: field(&form, "department").parse().ok(),
        source_class,
        description: note(&form, "description")?,
        items,
    };
    let mut tx = state.pool.begin().await?;
    let intake = intakes::create(
        &mut tx,
        &state.config.company_prefix,
        &new,
        &Context::by(v.actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/keeper/intakes/{}", intake.id)).into_response())
}

#[derive(askama::Template)]
#[template(path = "intake.html")]
struct IntakePage {
    c: Chrome,
    intake: Intake,
    zones: Vec<(i64, String)>,
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
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    v.require(KEEPERS)?;
    let mut conn = state.pool.acquire().await?;
    let intake = intakes::get(&mut conn, id).await?;
    let zones = super::orders::zones(&mut conn).await?;
    render(IntakePage {
        c: v.chrome("intake"),
        intake,
        zones,
    })
}

async fn receive(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(KEEPERS)?;
    let zone: i64 = field(&form, "zone")
        .parse()
        .map_err(|_| ApiError::Unprocessable("choose a zone".into()))?;
    let mut tx = state.pool.begin().await?;
    intakes::receive(&mut tx, id, zone, None, &Context::by(v.actor.id)).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/keeper/intakes/{id}")).into_response())
}
