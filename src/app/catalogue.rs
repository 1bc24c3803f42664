//! Places and kinds (warehouses, their zones, asset categories), and the catalogue: what a
//! department can borrow for its dates.

use chrono::NaiveDate;

use super::policy::department_filter;
use super::{App, Error, Op, Page, Paging, Result};
use crate::auth::Actor;
use crate::db::catalogue::{self, Listings, Offer, Search};
use crate::db::people::{self, Department, UserListing};
use crate::db::places::{
    self, Category, CategoryChange, NewCategory, NewWarehouse, NewZone, Warehouse, WarehouseChange,
    Zone, ZoneChange,
};
use crate::domain::bounds::Day;

pub async fn warehouses(app: &App, actor: &Actor) -> Result<Vec<Warehouse>> {
    app.read(actor, Op::ListWarehouses, async |c| {
        places::warehouses(c).await
    })
    .await
}

pub async fn create_warehouse(app: &App, actor: &Actor, new: NewWarehouse) -> Result<Warehouse> {
    app.change(actor, Op::CreateWarehouse, async |c| {
        places::create_warehouse(c, &new).await
    })
    .await
    .inspect(|_| app.names.forget())
}

pub async fn warehouse(app: &App, actor: &Actor, id: i64) -> Result<Warehouse> {
    app.read(actor, Op::GetWarehouse, async |c| {
        places::warehouse(c, id).await
    })
    .await
}

pub async fn update_warehouse(
    app: &App,
    actor: &Actor,
    id: i64,
    change: WarehouseChange,
) -> Result<Warehouse> {
    app.change(actor, Op::UpdateWarehouse, async |c| {
        places::update_warehouse(c, id, &change).await
    })
    .await
    .inspect(|_| app.names.forget())
}

pub async fn delete_warehouse(app: &App, actor: &Actor, id: i64) -> Result<()> {
    app.change(actor, Op::DeleteWarehouse, async |c| {
        places::delete_warehouse(c, id).await
    })
    .await
}

pub async fn zones(app: &App, actor: &Actor, warehouse_id: i64) -> Result<Vec<Zone>> {
    app.read(actor, Op::ListZones, async |c| {
        places::zones(c, warehouse_id).await
    })
    .await
}

pub async fn create_zone(
    app: &App,
    actor: &Actor,
    warehouse_id: i64,
    new: NewZone,
) -> Result<Zone> {
    app.change(actor, Op::CreateZone, async |c| {
        places::create_zone(c, warehouse_id, &new).await
    })
    .await
    .inspect(|_| app.names.forget())
}

pub async fn zone(app: &App, actor: &Actor, id: i64) -> Result<Zone> {
    app.read(actor, Op::GetZone, async |c| places::zone(c, id).await)
        .await
}

pub async fn update_zone(app: &App, actor: &Actor, id: i64, change: ZoneChange) -> Result<Zone> {
    app.change(actor, Op::UpdateZone, async |c| {
        places::update_zone(c, id, &change).await
    })
    .await
    .inspect(|_| app.names.forget())
}

pub async fn delete_zone(app: &App, actor: &Actor, id: i64) -> Result<()> {
    app.change(actor, Op::DeleteZone, async |c| {
        places::delete_zone(c, id).await
    })
    .await
}

/// Every zone as `(id, "warehouse · zone")`; `storage_only`: where assets are kept.
pub async fn zone_names(
    app: &App,
    actor: &Actor,
    storage_only: bool,
) -> Result<Vec<(i64, String)>> {
    app.read(actor, Op::ListZones, async |c| {
        places::zone_names(c, storage_only).await
    })
    .await
}

pub async fn categories(app: &App, actor: &Actor) -> Result<Vec<Category>> {
    app.read(actor, Op::ListCategories, async |c| {
        places::categories(c).await
    })
    .await
}

/// Categories as `(id, name)` by name, for filters and forms.
pub async fn category_names(app: &App, actor: &Actor) -> Result<Vec<(i64, String)>> {
    app.read(actor, Op::ListCategories, async |c| {
        catalogue::categories(c).await
    })
    .await
}

