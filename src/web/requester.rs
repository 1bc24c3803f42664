//! The requester's pages: the catalogue with availability for chosen dates, the loan
//! request form, and the department's own assets in the virtual depot.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{field, ids, render, Chrome, Fields, PageError, PageResult, Posted, Viewer};
use crate::app::assets::{self, ActionBody, ManualAction};
use crate::app::catalogue::{self, Browse};
use crate::app::policy::{self, Target};
use crate::app::{self, kits, loans, App, Op};
use crate::db::assets::Asset;
use crate::db::catalogue::{Listing, Offer};
use crate::db::kits::KitOffer;
use crate::db::loans::NewLoan;
use crate::db::orders::Line;
use crate::domain::bounds::{Day, Note, Text};
use crate::domain::lifecycle::AssetState;

pub fn router() -> Router<App> {
    Router::new()
        .route("/catalogue", get(catalogue_page))
        .route("/loans/new", get(loan_form))
        .route("/loans", post(request_loan))
        .route("/virtual-depot", get(virtual_depot))
        .route("/virtual-depot.csv", get(virtual_depot_csv))
        .route("/virtual-depot/{id}/{action}", post(list_or_unlist))
}

/// `?q=&category=&from=&to=` (empty fields allowed: forms send them).
#[derive(Debug, Default, Deserialize)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: Text,
    #[serde(default)]
    category: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    kit: String,
    /// The listings after this one.
    #[serde(default)]
    after: String,
}

impl CatalogueQuery {
    /// The search; a date that is given must be a date within range (400 otherwise).
    fn browse(&self) -> Result<Browse, PageError> {
        let day = |text: &str, what: &str| match text.trim() {
            "" => Ok(None),
            text => Day::parse(text)
                .map(Some)
                .map_err(|e| PageError::Bad(format!("{what}: {e}"))),
        };
        Ok(Browse {
            text: Some(self.q.to_string()),
            category_id: super::filter_id("category", &self.category)?,
            from: day(&self.from, "from")?,
            to: day(&self.to, "to")?,
            after: super::filter_id("after", &self.after)?,
        })
    }
}

#[derive(askama::Template)]
#[template(path = "catalogue.html")]
struct CataloguePage {
    c: Chrome,
    q: CatalogueQuery,
    categories: Vec<(i64, String)>,
    offers: Vec<Offer>,
    listings: Vec<Listing>,
    /// The listing the next page of listings starts after, when more follow.
    listings_next: Option<i64>,
    kits: Vec<KitOffer>,
    today: String,
}

impl CataloguePage {
    fn selected(&self, id: &i64) -> bool {
        self.q.category == id.to_string()
    }

    /// This catalogue's address with the listings after `after` (from the first: `None`).
    fn listings_from(&self, after: Option<i64>) -> String {
        let q = &self.q;
        let mut href = String::from("/catalogue?");
        for (name, value) in [
            ("q", q.q.to_string()),
            ("category", q.category.clone()),
            ("from", q.from.clone()),
            ("to", q.to.clone()),
        ] {
            if !value.trim().is_empty() {
                href.push_str(&format!("{name}={}&", super::percent(&value)));
            }
        }
        if let Some(after) = after {
            href.push_str(&format!("after={after}&"));
        }
        href.pop();
        href + "#listings"
    }

    /// The next page of listings, when more follow.
    fn listings_next_href(&self) -> String {
        self.listings_next
            .map(|n| self.listings_from(Some(n)))
            .unwrap_or_default()
    }

    /// Back to the first page of listings, when this is a later one.
    fn listings_first_href(&self) -> String {
        match self.q.after.trim().is_empty() {
            true => String::new(),
            false => self.listings_from(None),
        }
    }
}

async fn catalogue_page(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<CatalogueQuery>,
) -> PageResult {
    let browse = q.browse()?;
    let kits = kits::offers(&app, &v.actor, browse.clone()).await?;
    let (offers, listings) = catalogue::browse(&app, &v.actor, browse).await?;
    let categories = catalogue::category_names(&app, &v.actor).await?;
    let today = app.today().to_string();
    render(CataloguePage {
        c: v.chrome("catalogue"),
        q,
        categories,
        offers,
        listings: listings.items,
        listings_next: listings.next,
        kits,
        today,
    })
}

#[derive(askama::Template)]
#[template(path = "loan_new.html")]
struct LoanForm {
    c: Chrome,
    categories: Vec<(i64, String)>,
    /// Up to [`LINES`] lines of (category, quantity); the first one shown first.
    lines: Vec<(String, String)>,
    assets: String,
    /// The kits to choose from, and the kit and how many of it.
    kits: Vec<(i64, String)>,
    kit: (String, String),
    from: String,
    to: String,
    purpose: String,
    error: String,
    /// The requester asks even if fewer can be borrowed than asked for.
    accept_shortfall: bool,
    /// The refusal was a shortfall: the form offers to request anyway.
    short: bool,
}

/// How many category lines the form offers (tables and chairs and a projector…).
const LINES: usize = 3;

