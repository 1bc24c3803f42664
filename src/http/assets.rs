//! Assets: register, list, read, change, the manual lifecycle actions, and the timeline.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    require, ApiError, ApiResult, AppState, Json, OptionalJson, Page, Paging, Path, Query,
};
use crate::auth::{Actor, Role};
use crate::db::assets::{self, Asset, NewAsset};
use crate::db::events::{self, Context, Event};
use crate::domain::bounds::{Day, Fen, Note, PageNo, Text};
use crate::domain::epc;
use crate::domain::lifecycle::{AssetAction, AssetState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets, register_asset))
        .routes(routes!(get_asset, update_asset))
        .routes(routes!(asset_events))
        .routes(routes!(asset_action))
        .routes(routes!(relocate_asset))
        .routes(routes!(decode_epc))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AssetQuery {
    pub state: Option<AssetState>,
    /// Owned or held by this department.
    pub department: Option<i64>,
    pub category: Option<i64>,
    pub zone: Option<i64>,
    /// Matches name, EPC or category name.
    #[param(value_type = Option<String>)]
    pub q: Option<Text>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// Find an asset the actor may see, or answer 404 (a requester never learns of other
/// departments' assets).
pub async fn visible_asset(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: i64,
) -> ApiResult<Asset> {
    let asset = assets::get(conn, id).await?;
    if actor.role == Role::Requester {
        let catalogue = matches!(asset.state, AssetState::InStock | AssetState::Listed);
        let own =
            [asset.owner_department_id, asset.holder_department_id].contains(&actor.department_id);
        if !catalogue && !own {
            return Err(ApiError::NotFound(format!("asset {id}")));
        }
    }
    Ok(asset)
}

/// Assets, filtered and paged. Requesters see the catalogue and their own department's assets.
#[utoipa::path(get, path = "/assets", tag = "assets", params(AssetQuery), responses((status = 200, body = Page<Asset>)))]
async fn list_assets(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<AssetQuery>,
) -> ApiResult<Json<Page<Asset>>> {
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let filter = assets::Filter {
        state: q.state,
        department_id: q.department,
        category_id: q.category,
        zone_id: q.zone,
        text: q.q.map(String::from),
        visible_to: (actor.role == Role::Requester).then(|| actor.department_id.unwrap_or(-1)),
    };
    let (items, total) =
        assets::list(&mut *state.pool.acquire().await?, &filter, page, per_page).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// Register an asset and commission its EPC (GIAI-96 from the company prefix unless given).
#[utoipa::path(post, path = "/assets", tag = "assets", request_body = NewAsset, responses((status = 201, body = Asset)))]
async fn register_asset(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewAsset>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    require(&actor, &[Role::Admin, Role::Keeper], "register assets")?;
    let mut tx = state.pool.begin().await?;
    let asset = assets::register(
        &mut tx,
        &state.config.company_prefix,
        &body,
        &Context::by(actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(asset)))
}

#[utoipa::path(get, path = "/assets/{id}", tag = "assets", responses((status = 200, body = Asset), (status = 404, body = super::error::ErrorBody)))]
async fn get_asset(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(
        visible_asset(&mut *state.pool.acquire().await?, &actor, id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetChange {
    pub name: Option<Text>,
    pub category_id: Option<i64>,
    pub original_value_fen: Option<Fen>,
    pub acquired_on: Option<Day>,
    pub notes: Option<Note>,
}

/// Correct an asset's register entry. Its state changes only through actions and orders.
#[utoipa::path(patch, path = "/assets/{id}", tag = "assets", request_body = AssetChange, responses((status = 200, body = Asset)))]
async fn update_asset(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<AssetChange>,
) -> ApiResult<Json<Asset>> {
    require(&actor, &[Role::Admin, Role::Keeper], "change assets")?;
    let mut tx = state.pool.begin().await?;
    let done = sqlx::query(
        "update assets set name = coalesce($2, name), category_id = coalesce($3, category_id),
            original_value_fen = coalesce($4, original_value_fen), acquired_on = coalesce($5, acquired_on),
            notes = coalesce($6, notes), updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(&body.name)
    .bind(body.category_id)
    .bind(body.original_value_fen)
    .bind(body.acquired_on)
    .bind(&body.notes)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound(format!("asset {id}")));
    }
    let mut ctx = Context::by(actor.id);
    ctx.details = serde_json::to_value(ChangeNote::from(&body)).unwrap_or_default();
    events::record_asset_note(&mut tx, id, "edit", &ctx).await?;
    let asset = assets::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(asset))
}

#[derive(Serialize)]
struct ChangeNote {
    name: Option<Text>,
    category_id: Option<i64>,
    original_value_fen: Option<Fen>,
    acquired_on: Option<Day>,
}

impl From<&AssetChange> for ChangeNote {
    fn from(c: &AssetChange) -> Self {
        ChangeNote {
            name: c.name.clone(),
            category_id: c.category_id,
            original_value_fen: c.original_value_fen,
            acquired_on: c.acquired_on,
        }
    }
}

/// The asset's timeline: every state change and note, oldest first.
#[utoipa::path(get, path = "/assets/{id}/events", tag = "assets", responses((status = 200, body = Vec<Event>)))]
async fn asset_events(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    let mut conn = state.pool.acquire().await?;
    visible_asset(&mut conn, &actor, id).await?;
    Ok(Json(events::for_asset(&mut conn, id).await?))
}

/// The lifecycle actions a person takes on one asset directly. Reserving, issuing,
/// returning, allocating and disposing happen through orders.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManualAction {
    SendToRepair,
    Repair,
    MarkLost,
    Recover,
    WriteOff,
    List,
    Unlist,
    TakeIn,
}

impl ManualAction {
    fn lifecycle(self) -> AssetAction {
        match self {
            ManualAction::SendToRepair => AssetAction::SendToRepair,
            ManualAction::Repair => AssetAction::Repair,
            ManualAction::MarkLost => AssetAction::MarkLost,
            ManualAction::Recover => AssetAction::Recover,
            ManualAction::WriteOff => AssetAction::WriteOff,
            ManualAction::List => AssetAction::List,
            ManualAction::Unlist => AssetAction::Unlist,
            ManualAction::TakeIn => AssetAction::TakeIn,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(default)]
    pub reason: Note,
    /// Where the asset now is (take_in, recover).
    pub zone_id: Option<i64>,
}

/// Apply a manual lifecycle action. 409 says what state the asset is in and what is allowed.
#[utoipa::path(post, path = "/assets/{id}/{action}", tag = "assets", request_body = ActionBody,
    params(("id" = i64, Path), ("action" = ManualAction, Path)),
    responses((status = 200, body = Asset), (status = 409, body = super::error::ErrorBody)))]
async fn asset_action(
    actor: Actor,
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, ManualAction)>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> ApiResult<Json<Asset>> {
    let mut tx = state.pool.begin().await?;
    let asset = visible_asset(&mut tx, &actor, id).await?;
    match action {
        ManualAction::List | ManualAction::Unlist => {
            let own = actor.role == Role::Requester
                && asset.owner_department_id.is_some()
                && asset.owner_department_id == actor.department_id;
            if !own && actor.role != Role::Admin {
                return Err(ApiError::forbidden(
                    "only the owning department or an admin may list or unlist an asset",
                ));
            }
        }
        ManualAction::WriteOff => require(&actor, &[Role::Admin], "write off assets")?,
        _ => require(
            &actor,
            &[Role::Admin, Role::Keeper],
            "change an asset's state",
        )?,
    }
    let ctx = Context::by(actor.id).reason(body.reason.clone());
    match action {
        ManualAction::List | ManualAction::Unlist => {
            assets::set_listed(&mut tx, id, matches!(action, ManualAction::List), &ctx).await?;
        }
        _ => {
            events::transition(&mut tx, id, action.lifecycle(), &ctx).await?;
        }
    }
    match action {
        ManualAction::TakeIn => {
            sqlx::query("update assets set virtual_depot = false, holder_department_id = null, owner_department_id = null, zone_id = coalesce($2, zone_id) where id = $1")
                .bind(id)
                .bind(body.zone_id)
                .execute(&mut *tx)
                .await?;
        }
        ManualAction::Recover if body.zone_id.is_some() => {
            sqlx::query("update assets set zone_id = $2 where id = $1")
                .bind(id)
                .bind(body.zone_id)
                .execute(&mut *tx)
                .await?;
        }
        _ => {}
    }
    let asset = assets::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(asset))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Relocation {
    pub zone_id: i64,
    #[serde(default)]
    pub reason: Note,
}

/// Move an asset in depot custody to another zone (no change of state; logged).
#[utoipa::path(post, path = "/assets/{id}/relocate", tag = "assets", request_body = Relocation, responses((status = 200, body = Asset)))]
async fn relocate_asset(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Relocation>,
) -> ApiResult<Json<Asset>> {
    require(&actor, &[Role::Admin, Role::Keeper], "relocate assets")?;
    let mut tx = state.pool.begin().await?;
    let (st, from_zone): (AssetState, Option<i64>) =
        sqlx::query_as("select state, zone_id from assets where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("asset {id}")))?;
    if !matches!(
        st,
        AssetState::InStock
            | AssetState::Reserved
            | AssetState::InRepair
            | AssetState::PendingDisposal
    ) {
        return Err(ApiError::Conflict(format!(
            "asset {id} is {st}: only assets in depot custody can be relocated"
        )));
    }
    sqlx::query("update assets set zone_id = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(body.zone_id)
        .execute(&mut *tx)
        .await?;
    let mut ctx = Context::by(actor.id).reason(body.reason);
    ctx.details = serde_json::json!({ "from_zone_id": from_zone, "to_zone_id": body.zone_id });
    events::record_asset_note(&mut tx, id, "relocate", &ctx).await?;
    let asset = assets::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(asset))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecodedEpc {
    pub epc: String,
    /// giai-96, grai-96, sgtin-96 or raw
    pub scheme: String,
    pub tag_uri: String,
    pub pure_identity: Option<String>,
    /// The registered asset carrying this EPC, if any (and visible to you).
    pub asset_id: Option<i64>,
}

/// Decode an EPC (hex) into its tag URI, and find the asset that carries it.
#[utoipa::path(get, path = "/epc/{hex}", tag = "assets", responses((status = 200, body = DecodedEpc), (status = 400, body = super::error::ErrorBody)))]
async fn decode_epc(
    actor: Actor,
    State(state): State<AppState>,
    Path(hex): Path<String>,
) -> ApiResult<Json<DecodedEpc>> {
    let bytes = epc::parse_hex(&hex)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("{hex:?} is not an EPC in hex")))?;
    let decoded = epc::decode(&bytes);
    let epc_hex = epc::hex_upper(&bytes);
    let mut conn = state.pool.acquire().await?;
    let asset_id = match assets::by_epc(&mut conn, &epc_hex).await? {
        Some(a) => visible_asset(&mut conn, &actor, a.id)
            .await
            .ok()
            .map(|a| a.id),
        None => None,
    };
    Ok(Json(DecodedEpc {
        epc: epc_hex,
        scheme: decoded.scheme().into(),
        tag_uri: decoded.tag_uri(),
        pure_identity: decoded.pure_identity(),
        asset_id,
    }))
}
