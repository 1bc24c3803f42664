//! Loans and compensation cases over HTTP. A requester sees and acts only on their own
//! department's; other departments' are answered 404, never 403, so nothing leaks.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    require, ApiError, ApiResult, AppState, Json, OptionalJson, Page, Paging, Path, Query,
};
use crate::auth::{Actor, Role};
use crate::db::compensations::{self, Compensation};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::loans::{self, Inspection, Loan, NewLoan, ReturnedItem};
use crate::domain::bounds::{Fen, Note, PageNo, Text};
use crate::domain::lifecycle::orders::CompensationStatus;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_loans, request_loan))
        .routes(routes!(get_loan))
        .routes(routes!(loan_events))
        .routes(routes!(approve_loan))
        .routes(routes!(reject_loan))
        .routes(routes!(cancel_loan))
        .routes(routes!(issue_loan))
        .routes(routes!(return_loan))
        .routes(routes!(inspect_loan))
        .routes(routes!(list_compensations))
        .routes(routes!(get_compensation))
        .routes(routes!(repair_compensation))
        .routes(routes!(pay_compensation))
        .routes(routes!(waive_compensation))
}

/// The department a requester acts for; `None` for roles that see all.
pub fn own_department(actor: &Actor) -> Option<i64> {
    (actor.role == Role::Requester).then(|| actor.department_id.unwrap_or(-1))
}

async fn visible_loan(conn: &mut sqlx::PgConnection, actor: &Actor, id: i64) -> ApiResult<Loan> {
    let loan = loans::get(conn, id).await?;
    if !actor.sees_department(loan.department_id) {
        return Err(ApiError::NotFound(format!("loan {id}")));
    }
    Ok(loan)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LoanQuery {
    /// A loan status, or `overdue`.
    pub status: Option<Text>,
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/loans", tag = "loans", params(LoanQuery), responses((status = 200, body = Page<Loan>)))]
async fn list_loans(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<LoanQuery>,
) -> ApiResult<Json<Page<Loan>>> {
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let filter = loans::Filter {
        department_id: own_department(&actor).or(q.department),
        status: q.status.map(String::from),
    };
    let (items, total) =
        loans::list(&mut *state.pool.acquire().await?, &filter, page, per_page).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// Request a loan: lines by category and quantity, or specific assets; dates; purpose.
#[utoipa::path(post, path = "/loans", tag = "loans", request_body = NewLoan, responses((status = 201, body = Loan)))]
async fn request_loan(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewLoan>,
) -> ApiResult<(StatusCode, Json<Loan>)> {
    require(&actor, &[Role::Requester, Role::Admin], "request loans")?;
    let department_id = match (actor.role, body.department_id) {
        (Role::Requester, Some(d)) if Some(d) != actor.department_id => {
            return Err(ApiError::forbidden(
                "a requester requests loans for their own department only",
            ))
        }
        (_, Some(d)) => d,
        (_, None) => actor.department_id.ok_or_else(|| {
            ApiError::Unprocessable("say which department the loan is for (department_id)".into())
        })?,
    };
    let mut tx = state.pool.begin().await?;
    let loan = loans::create(&mut tx, department_id, &body, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(loan)))
}

#[utoipa::path(get, path = "/loans/{id}", tag = "loans", responses((status = 200, body = Loan), (status = 404, body = super::error::ErrorBody)))]
async fn get_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(
        visible_loan(&mut *state.pool.acquire().await?, &actor, id).await?,
    ))
}

/// The loan's history: its status changes and what happened to its assets.
#[utoipa::path(get, path = "/loans/{id}/events", tag = "loans", responses((status = 200, body = Vec<Event>)))]
async fn loan_events(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    let mut conn = state.pool.acquire().await?;
    visible_loan(&mut conn, &actor, id).await?;
    Ok(Json(
        events::for_order(&mut conn, OrderKind::Loan, id).await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The assets to reserve; omitted: chosen automatically from the lines.
    pub asset_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub reason: Note,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    pub reason: Note,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    /// Assets handed over now; omitted: everything still waiting.
    pub asset_ids: Option<Vec<i64>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// What came back and in what condition; omitted: everything out, fine.
    pub items: Option<Vec<ReturnedItem>>,
}

/// Approve (admin): reserve assets for the loan's dates. 409 if they are not available.
#[utoipa::path(post, path = "/loans/{id}/approve", tag = "loans", request_body = Approval,
    responses((status = 200, body = Loan), (status = 409, body = super::error::ErrorBody)))]
async fn approve_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Approval>,
) -> ApiResult<Json<Loan>> {
    require(&actor, &[Role::Admin], "approve loans")?;
    let mut tx = state.pool.begin().await?;
    let loan = loans::approve(
        &mut tx,
        id,
        body.asset_ids.as_deref(),
        &Context::by(actor.id).reason(body.reason),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(loan))
}

