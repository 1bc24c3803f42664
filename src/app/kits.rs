//! Kits (套装): named sets of category quantities and specific assets, kept by admins,
//! requested as one loan line (`kit_id`), booked part by part when the loan is approved.

use std::collections::HashMap;

use super::policy::department_filter;
use super::{App, Op, Page, Paging, Result};
use crate::auth::Actor;
use crate::db::catalogue::{self, Search};
use crate::db::kits::{self, Kit, KitOffer, NewKit};

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<Kit>> {
    app.read(actor, Op::ListKits, async |c| kits::list(c).await)
        .await
}

/// The kits by name, a page at a time, each with its parts (the admin's page).
pub async fn page(app: &App, actor: &Actor, paging: Paging) -> Result<Page<Kit>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ListKits, async |c| kits::page(c, window).await)
        .await?;
    Ok(Page::new(window, found))
}

/// Every kit by name with its parts (a short list, read whole): the page's export.
pub async fn export(app: &App, actor: &Actor) -> Result<super::Rows<Kit>> {
    let all = app
        .read(actor, Op::ListKits, async |c| kits::list(c).await)
        .await?;
    Ok(super::Rows::of(all))
}

pub async fn create(app: &App, actor: &Actor, new: NewKit) -> Result<Kit> {
    app.change(actor, Op::CreateKit, async |c| kits::create(c, &new).await)
        .await
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Kit> {
    app.read(actor, Op::GetKit, async |c| kits::get(c, id).await)
        .await
}

/// Delete a kit no loan names (one that is named: 409).
pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<()> {
    app.change(actor, Op::DeleteKit, async |c| kits::delete(c, id).await)
        .await
}

/// Per kit, how many whole kits the actor's department can borrow for the window of days:
/// the fewest any part allows (a category's free count over the part's quantity; a specific
/// asset, one if it is free).
pub async fn offers(
    app: &App,
    actor: &Actor,
    b: super::catalogue::Browse,
) -> Result<Vec<KitOffer>> {
    let department = department_filter(actor, Op::BrowseCatalogue).or(actor.department_id);
    let period = super::catalogue::window(app, &b)?;
    app.read(actor, Op::BrowseCatalogue, async |c| {
        let all = kits::list(c).await?;
        if all.is_empty() {
            return Ok::<_, crate::db::Error>(Vec::new());
        }
        let search = Search {
            period: Some(period),
            ..Default::default()
        };
        let free: HashMap<i64, i64> = catalogue::offers(c, department, &search)
            .await?
            .into_iter()
            .map(|o| (o.category_id, o.depot + o.listed))
            .collect();
        let specific: Vec<i64> = all
            .iter()
            .flat_map(|k| k.parts.iter().filter_map(|p| p.asset_id))
            .collect();
        let free_assets = kits::assets_free(c, &specific, department, period).await?;
        Ok(all
            .into_iter()
            .map(|kit| {
                let available = kit
                    .parts
                    .iter()
                    .map(|p| match (p.category_id, p.asset_id) {
                        (Some(category), _) => {
                            free.get(&category).copied().unwrap_or(0).max(0)
                                / i64::from(p.quantity.max(1))
                        }
                        (None, Some(asset)) => i64::from(free_assets.contains(&asset)),
                        (None, None) => 0,
                    })
                    .min()
                    .unwrap_or(0);
                KitOffer {
                    kit_id: kit.id,
                    name: kit.name,
                    available,
                }
            })
            .filter(|k| {
                b.text
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .is_none_or(|t| k.name.to_lowercase().contains(&t.to_lowercase()))
            })
            .collect())
    })
    .await
}