impl LoanForm {
    /// The field the error is about, when the form shows that field.
    fn placed(&self) -> Option<&'static str> {
        super::order_form_field(&self.error).filter(|f| *f != "kit" || !self.kits.is_empty())
    }
    fn error_at(&self, field: &str) -> bool {
        self.placed() == Some(field)
    }
    fn error_above(&self) -> bool {
        !self.error.is_empty() && self.placed().is_none()
    }

    fn selected(&self, line: &(String, String), id: &i64) -> bool {
        line.0 == id.to_string()
    }

    fn kit_selected(&self, id: &i64) -> bool {
        self.kit.0 == id.to_string()
    }

    /// Field names of line `i` (0-based): the first keeps the plain names the catalogue links use.
    fn name(&self, what: &str, i: &usize) -> String {
        if *i == 0 {
            what.to_owned()
        } else {
            format!("{what}_{}", i + 1)
        }
    }
}

async fn loan_form(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<CatalogueQuery>,
) -> PageResult {
    policy::authorize(&v.actor, Op::RequestLoan, Target::Nothing)?;
    let categories = catalogue::category_names(&app, &v.actor).await?;
    render(LoanForm {
        c: v.chrome("request_loan"),
        categories,
        lines: (0..LINES)
            .map(|i| match i {
                0 if q.asset.is_empty() && q.kit.is_empty() => (q.category.clone(), "1".into()),
                _ => (String::new(), String::new()),
            })
            .collect(),
        assets: q.asset,
        kits: kit_names(&app, &v.actor).await?,
        kit: match q.kit.is_empty() {
            true => Default::default(),
            false => (q.kit, "1".into()),
        },
        from: q.from,
        to: q.to,
        purpose: String::new(),
        error: String::new(),
        accept_shortfall: false,
        short: false,
    })
}

/// The loan request: lines by category and quantity and/or specific assets, the dates
/// and the purpose. A refusal shows the form again with the reason and what was typed.
async fn request_loan(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    policy::authorize(&v.actor, Op::RequestLoan, Target::Nothing)?;
    let mut form_page = LoanForm {
        c: v.chrome("request_loan"),
        categories: Vec::new(),
        lines: (0..LINES)
            .map(|i| {
                let suffix = if i == 0 {
                    String::new()
                } else {
                    format!("_{}", i + 1)
                };
                (
                    field(&form, &format!("category{suffix}")).to_owned(),
                    field(&form, &format!("quantity{suffix}")).to_owned(),
                )
            })
            .collect(),
        assets: field(&form, "assets").to_owned(),
        kits: Vec::new(),
        kit: (
            field(&form, "kit").to_owned(),
            field(&form, "kit_quantity").to_owned(),
        ),
        from: field(&form, "from").to_owned(),
        to: field(&form, "to").to_owned(),
        purpose: field(&form, "purpose").to_owned(),
        error: String::new(),
        accept_shortfall: field(&form, "accept_shortfall") == "1",
        short: false,
    };
    let result = async {
        let date = |s: &str, what: &str| {
            Day::parse(s).map_err(|e| app::Error::Invalid(format!("the {what} date: {e}")))
        };
        let starts_on = date(&form_page.from, "first")?;
        let ends_on = if form_page.to.is_empty() {
            starts_on
        } else {
            date(&form_page.to, "last")?
        };
        let mut lines = Vec::new();
        for (category, quantity) in form_page.lines.iter().filter(|(c, _)| !c.is_empty()) {
            let category_id = category
                .parse()
                .map_err(|_| app::Error::Invalid("choose a category".into()))?;
            let quantity: i32 = quantity
                .parse()
                .map_err(|_| app::Error::Invalid("give a quantity for each category".into()))?;
            lines.push(Line {
                id: 0,
                category_id: Some(category_id),
                asset_id: None,
                kit_id: None,
                quantity,
            });
        }
        for asset_id in ids(&form_page.assets).map_err(|e| match e {
            PageError::App(e) => e,
            _ => app::Error::Invalid("bad asset numbers".into()),
        })? {
            lines.push(Line {
                id: 0,
                category_id: None,
                asset_id: Some(asset_id),
                kit_id: None,
                quantity: 1,
            });
        }
        if !form_page.kit.0.is_empty() {
            let kit_id = form_page
                .kit
                .0
                .parse()
                .map_err(|_| app::Error::Invalid("choose a kit".into()))?;
            let quantity: i32 = match form_page.kit.1.as_str() {
                "" => 1,
                n => n
                    .parse()
                    .map_err(|_| app::Error::Invalid("give how many of the kit".into()))?,
            };
            lines.push(Line {
                id: 0,
                category_id: None,
                asset_id: None,
                kit_id: Some(kit_id),
                quantity,
            });
        }
        let new = NewLoan {
            department_id: None,
            purpose: Note::parse(form_page.purpose.clone())
                .map_err(|e| app::Error::Invalid(format!("purpose: {e}")))?,
            starts_on,
            ends_on,
            lines,
            accept_shortfall: form_page.accept_shortfall,
        };
        Ok::<i64, app::Error>(loans::request(&app, &v.actor, new).await?.id)
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/orders/{id}?requested=1")).into_response()),
        Err(app::Error::Internal(e)) => Err(PageError::App(app::Error::Internal(e))),
        Err(e) => {
            form_page.error = e.to_string();
            form_page.short = loans::is_shortfall(&e);
            form_page.categories = catalogue::category_names(&app, &v.actor).await?;
            form_page.kits = kit_names(&app, &v.actor).await?;
            let mut response = render(form_page)?;
            *response.status_mut() = super::status(&e);
            Ok(response)
        }
    }
}