pub async fn create_category(app: &App, actor: &Actor, new: NewCategory) -> Result<Category> {
    app.change(actor, Op::CreateCategory, async |c| {
        places::create_category(c, &new).await
    })
    .await
    .inspect(|_| app.names.forget())
}

pub async fn category(app: &App, actor: &Actor, id: i64) -> Result<Category> {
    app.read(actor, Op::GetCategory, async |c| {
        places::category(c, id).await
    })
    .await
}

pub async fn update_category(
    app: &App,
    actor: &Actor,
    id: i64,
    change: CategoryChange,
) -> Result<Category> {
    app.change(actor, Op::UpdateCategory, async |c| {
        places::update_category(c, id, &change).await
    })
    .await
    .inspect(|_| app.names.forget())
}

pub async fn delete_category(app: &App, actor: &Actor, id: i64) -> Result<()> {
    app.change(actor, Op::DeleteCategory, async |c| {
        places::delete_category(c, id).await
    })
    .await
}

/// What to look for in the catalogue: text, a category, the first and last day.
#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub text: Option<String>,
    pub category_id: Option<i64>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    /// The listings after this one (the last of the page before).
    pub after: Option<i64>,
}

/// The longest window of days the catalogue answers for: a year and a day.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// The window of days a look at the catalogue asks about, first and last (inclusive):
/// today in the depot's time zone unless `from` says otherwise, one day unless `to` does.
/// A window that ends before it starts, or spans more than [`MAX_WINDOW_DAYS`], is refused.
pub fn window(app: &App, b: &Browse) -> Result<(NaiveDate, NaiveDate)> {
    let from = b.from.map(|d| d.date()).unwrap_or_else(|| app.today());
    let to = b.to.map(|d| d.date()).unwrap_or(from);
    if to < from {
        return Err(Error::Invalid(format!(
            "the last day (to, {to}) is before the first (from, {from})"
        )));
    }
    if (to - from).num_days() >= MAX_WINDOW_DAYS {
        return Err(Error::Invalid(format!(
            "a window of days is at most {MAX_WINDOW_DAYS} days (from {from} to {to} is longer)"
        )));
    }
    Ok((from, to))
}

/// The catalogue for the actor's department: per category what can be borrowed for the whole
/// window of days (booked ahead or out now counts when it is back by then), and other
/// departments' listings in the virtual depot.
pub async fn browse(app: &App, actor: &Actor, b: Browse) -> Result<(Vec<Offer>, Listings)> {
    let department = department_filter(actor, Op::BrowseCatalogue).or(actor.department_id);
    let period = window(app, &b)?;
    let search = Search {
        text: b.text,
        category_id: b.category_id,
        period: Some(period),
    };
    app.read(actor, Op::BrowseCatalogue, async |c| {
        let offers = catalogue::offers(c, department, &search).await?;
        let listings = catalogue::listings(c, department, &search, b.after).await?;
        Ok::<_, crate::db::Error>((offers, listings))
    })
    .await
}

/// The registers an admin keeps: users, departments, warehouses and zones.
pub struct Registers {
    /// A page of the users, by login.
    pub users: Page<UserListing>,
    pub departments: Vec<Department>,
    pub warehouses: Vec<Warehouse>,
    /// (warehouse, code, name, kind)
    pub zones: Vec<(String, String, String, String)>,
}

/// Every user `filter` picks (a role, a department), by login, as they come (the registers
/// page's export).
pub async fn user_export(
    app: &App,
    actor: &Actor,
    filter: people::UserFilter,
) -> Result<super::Rows<UserListing>> {
    app.rows(actor, Op::Registers, filter, people::user_rows)
        .await
}

/// The registers: a page of the users `filter` picks, the departments, warehouses and zones.
pub async fn registers(
    app: &App,
    actor: &Actor,
    filter: people::UserFilter,
    users: Paging,
) -> Result<Registers> {
    let window = users.window();
    app.read(actor, Op::Registers, async |c| {
        Ok::<_, crate::db::Error>(Registers {
            users: Page::new(window, people::user_listing(c, filter, window).await?),
            departments: people::departments(c).await?,
            warehouses: places::warehouses(c).await?,
            zones: places::zone_listing(c).await?,
        })
    })
    .await
}
