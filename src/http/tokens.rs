//! API tokens: list them and revoke them. Tokens are made by `depot token create` (they
//! expire, by default after `token_days`); a user's tokens are revoked when their password
//! changes or they are deactivated.

use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, AppState, Json, Page, Paging, Path, Query};
use crate::auth::{Actor, Role};
use crate::db::credentials::{self, ApiToken};
use crate::domain::bounds::PageNo;

pub fn router() -> OpenApiRouter<AppState> {
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
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// API tokens, newest first: one's own, or (admins and auditors) everyone's.
#[utoipa::path(get, path = "/tokens", tag = "session", params(TokenQuery), responses((status = 200, body = Page<ApiToken>)))]
async fn list_tokens(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let user = if actor.is(&[Role::Admin, Role::Auditor]) {
        q.user
    } else {
        Some(actor.id)
    };
    let mut conn = state.pool.acquire().await?;
    let tokens = credentials::tokens(&mut conn, user, paging.0, paging.1).await?;
    Ok(Json(Page::of(tokens, paging)))
}

/// Revoke an API token at once: one's own, or (admins) anyone's. Others' tokens answer 404.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "session", responses((status = 200, body = ApiToken), (status = 404, body = super::error::ErrorBody)))]
async fn revoke_token(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ApiToken>> {
    let owner = (!actor.is(&[Role::Admin])).then_some(actor.id);
    Ok(Json(
        credentials::revoke_token(&mut *state.pool.acquire().await?, id, owner).await?,
    ))
}