/// The kits as `(id, name)`, for the loan form.
async fn kit_names(app: &App, actor: &crate::auth::Actor) -> Result<Vec<(i64, String)>, PageError> {
    Ok(kits::list(app, actor)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect())
}

#[derive(askama::Template)]
#[template(path = "virtual_depot.html")]
struct VirtualDepotPage {
    c: Chrome,
    assets: Vec<Asset>,
    pager: super::Pager,
    /// Those offered back to the depot, not yet taken in.
    offered: std::collections::HashSet<i64>,
    /// The categories to choose from, and the filter chosen: a category's id, a state (each
    /// empty: any).
    categories: Vec<(i64, String)>,
    category: String,
    state: String,
    /// The export of the list as filtered.
    csv: String,
}

/// The states a department's own asset may be in, as the virtual depot's filter offers them.
const OWN_STATES: [AssetState; 8] = [
    AssetState::Allocated,
    AssetState::Listed,
    AssetState::Reserved,
    AssetState::OnLoan,
    AssetState::InRepair,
    AssetState::Lost,
    AssetState::PendingDisposal,
    AssetState::Disposed,
];

impl VirtualDepotPage {
    fn offered(&self, id: &i64) -> bool {
        self.offered.contains(id)
    }
    fn states(&self) -> impl Iterator<Item = &'static str> {
        OWN_STATES.iter().map(|s| s.as_str())
    }
    fn category_is(&self, id: &i64) -> bool {
        self.category == id.to_string()
    }
}

/// The virtual depot's query: a category, a state (an unknown one is no filter; each
/// empty: any), and the page.
#[derive(Debug, Default, Deserialize)]
struct OwnQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

impl OwnQuery {
    /// The filter asked for: a category that is no number is a 400.
    fn filter(&self) -> Result<assets::OwnFilter, PageError> {
        let state = self.state.trim();
        Ok(assets::OwnFilter {
            category_id: super::filter_id("category", &self.category)?,
            state: OWN_STATES.into_iter().find(|s| s.as_str() == state),
        })
    }
}

/// The department's own assets (owned by it, not held by the depot), listable when idle;
/// of a category, in a state, when asked.
async fn virtual_depot(v: Viewer, State(app): State<App>, Query(q): Query<OwnQuery>) -> PageResult {
    let filter = q.filter()?;
    let found = assets::own(&app, &v.actor, filter, super::list_paging(&q.page)?).await?;
    // Asked of the assets on this page only: marked however many are offered.
    let shown: Vec<i64> = found.items.iter().map(|a| a.id).collect();
    let offered = assets::offered(&app, &v.actor, &shown).await?;
    let category = filter
        .category_id
        .map(|c| c.to_string())
        .unwrap_or_default();
    let state = filter.state.map_or("", AssetState::as_str);
    let fields = [("category", category.as_str()), ("state", state)];
    render(VirtualDepotPage {
        c: v.chrome("virtual_depot"),
        pager: super::Pager::of("/virtual-depot", &fields, &found),
        csv: super::with_query("/virtual-depot.csv", &fields),
        assets: found.items,
        offered,
        categories: catalogue::category_names(&app, &v.actor).await?,
        state: state.to_owned(),
        category,
    })
}

/// The department's own assets the virtual depot lists with its filter, as CSV.
async fn virtual_depot_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<OwnQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = assets::own_export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::VIRTUAL_COLUMNS;
    Ok(style.download(
        &v,
        "virtual-depot",
        columns,
        rows,
        super::reports::virtual_cells,
    ))
}

/// List or unlist an asset of the department's, or hand it in to the depot (上缴) or withdraw
/// that offer.
async fn list_or_unlist(
    State(app): State<App>,
    super::Path((id, action)): super::Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let action = match action.as_str() {
        "list" => ManualAction::List,
        "unlist" => ManualAction::Unlist,
        "hand-in" => {
            let reason = super::note(&form, "reason")?;
            assets::offer_hand_in(&app, &v.actor, id, app::Reason { reason }).await?;
            return Ok(Redirect::to(&super::done("/virtual-depot", "saved")).into_response());
        }
        "withdraw-hand-in" => {
            let reason = app::Reason::default();
            assets::withdraw_hand_in(&app, &v.actor, id, reason).await?;
            return Ok(Redirect::to(&super::done("/virtual-depot", "saved")).into_response());
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    };
    assets::act(&app, &v.actor, id, action, ActionBody::default()).await?;
    Ok(Redirect::to(&super::done("/virtual-depot", "saved")).into_response())
}
