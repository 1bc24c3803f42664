//! Notifications and time limits over HTTP: one's own inbox (another's notification is
//! answered 404), the limits in force, and the work past them (a requester: their
//! department's).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::deadlines::{self, OverdueWork};
use crate::app::notices::{self, InboxFilter, Marked, Notification, Unread};
use crate::auth::Actor;
use crate::domain::bounds::PageNo;
use crate::domain::deadlines::{Acts, Limit};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(count_unread_notifications))
        .routes(routes!(mark_all_notifications_read))
        .routes(routes!(mark_notification_read))
        .routes(routes!(list_deadlines))
        .routes(routes!(list_overdue_work))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only those not yet read.
    pub unread: Option<bool>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// One's own notifications, newest first, each in English and 中文.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(InboxQuery), responses((status = 200, body = Page<Notification>)))]
async fn list_notifications(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Json<Page<Notification>>> {
    let filter = InboxFilter {
        unread: q.unread.unwrap_or(false),
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(notices::inbox(&app, &actor, filter, paging).await?))
}

/// How many of one's notifications are unread (counted up to 100).
#[utoipa::path(get, path = "/notifications/unread", tag = "notifications", responses((status = 200, body = Unread)))]
async fn count_unread_notifications(
    actor: Actor,
    State(app): State<App>,
) -> ApiResult<Json<Unread>> {
    Ok(Json(notices::unread(&app, &actor).await?))
}

/// Mark all of one's notifications read.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications", responses((status = 200, body = Marked)))]
async fn mark_all_notifications_read(
    actor: Actor,
    State(app): State<App>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(notices::mark_all_read(&app, &actor).await?))
}

/// Mark one of one's notifications read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", responses((status = 204)))]
async fn mark_notification_read(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    notices::mark_read(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The time limits per order status (限时办结), in force.
#[utoipa::path(get, path = "/deadlines", tag = "deadlines", responses((status = 200, body = Vec<Limit>)))]
async fn list_deadlines(actor: Actor, State(app): State<App>) -> ApiResult<Json<Vec<Limit>>> {
    Ok(Json(deadlines::limits(&app, &actor)?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverdueQuery {
    /// Only the work of those who act so: admin, keeper or department.
    pub acts: Option<Acts>,
}

/// Paperwork past its time limit, most late first (at most 200 per limit), with who must
/// act; a requester sees their department's.
#[utoipa::path(get, path = "/deadlines/overdue", tag = "deadlines", params(OverdueQuery), responses((status = 200, body = Vec<OverdueWork>)))]
async fn list_overdue_work(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<OverdueQuery>,
) -> ApiResult<Json<Vec<OverdueWork>>> {
    Ok(Json(deadlines::overdue(&app, &actor, q.acts).await?))
}
