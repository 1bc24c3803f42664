//! Assets: register, list, read, change, the manual lifecycle actions, and the timeline.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiError, ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::assets::{
    self, ActionBody, AssetFilter, DecodedEpc, ManualAction, Relocation, Retag,
};
use crate::app::tags::TagWritten;
use crate::app::Reason;
use crate::auth::Actor;
use crate::db::assets::{Asset, AssetChange, NewAsset};
use crate::db::events::Event;
use crate::db::hand_ins::HandIn;
use crate::domain::bounds::{PageNo, Text};
use crate::domain::epc;
use crate::domain::lifecycle::AssetState;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_assets, register_asset))
        .routes(routes!(get_asset, update_asset))
        .routes(routes!(asset_events))
        .routes(routes!(send_asset_to_repair))
        .routes(routes!(repair_asset))
        .routes(routes!(mark_asset_lost))
        .routes(routes!(recover_asset))
        .routes(routes!(write_off_asset))
        .routes(routes!(list_asset))
        .routes(routes!(unlist_asset))
        .routes(routes!(take_in_asset))
        .routes(routes!(hand_in_asset))
        .routes(routes!(withdraw_hand_in))
        .routes(routes!(list_hand_ins))
        .routes(routes!(relocate_asset))
        .routes(routes!(retag_asset))
        .routes(routes!(write_asset_tag))
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
    #[param(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub q: Option<Text>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// Assets, filtered and paged. Requesters see the catalogue and their own department's assets.
#[utoipa::path(get, path = "/assets", tag = "assets", params(AssetQuery), responses((status = 200, body = Page<Asset>)))]
async fn list_assets(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<AssetQuery>,
) -> ApiResult<Json<Page<Asset>>> {
    let filter = AssetFilter {
        state: q.state,
        department: q.department,
        category: q.category,
        zone: q.zone,
        text: q.q.map(String::from),
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(assets::list(&app, &actor, filter, paging).await?))
}

/// Register an asset and commission its EPC (GIAI-96 from the company prefix unless given).
#[utoipa::path(post, path = "/assets", tag = "assets", request_body = NewAsset, responses((status = 201, body = Asset)))]
async fn register_asset(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewAsset>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    let asset = assets::register(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(asset)))
}

#[utoipa::path(get, path = "/assets/{id}", tag = "assets", responses((status = 200, body = Asset), (status = 404, body = ErrorBody)))]
async fn get_asset(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::get(&app, &actor, id).await?))
}

/// Correct an asset's register entry. Its state changes only through actions and orders.
#[utoipa::path(patch, path = "/assets/{id}", tag = "assets", request_body = AssetChange, responses((status = 200, body = Asset)))]
async fn update_asset(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<AssetChange>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::update(&app, &actor, id, body).await?))
}

/// The asset's timeline: every state change and note, oldest first. A requester reads other
/// departments' business in it as plain stock movements.
#[utoipa::path(get, path = "/assets/{id}/events", tag = "assets", responses((status = 200, body = Vec<Event>)))]
async fn asset_events(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(assets::events(&app, &actor, id).await?))
}

/// One operation per manual lifecycle action: `POST /assets/{id}/{action}`. 409 says what
/// state the asset is in and what is allowed.
macro_rules! manual_actions {
    ($($handler:ident: $path:literal => $action:ident, $doc:literal;)+) => {$(
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "assets", request_body = Option<ActionBody>,
            responses((status = 200, body = Asset), (status = 409, body = ErrorBody)))]
        async fn $handler(
            actor: Actor,
            State(app): State<App>,
            Path(id): Path<i64>,
            OptionalJson(body): OptionalJson<ActionBody>,
        ) -> ApiResult<Json<Asset>> {
            let asset = assets::act(&app, &actor, id, ManualAction::$action, body).await?;
            Ok(Json(asset))
        }
    )+};
}

