//! Assets: register, list, read, correct, the manual lifecycle actions, relocation, the
//! timeline, EPC lookup, and a department's own assets for the virtual depot.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::policy::{authorize, department_filter, Target};
use super::{App, Error, Op, Page, Paging, Reason, Result, Visibility};
use crate::auth::Actor;
use crate::db::assets::{self, Asset, AssetChange, NewAsset, Whereabouts};
use crate::db::events::{self, Context, Event};
use crate::db::hand_ins::{self, HandIn};
use crate::domain::bounds::{Note, Text};
use crate::domain::epc;
use crate::domain::lifecycle::{AssetAction, AssetState};

/// Which assets: a state, a department that owns or holds them, a category, a zone, text.
#[derive(Debug, Default, Clone)]
pub struct AssetFilter {
    pub state: Option<AssetState>,
    pub department: Option<i64>,
    pub category: Option<i64>,
    pub zone: Option<i64>,
    /// Matches name, EPC or category name.
    pub text: Option<String>,
}

/// The database's filter for `f` as `actor` may see it.
fn filter(actor: &Actor, f: AssetFilter) -> assets::Filter {
    assets::Filter {
        state: f.state,
        department_id: f.department,
        category_id: f.category,
        zone_id: f.zone,
        text: f.text,
        visible_to: department_filter(actor, Op::ListAssets),
        owner_id: None,
    }
}

