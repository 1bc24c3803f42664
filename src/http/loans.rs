//! Loans and compensation cases over HTTP. A requester sees and acts only on their own
//! department's; other departments' are answered 404, never 403, so nothing leaks.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::loans::{self, Inspect, Issue, LoanFilter, Payment, Repair, Return, SignOff};
use crate::app::{Approval, Reason};
use crate::auth::Actor;
use crate::db::compensations::Compensation;
use crate::db::events::Event;
use crate::db::loans::{Loan, NewLoan};
use crate::domain::bounds::{PageNo, Text};
use crate::domain::lifecycle::orders::CompensationStatus;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_loans, request_loan))
        .routes(routes!(get_loan))
        .routes(routes!(loan_events))
        .routes(routes!(approve_loan))
        .routes(routes!(reject_loan))
        .routes(routes!(sign_off_loan))
        .routes(routes!(refuse_loan))
        .routes(routes!(list_sign_offs))
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LoanQuery {
    /// A loan status, or `overdue`.
    #[param(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub status: Option<Text>,
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

#[utoipa::path(get, path = "/loans", tag = "loans", params(LoanQuery), responses((status = 200, body = Page<Loan>)))]
async fn list_loans(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<LoanQuery>,
) -> ApiResult<Json<Page<Loan>>> {
    let filter = LoanFilter {
        status: q.status.map(String::from),
        department: q.department,
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(loans::list(&app, &actor, filter, paging).await?))
}

/// Request a loan: lines by category and quantity, or specific assets; dates; purpose.
#[utoipa::path(post, path = "/loans", tag = "loans", request_body = NewLoan, responses((status = 201, body = Loan)))]
async fn request_loan(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewLoan>,
) -> ApiResult<(StatusCode, Json<Loan>)> {
    let loan = loans::request(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(loan)))
}

#[utoipa::path(get, path = "/loans/{id}", tag = "loans", responses((status = 200, body = Loan), (status = 404, body = ErrorBody)))]
async fn get_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::get(&app, &actor, id).await?))
}

/// The loan's history: its status changes and what happened to its assets.
#[utoipa::path(get, path = "/loans/{id}/events", tag = "loans", responses((status = 200, body = Vec<Event>)))]
async fn loan_events(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(loans::events(&app, &actor, id).await?))
}

/// Approve (admin): reserve assets for the loan's dates. 409 if they are not available.
#[utoipa::path(post, path = "/loans/{id}/approve", tag = "loans", request_body = Option<Approval>,
    responses((status = 200, body = Loan), (status = 409, body = ErrorBody)))]
async fn approve_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Approval>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::approve(&app, &actor, id, body).await?))
}

#[utoipa::path(post, path = "/loans/{id}/reject", tag = "loans", request_body = crate::app::Reasoned, responses((status = 200, body = Loan)))]
async fn reject_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::reject(&app, &actor, id, body).await?))
}

/// Sign off (finance approver) a loan the approval chain sent to finance: it is approved.
/// 409 unless it awaits finance.
#[utoipa::path(post, path = "/loans/{id}/sign-off", tag = "loans", request_body = Option<Reason>,
    responses((status = 200, body = Loan), (status = 409, body = ErrorBody)))]
async fn sign_off_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::sign_off(&app, &actor, id, body).await?))
}

/// Refuse (finance approver) a loan awaiting finance, with a reason: it is rejected and its
/// reserved assets go back.
#[utoipa::path(post, path = "/loans/{id}/refuse", tag = "loans", request_body = crate::app::Reasoned,
    responses((status = 200, body = Loan), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn refuse_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::refuse(&app, &actor, id, body).await?))
}

/// The loans waiting for the finance approver, oldest first, with their value and days: a
/// page of them (`page`, `per_page`; the first 50 by default).
#[utoipa::path(get, path = "/sign-offs", tag = "loans", params(Paging), responses((status = 200, body = Vec<SignOff>)))]
async fn list_sign_offs(
    actor: Actor,
    State(app): State<App>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Vec<SignOff>>> {
    Ok(Json(loans::sign_offs(&app, &actor, paging).await?.items))
}

/// Cancel (the requesting department or an admin) before anything is issued.
#[utoipa::path(post, path = "/loans/{id}/cancel", tag = "loans", request_body = Option<Reason>, responses((status = 200, body = Loan)))]
async fn cancel_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::cancel(&app, &actor, id, body).await?))
}

/// Issue (keeper): hand over reserved assets; partial issue allowed.
#[utoipa::path(post, path = "/loans/{id}/issue", tag = "loans", request_body = Option<super::shapes::IssueBody>, responses((status = 200, body = Loan)))]
async fn issue_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Issue>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::issue(&app, &actor, id, body).await?))
}

/// Return (keeper): take assets back with their inspection; damage or loss opens a
/// compensation case.
#[utoipa::path(post, path = "/loans/{id}/return", tag = "loans", request_body = Option<Return>, responses((status = 200, body = Loan)))]
async fn return_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Return>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::take_back(&app, &actor, id, body).await?))
}

/// Inspect (keeper): assets that came back through the gate are returned pending inspection;
/// record fine or damaged (damage opens a compensation case).
#[utoipa::path(post, path = "/loans/{id}/inspect", tag = "loans", request_body = Inspect, responses((status = 200, body = Loan)))]
async fn inspect_loan(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Inspect>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(loans::inspect(&app, &actor, id, body).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CompensationQuery {
    pub status: Option<CompensationStatus>,
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

#[utoipa::path(get, path = "/compensations", tag = "compensations", params(CompensationQuery), responses((status = 200, body = Page<Compensation>)))]
async fn list_compensations(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<CompensationQuery>,
) -> ApiResult<Json<Page<Compensation>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(
        loans::compensations(&app, &actor, q.status, q.department, paging).await?,
    ))
}

#[utoipa::path(get, path = "/compensations/{id}", tag = "compensations", responses((status = 200, body = Compensation)))]
async fn get_compensation(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Compensation>> {
    Ok(Json(loans::compensation(&app, &actor, id).await?))
}

/// The damaged asset was repaired (keeper or admin): it is back in stock, and the case is for the cost.
#[utoipa::path(post, path = "/compensations/{id}/repair", tag = "compensations", request_body = Repair, responses((status = 200, body = Compensation)))]
async fn repair_compensation(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Repair>,
) -> ApiResult<Json<Compensation>> {
    Ok(Json(loans::repaired(&app, &actor, id, body).await?))
}

#[utoipa::path(post, path = "/compensations/{id}/pay", tag = "compensations", request_body = Payment, responses((status = 200, body = Compensation)))]
async fn pay_compensation(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Payment>,
) -> ApiResult<Json<Compensation>> {
    Ok(Json(loans::paid(&app, &actor, id, body).await?))
}

#[utoipa::path(post, path = "/compensations/{id}/waive", tag = "compensations", request_body = crate::app::Reasoned, responses((status = 200, body = Compensation)))]
async fn waive_compensation(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Reason>,
) -> ApiResult<Json<Compensation>> {
    Ok(Json(loans::waived(&app, &actor, id, body).await?))
}
