//! The admin's pages for lending ahead: kits (list, create, delete) and the bookings a late
//! return collides with, each with the swap to accept.

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{
    field, ids, invalid, note, render, text, Chrome, Fields, PageError, PageResult, Posted,
    Refused, Viewer,
};
use crate::app::bookings::{self, Swap};
use crate::app::{self, catalogue, kits, App, Op};
use crate::db::bookings::Collision;
use crate::db::kits::{Kit, NewKit, NewPart};

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/kits", get(kit_list).post(create_kit))
        .route("/admin/kits.csv", get(kits_csv))
        .route("/admin/kits/{id}/delete", post(delete_kit))
        .route("/admin/bookings", get(collisions))
        .route("/admin/bookings.csv", get(collisions_csv))
        .route("/admin/bookings/{loan}/swap", post(swap))
}

/// How many category parts the new-kit form offers.
const PARTS: usize = 5;

#[derive(askama::Template)]
#[template(path = "kits.html")]
struct KitsPage {
    c: Chrome,
    /// A page of the kits, by name.
    kits: Vec<Kit>,
    pager: super::Pager,
    categories: Vec<(i64, String)>,
    parts: Vec<usize>,
    /// The new kit's form, when it came back refused: why, and what was typed.
    refused: Refused,
}

impl KitsPage {
    /// The names of part `i`'s fields.
    fn part(&self, i: &usize) -> (String, String) {
        (format!("category_{i}"), format!("quantity_{i}"))
    }
}

/// The kits by name, a page at a time, with the form to make one.
async fn kit_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    kits_page(&app, &v, super::list_paging(&q.page)?, Refused::default()).await
}

/// Every collision the viewer may see, as CSV.
async fn collisions_csv(
    v: Viewer,
    State(app): State<App>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = bookings::collisions_export(&app, &v.actor).await?;
    let columns = super::reports::COLLISION_COLUMNS;
    let cells = super::reports::collision_cells;
    Ok(style.download(&v, "booking-collisions", columns, rows, cells))
}

/// Every kit with its parts, as CSV.
async fn kits_csv(
    v: Viewer,
    State(app): State<App>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = kits::export(&app, &v.actor).await?;
    let columns = super::reports::KIT_COLUMNS;
    Ok(style.download(&v, "kits", columns, rows, super::reports::kit_cells))
}

async fn kits_page(app: &App, v: &Viewer, paging: app::Paging, refused: Refused) -> PageResult {
    let found = kits::page(app, &v.actor, paging).await?;
    render(KitsPage {
        c: v.chrome("kits"),
        pager: super::Pager::of("/admin/kits", &[], &found),
        kits: found.items,
        categories: catalogue::category_names(app, &v.actor).await?,
        parts: (1..=PARTS).collect(),
        refused,
    })
}

/// A new kit: its name, up to [`PARTS`] categories with quantities, and specific assets. A
/// refusal shows the form again with the reason and what was typed.
async fn create_kit(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_kit(&app, &v, &form).await;
    let outcome = outcome.map(|()| super::done("/admin/kits", "created"));
    super::after_form(&v, "kit", form, outcome, |refused| {
        kits_page(&app, &v, super::first_page(), refused)
    })
    .await
}

async fn new_kit(app: &App, v: &Viewer, form: &Fields) -> Result<(), PageError> {
    let mut parts = Vec::new();
    for i in 1..=PARTS {
        let category = field(form, &format!("category_{i}"));
        if category.is_empty() {
            continue;
        }
        let quantity = field(form, &format!("quantity_{i}"));
        parts.push(NewPart {
            category_id: Some(category.parse().map_err(|_| invalid("choose a category"))?),
            asset_id: None,
            quantity: match quantity {
                "" => 1,
                n => n
                    .parse()
                    .map_err(|_| invalid(format!("quantity_{i}: give a whole number")))?,
            },
        });
    }
    for asset_id in ids(field(form, "assets"))? {
        parts.push(NewPart {
            category_id: None,
            asset_id: Some(asset_id),
            quantity: 1,
        });
    }
    let new = NewKit {
        name: text(form, "name")?,
        description: note(form, "description")?,
        parts,
    };
    kits::create(app, &v.actor, new).await?;
    Ok(())
}

async fn delete_kit(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    if !super::confirmed(&form) {
        let kit = kits::get(&app, &v.actor, id).await?;
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::DeleteKit,
                title: &format!("{} {}?", v.lang.t("delete_kit"), kit.name),
                message: v.lang.t("delete_kit_text").to_owned(),
                action: format!("/admin/kits/{id}/delete"),
                reason_asked: false,
                back: "/admin/kits".into(),
            },
        );
    }
    kits::delete(&app, &v.actor, id).await?;
    Ok(Redirect::to(&super::done("/admin/kits", "deleted")).into_response())
}

#[derive(askama::Template)]
#[template(path = "bookings.html")]
struct BookingsPage {
    c: Chrome,
    /// A page of the collisions, soonest first.
    collisions: Vec<Collision>,
    pager: super::Pager,
    /// Whether the viewer may accept swaps (the admin); a department sees its own only.
    can_swap: bool,
}

/// The bookings starting within a week whose asset is not back, with the swap proposed, a
/// page at a time, soonest first.
async fn collisions(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    let found = bookings::collisions_page(&app, &v.actor, super::list_paging(&q.page)?).await?;
    let c = v.chrome("bookings");
    render(BookingsPage {
        can_swap: c.may(Op::SwapBooking),
        c,
        pager: super::Pager::of("/admin/bookings", &[], &found),
        collisions: found.items,
    })
}

/// Accept a swap: the booked asset for the proposed one (or the one typed). Asked first,
/// naming the loan and both assets; back to the page of the list it came from.
async fn swap(
    State(app): State<App>,
    Path(loan): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let asset_id = field(&form, "asset")
        .parse()
        .map_err(|_| invalid("asset: name the booked asset"))?;
    let replacement_id = match field(&form, "replacement") {
        "" => None,
        r => Some(
            r.parse()
                .map_err(|_| invalid("replacement: give an asset number"))?,
        ),
    };
    let input = Swap {
        asset_id,
        replacement_id,
        reason: note(&form, "reason")?,
    };
    let back = super::posted_from(&form, "/admin/bookings");
    if !super::confirmed(&form) {
        let plan = bookings::swap_plan(&app, &v.actor, loan, &input).await?;
        let message = v
            .lang
            .t("swap_confirm_text")
            .replace("{loan}", &loan.to_string())
            .replace(
                "{department}",
                v.chrome("").department(&plan.loan.department),
            )
            .replace("{from}", &plan.loan.starts_on.to_string())
            .replace("{to}", &plan.loan.ends_on.to_string())
            .replace("{asset}", &format!("{} · {}", plan.asset.0, plan.asset.1))
            .replace(
                "{replacement}",
                &format!("{} · {}", plan.replacement.0, plan.replacement.1),
            );
        // The replacement asked about is the one booked, even if another becomes first.
        let mut form = form;
        form.retain(|(k, _)| k != "replacement");
        form.push(("replacement".into(), plan.replacement.0.to_string()));
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::SwapBooking,
                title: &v
                    .lang
                    .t("swap_confirm")
                    .replace("{loan}", &loan.to_string()),
                message,
                action: format!("/admin/bookings/{loan}/swap"),
                reason_asked: false,
                back,
            },
        );
    }
    bookings::swap(&app, &v.actor, loan, input).await?;
    Ok(Redirect::to(&super::done(&back, "swapped")).into_response())
}
