//! The published figures over HTTP, for the admin and the auditor: by department, for a
//! month or a period of days (the same as the reports page and its CSV).

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, Query};
use crate::app::reports::{self, DepreciationReport, Figures, MonthQuery, PeriodQuery};
use crate::auth::Actor;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(read_figures))
        .routes(routes!(read_depreciation))
}

/// The figures the seeds publish, by department: loan batches and assets lent (and their
/// days), transfers, hand-ins (上缴), disposals, proceeds remitted, market rentals' cost and
/// what lending saved, for a month (`?month=2030-03`) or the days `?from=&to=` (both
/// included, at most 366; neither: this month). 422 for a bad period.
#[utoipa::path(get, path = "/reports/figures", tag = "reports", params(PeriodQuery),
    responses((status = 200, body = Figures), (status = 422, body = ErrorBody)))]
async fn read_figures(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<Figures>> {
    Ok(Json(reports::figures(&app, &actor, &q).await?))
}

/// The register's depreciation in a month (`?month=2030-03`; none: this month), by
/// category: the assets on the books at its end, the month's charge, the accumulated
/// depreciation and the net value (straight line, no residual value, from the month after
/// acquisition, over the asset's useful life or its category's). A department sees the
/// assets it owns or holds. 422 for a bad month.
#[utoipa::path(get, path = "/reports/depreciation", tag = "reports", params(MonthQuery),
    responses((status = 200, body = DepreciationReport), (status = 422, body = ErrorBody)))]
async fn read_depreciation(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<DepreciationReport>> {
    Ok(Json(reports::depreciation(&app, &actor, &q).await?))
}