manual_actions! {
    send_asset_to_repair: "/assets/{id}/send_to_repair" => SendToRepair, "Send an asset to repair (admin or keeper).";
    repair_asset: "/assets/{id}/repair" => Repair, "An asset is repaired and back in stock (admin or keeper).";
    mark_asset_lost: "/assets/{id}/mark_lost" => MarkLost, "Mark an asset lost (admin or keeper).";
    recover_asset: "/assets/{id}/recover" => Recover, "A lost asset is found again, at `zone_id` if given (admin or keeper).";
    write_off_asset: "/assets/{id}/write_off" => WriteOff, "Write an asset off (admin).";
    list_asset: "/assets/{id}/list" => List, "List a department's idle asset in the virtual depot (the owning department or an admin).";
    unlist_asset: "/assets/{id}/unlist" => Unlist, "Withdraw an asset from the virtual depot (the owning department or an admin).";
    take_in_asset: "/assets/{id}/take_in" => TakeIn, "The depot takes a department's asset in, at `zone_id` if given (admin or keeper).";
}

/// A department offers an allocated asset of its own back to the depot (上缴); the keeper
/// takes it in when it arrives (`take_in`). 409 if it is listed, lent or already offered.
#[utoipa::path(post, path = "/assets/{id}/hand_in", tag = "assets", request_body = Option<Reason>,
    responses((status = 201, body = HandIn), (status = 409, body = ErrorBody)))]
async fn hand_in_asset(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<(StatusCode, Json<HandIn>)> {
    let offered = assets::offer_hand_in(&app, &actor, id, body).await?;
    Ok((StatusCode::CREATED, Json(offered)))
}

/// Withdraw a hand-in the depot has not taken in yet. 409 if there is none.
#[utoipa::path(post, path = "/assets/{id}/withdraw_hand_in", tag = "assets", request_body = Option<Reason>,
    responses((status = 204), (status = 409, body = ErrorBody)))]
async fn withdraw_hand_in(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<StatusCode> {
    assets::withdraw_hand_in(&app, &actor, id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HandInQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// The assets offered back to the depot, oldest first, a page at a time (a department: its
/// own). Paged by page number (the list is in the order they were offered).
#[utoipa::path(get, path = "/hand_ins", tag = "assets", params(HandInQuery), responses((status = 200, body = Page<HandIn>)))]
async fn list_hand_ins(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<HandInQuery>,
) -> ApiResult<Json<Page<HandIn>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: None,
    };
    Ok(Json(assets::hand_ins(&app, &actor, paging).await?))
}

/// Move an asset in depot custody to another zone (no change of state; logged).
#[utoipa::path(post, path = "/assets/{id}/relocate", tag = "assets", request_body = Relocation, responses((status = 200, body = Asset)))]
async fn relocate_asset(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Relocation>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::relocate(&app, &actor, id, body).await?))
}

/// Re-tag an asset whose tag is damaged or lost (admin or keeper): its EPC changes (to the
/// one given, or a new GIAI-96), the asset and its orders stay, and the timeline records
/// the old and the new EPC. 409: another asset carries that EPC, or the asset is disposed.
#[utoipa::path(post, path = "/assets/{id}/retag", tag = "assets", request_body = Retag, responses((status = 200, body = Asset), (status = 409, body = ErrorBody)))]
async fn retag_asset(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Retag>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::retag(&app, &actor, id, body).await?))
}

/// Write the asset's EPC to the one new tag on the keeper's desk reader (`tag_writer`), then
/// read it back (admin or keeper). 409: no tag, several, a tag carrying another asset's EPC,
/// or one that would not take the write; 503: the writer cannot be reached.
#[utoipa::path(post, path = "/assets/{id}/write_tag", tag = "assets", responses((status = 200, body = TagWritten), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn write_asset_tag(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<TagWritten>> {
    Ok(Json(crate::app::tags::write(&app, &actor, id).await?))
}

/// Decode an EPC (hex) into its tag URI, and find the asset that carries it.
#[utoipa::path(get, path = "/epc/{hex}", tag = "assets",
    params(("hex" = String, Path, description = "The EPC: 1 to 62 bytes in hex.", pattern = "^([0-9A-Fa-f]{2}){1,62}$")),
    responses((status = 200, body = DecodedEpc), (status = 400, body = ErrorBody)))]
async fn decode_epc(
    actor: Actor,
    State(app): State<App>,
    Path(hex): Path<String>,
) -> ApiResult<Json<DecodedEpc>> {
    let bytes = epc::parse_hex(&hex)
        .filter(|b| !b.is_empty() && hex.trim() == hex)
        .ok_or_else(|| ApiError::BadRequest(format!("{hex:?} is not an EPC in hex")))?;
    Ok(Json(assets::decode_epc(&app, &actor, &bytes).await?))
}