#[utoipa::path(post, path = "/loans/{id}/reject", tag = "loans", request_body = Reason, responses((status = 200, body = Loan)))]
async fn reject_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Loan>> {
    require(&actor, &[Role::Admin], "reject loans")?;
    let mut tx = state.pool.begin().await?;
    let loan = loans::reject(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(loan))
}

/// Cancel (the requesting department or an admin) before anything is issued.
#[utoipa::path(post, path = "/loans/{id}/cancel", tag = "loans", request_body = Reason, responses((status = 200, body = Loan)))]
async fn cancel_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Loan>> {
    require(&actor, &[Role::Requester, Role::Admin], "cancel loans")?;
    let mut tx = state.pool.begin().await?;
    visible_loan(&mut tx, &actor, id).await?;
    let loan = loans::cancel(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(loan))
}

/// Issue (keeper): hand over reserved assets; partial issue allowed.
#[utoipa::path(post, path = "/loans/{id}/issue", tag = "loans", request_body = Issue, responses((status = 200, body = Loan)))]
async fn issue_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Issue>,
) -> ApiResult<Json<Loan>> {
    require(&actor, &[Role::Keeper, Role::Admin], "issue loans")?;
    let mut tx = state.pool.begin().await?;
    let loan = loans::issue(
        &mut tx,
        id,
        body.asset_ids.as_deref(),
        &Context::by(actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(loan))
}

/// Return (keeper): take assets back with their inspection; damage or loss opens a
/// compensation case.
#[utoipa::path(post, path = "/loans/{id}/return", tag = "loans", request_body = Return, responses((status = 200, body = Loan)))]
async fn return_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Return>,
) -> ApiResult<Json<Loan>> {
    require(&actor, &[Role::Keeper, Role::Admin], "take returns")?;
    let mut tx = state.pool.begin().await?;
    let loan =
        loans::return_items(&mut tx, id, body.items.as_deref(), &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok(Json(loan))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Inspect {
    pub items: Vec<Inspection>,
}

/// Inspect (keeper): assets that came back through the gate are returned pending inspection;
/// record fine or damaged (damage opens a compensation case).
#[utoipa::path(post, path = "/loans/{id}/inspect", tag = "loans", request_body = Inspect, responses((status = 200, body = Loan)))]
async fn inspect_loan(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Inspect>,
) -> ApiResult<Json<Loan>> {
    require(&actor, &[Role::Keeper, Role::Admin], "inspect returns")?;
    let mut tx = state.pool.begin().await?;
    let loan = loans::inspect(&mut tx, id, &body.items, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok(Json(loan))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CompensationQuery {
    pub status: Option<CompensationStatus>,
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/compensations", tag = "compensations", params(CompensationQuery), responses((status = 200, body = Page<Compensation>)))]
async fn list_compensations(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<CompensationQuery>,
) -> ApiResult<Json<Page<Compensation>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let department = own_department(&actor).or(q.department);
    let mut conn = state.pool.acquire().await?;
    let cases = compensations::list(&mut conn, department, q.status, paging.0, paging.1).await?;
    Ok(Json(Page::of(cases, paging)))
}

async fn visible_compensation(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: i64,
) -> ApiResult<Compensation> {
    let case = compensations::get(conn, id).await?;
    if !actor.sees_department(case.department_id) {
        return Err(ApiError::NotFound(format!("compensation case {id}")));
    }
    Ok(case)
}

#[utoipa::path(get, path = "/compensations/{id}", tag = "compensations", responses((status = 200, body = Compensation)))]
async fn get_compensation(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Compensation>> {
    Ok(Json(
        visible_compensation(&mut *state.pool.acquire().await?, &actor, id).await?,
    ))
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
    pub receipt_number: Text,
}

/// The damaged asset was repaired (keeper or admin): it is back in stock, and the case is for the cost.
#[utoipa::path(post, path = "/compensations/{id}/repair", tag = "compensations", request_body = Repair, responses((status = 200, body = Compensation)))]
async fn repair_compensation(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Repair>,
) -> ApiResult<Json<Compensation>> {
    require(&actor, &[Role::Keeper, Role::Admin], "record repairs")?;
    let mut tx = state.pool.begin().await?;
    let case = compensations::repaired(&mut tx, id, body.cost_fen, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok(Json(case))
}

#[utoipa::path(post, path = "/compensations/{id}/pay", tag = "compensations", request_body = Payment, responses((status = 200, body = Compensation)))]
async fn pay_compensation(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Payment>,
) -> ApiResult<Json<Compensation>> {
    require(&actor, &[Role::Admin], "record payments")?;
    let mut tx = state.pool.begin().await?;
    let case =
        compensations::paid(&mut tx, id, &body.receipt_number, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok(Json(case))
}

#[utoipa::path(post, path = "/compensations/{id}/waive", tag = "compensations", request_body = Reason, responses((status = 200, body = Compensation)))]
async fn waive_compensation(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Reason>,
) -> ApiResult<Json<Compensation>> {
    require(&actor, &[Role::Admin], "waive compensation")?;
    let mut tx = state.pool.begin().await?;
    let case =
        compensations::waived(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(case))
}
