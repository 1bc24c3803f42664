//! API tokens: list them and revoke them. Tokens are made by `depot token create` (they
//! expire, by default after `token_days`); a user's tokens are revoked when their password
//! changes or they are deactivated.

use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::session;
use crate::auth::Actor;
use crate::db::credentials::ApiToken;
use crate::domain::bounds::PageNo;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// Admins and auditors: one user's tokens (default: everyone's). Others always see
    /// only their own.
    pub user: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// API tokens, newest first: one's own, or (admins and auditors) everyone's.
#[utoipa::path(get, path = "/tokens", tag = "session", params(TokenQuery), responses((status = 200, body = Page<ApiToken>)))]
async fn list_tokens(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(
        session::list_tokens(&app, &actor, q.user, paging).await?,
    ))
}

/// Revoke an API token at once: one's own, or (admins) anyone's. Others' tokens answer 404.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "session", responses((status = 200, body = ApiToken), (status = 404, body = super::error::ErrorBody)))]
async fn revoke_token(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(session::revoke_token(&app, &actor, id).await?))
}