/// Assets by id; a requester sees the catalogue and their own department's.
pub async fn list(app: &App, actor: &Actor, f: AssetFilter, paging: Paging) -> Result<Page<Asset>> {
    let filter = filter(actor, f);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListAssets, async |c| {
            assets::list(c, &filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every asset [`list`] finds with `f`, in id order, in batches as they come: the list's
/// export, as filtered (the register's own export, for import elsewhere, is every asset).
pub async fn export(app: &App, actor: &Actor, f: AssetFilter) -> Result<super::Rows<Asset>> {
    let filter = filter(actor, f);
    app.rows(actor, Op::ListAssets, filter, assets::filtered_rows)
        .await
}

/// Register an asset and commission its EPC (GIAI-96 from the company prefix unless given).
pub async fn register(app: &App, actor: &Actor, new: NewAsset) -> Result<Asset> {
    let ctx = Context::by(actor.id);
    let prefix = &app.config.company_prefix;
    app.change(actor, Op::RegisterAsset, async |tx| {
        assets::register(tx, prefix, &new, &ctx).await
    })
    .await
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Asset> {
    app.find(actor, Op::GetAsset, async |c| assets::get(c, id).await)
        .await
}

/// The asset, and where it is and whose it is in words (the asset page).
pub async fn whereabouts(app: &App, actor: &Actor, id: i64) -> Result<(Asset, Whereabouts)> {
    let load = async |c: &mut PgConnection| assets::get(c, id).await;
    app.read_found(actor, Op::GetAsset, load, async |c, asset| {
        Ok::<_, Error>((asset, assets::whereabouts(c, id).await?))
    })
    .await
}

/// Correct an asset's register entry.
pub async fn update(app: &App, actor: &Actor, id: i64, change: AssetChange) -> Result<Asset> {
    let ctx = Context::by(actor.id);
    app.change(actor, Op::UpdateAsset, async |tx| {
        assets::update(tx, id, &change, &ctx).await
    })
    .await
}

/// The asset's timeline, oldest first, as far as the actor may read it.
pub async fn events(app: &App, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let load = async |c: &mut PgConnection| assets::get(c, id).await;
    app.read_found(actor, Op::AssetEvents, load, async |c, _| {
        let events = events::for_asset(c, id).await?;
        Ok::<_, Error>(Visibility::of(actor).timeline(events))
    })
    .await
}

/// The lifecycle actions a person takes on one asset directly. Reserving, issuing,
/// returning, allocating and disposing happen through orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The operation, as the policy knows it.
    pub fn op(self) -> Op {
        match self {
            ManualAction::SendToRepair => Op::SendAssetToRepair,
            ManualAction::Repair => Op::RepairAsset,
            ManualAction::MarkLost => Op::MarkAssetLost,
            ManualAction::Recover => Op::RecoverAsset,
            ManualAction::WriteOff => Op::WriteOffAsset,
            ManualAction::List => Op::ListAsset,
            ManualAction::Unlist => Op::UnlistAsset,
            ManualAction::TakeIn => Op::TakeInAsset,
        }
    }

    /// The transition, as the lifecycle table knows it.
    pub fn lifecycle(self) -> AssetAction {
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

/// Apply a manual lifecycle action; an illegal one is refused naming the asset's state.
/// Listing and unlisting are for the owning department (or an admin).
pub async fn act(
    app: &App,
    actor: &Actor,
    id: i64,
    action: ManualAction,
    input: ActionBody,
) -> Result<Asset> {
    let op = action.op();
    let ctx = Context::by(actor.id).reason(input.reason);
    let load = async |c: &mut PgConnection| assets::get(c, id).await;
    app.change_found(actor, op, load, async |tx, _| {
        match action {
            ManualAction::List | ManualAction::Unlist => {
                assets::set_listed(tx, id, action == ManualAction::List, &ctx).await?
            }
            _ => drop(events::transition(tx, id, action.lifecycle(), &ctx).await?),
        }
        match action {
            ManualAction::TakeIn => {
                assets::take_in(tx, id, input.zone_id).await?;
                // Whatever its department offered is now received.
                hand_ins::close(tx, id).await?;
            }
            ManualAction::Recover if input.zone_id.is_some() => {
                assets::put(tx, id, input.zone_id).await?
            }
            _ => {}
        }
        assets::get(tx, id).await
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Relocation {
    pub zone_id: i64,
    #[serde(default)]
    pub reason: Note,
}

/// Move an asset in depot custody to another zone (no change of state; logged).
pub async fn relocate(app: &App, actor: &Actor, id: i64, input: Relocation) -> Result<Asset> {
    let ctx = Context::by(actor.id).reason(input.reason);
    app.change(actor, Op::RelocateAsset, async |tx| {
        assets::relocate(tx, id, Some(input.zone_id), &ctx).await?;
        assets::get(tx, id).await
    })
    .await
}

/// A new tag for an asset whose tag is damaged or lost.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retag {
    /// The new tag's EPC in hex (whole bytes, 1 to 62); leave it out to have Depot
    /// commission a GIAI-96.
    #[schema(value_type = Option<String>, pattern = "^([0-9A-Fa-f]{2}){1,62}$")]
    pub epc: Option<Text>,
    /// Why (a damaged tag, a tag lost): kept in the timeline with the old and new EPC.
    #[serde(default)]
    pub reason: Note,
}

/// Re-tag an asset: the asset, its state and its orders stay; its EPC changes, and the
/// timeline records the old and the new.
pub async fn retag(app: &App, actor: &Actor, id: i64, input: Retag) -> Result<Asset> {
    let ctx = Context::by(actor.id).reason(input.reason);
    let prefix = app.config.company_prefix.clone();
    app.change(actor, Op::RetagAsset, async |tx| {
        assets::retag(tx, &prefix, id, input.epc.as_deref(), &ctx).await
    })
    .await
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

/// Decode an EPC into its tag URI, and find the asset that carries it, if the actor may see it.
pub async fn decode_epc(app: &App, actor: &Actor, bytes: &[u8]) -> Result<DecodedEpc> {
    let decoded = epc::decode(bytes);
    let epc_hex = epc::hex_upper(bytes);
    let found = app
        .read(actor, Op::DecodeEpc, async |c| {
            assets::by_epc(c, &epc_hex).await
        })
        .await?;
    let asset_id = found
        .filter(|a| authorize(actor, Op::DecodeEpc, Target::Asset(a)).is_ok())
        .map(|a| a.id);
    Ok(DecodedEpc {
        epc: epc_hex,
        scheme: decoded.scheme().into(),
        tag_uri: decoded.tag_uri(),
        pure_identity: decoded.pure_identity(),
        asset_id,
    })
}

/// Which of the department's own assets the virtual depot lists: a category, a state.
#[derive(Debug, Default, Clone, Copy)]
pub struct OwnFilter {
    pub category_id: Option<i64>,
    pub state: Option<AssetState>,
}

/// A page of the department's own assets (owned by it, not the depot's) of `filter`'s
/// category and state, listable when idle.
pub async fn own(
    app: &App,
    actor: &Actor,
    filter: OwnFilter,
    paging: Paging,
) -> Result<Page<Asset>> {
    let department = department_filter(actor, Op::VirtualDepot);
    let filter = assets::Filter {
        owner_id: department,
        category_id: filter.category_id,
        state: filter.state,
        ..Default::default()
    };
    let window = paging.window();
    let found = app
        .read(actor, Op::VirtualDepot, async |c| match department {
            // Whoever belongs to no department owns nothing.
            None => Ok((
                Vec::new(),
                crate::db::Total {
                    count: 0,
                    exact: true,
                    has_more: false,
                },
            )),
            Some(_) => assets::list(c, &filter, window).await,
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Every asset [`own`] lists with `filter`, in its order, with whether it is offered back,
/// in batches as they come: the virtual depot's export. Whoever belongs to no department
/// owns nothing.
pub async fn own_export(
    app: &App,
    actor: &Actor,
    filter: OwnFilter,
) -> Result<super::Rows<assets::OwnAsset>> {
    let filter = assets::OwnFilter {
        owner_id: department_filter(actor, Op::VirtualDepot),
        category_id: filter.category_id,
        state: filter.state,
    };
    app.rows(actor, Op::VirtualDepot, filter, assets::own_rows)
        .await
}

/// A department offers an asset of its own back to the depot (上缴); the keeper takes it in
/// when it arrives (`take_in`), which closes the offer. Only an allocated asset — not listed
/// in the virtual depot, not lent — can be offered, and only once.
pub async fn offer_hand_in(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<HandIn> {
    let ctx = Context::by(actor.id).reason(input.reason.clone());
    let load = async |c: &mut PgConnection| assets::get(c, id).await;
    app.change_found(actor, Op::HandInAsset, load, async |tx, asset| {
        let department = match (asset.state, asset.owner_department_id) {
            (AssetState::Allocated, Some(department)) => department,
            (AssetState::Listed, _) => {
                return Err(Error::Conflict(format!(
                    "asset {id} is listed in the virtual depot: withdraw it from there first"
                )))
            }
            (state, _) => {
                return Err(Error::Conflict(format!(
                    "asset {id} is {state}: only a department's allocated asset can be handed in"
                )))
            }
        };
        hand_ins::offer(tx, id, department, actor.id, &input.reason).await?;
        events::record_asset_note(tx, id, "offer_hand_in", &ctx).await?;
        hand_ins::get(tx, id)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("hand-in of asset {id} not stored")))
    })
    .await
}

/// The department withdraws its offer before the depot took the asset in.
pub async fn withdraw_hand_in(app: &App, actor: &Actor, id: i64, input: Reason) -> Result<()> {
    let ctx = Context::by(actor.id).reason(input.reason);
    let load = async |c: &mut PgConnection| assets::get(c, id).await;
    app.change_found(actor, Op::WithdrawHandIn, load, async |tx, _| {
        if !hand_ins::close(tx, id).await? {
            return Err(Error::Conflict(format!(
                "asset {id} is not offered to the depot"
            )));
        }
        events::record_asset_note(tx, id, "withdraw_hand_in", &ctx).await?;
        Ok(())
    })
    .await
}

/// Of `assets`, those offered back to the depot and not taken in yet (a department: of its
/// own offers): what a page of assets marks as offered, however many offers there are.
pub async fn offered(app: &App, actor: &Actor, assets: &[i64]) -> Result<HashSet<i64>> {
    let department = department_filter(actor, Op::ListHandIns);
    app.read(actor, Op::ListHandIns, async |c| {
        hand_ins::offered_among(c, department, assets).await
    })
    .await
}

/// The open offer of asset `id` (a department: of its own offers only), for the keeper to
/// confirm taking it in: which asset, from which department.
pub async fn hand_in(app: &App, actor: &Actor, id: i64) -> Result<HandIn> {
    let department = department_filter(actor, Op::ListHandIns);
    app.read(actor, Op::ListHandIns, async |c| {
        hand_ins::get(c, id)
            .await?
            .filter(|h| department.is_none_or(|d| d == h.department_id))
            .ok_or_else(|| Error::Conflict(format!("asset {id} is not offered to the depot")))
    })
    .await
}

/// The assets offered back to the depot, oldest first, a page at a time (the keeper's
/// desk, the API); a department's own offers only.
pub async fn hand_ins(app: &App, actor: &Actor, paging: Paging) -> Result<Page<HandIn>> {
    let department = department_filter(actor, Op::ListHandIns);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListHandIns, async |c| {
            hand_ins::list_page(c, department, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}
