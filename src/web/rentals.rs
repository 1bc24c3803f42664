//! Market rentals on the pages: every rental with what they cost (admins, keepers and
//! auditors; a requester sees their own department's), and the keeper's and admin's actions
//! on one — received, returned to the supplier, cancelled. A rental is recorded on its
//! loan's page (`orders.rs`).

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{field, note, render, Chrome, Fields, PageResult, Posted, Viewer};
use crate::app::rentals::{self, RentalFilter};
use crate::app::{self, policy, App, Op, Reason};
use crate::db::rentals::Rental;
use crate::domain::bounds::FenSum;
use crate::domain::lifecycle::orders::{RentalStatus, RENTAL_ACTIONS};

pub fn router() -> Router<App> {
    Router::new()
        .route("/rentals", get(list))
        .route("/rentals.csv", get(list_csv))
        .route("/rentals/{id}/{action}", post(act))
}

/// What a page offers on a rental, each with its operation and the action of the rental's
/// status table.
pub const OFFERS: &[policy::Offer] = &[
    ("receive", Op::ReceiveRental, "receive"),
    ("return", Op::ReturnRental, "return"),
    ("cancel", Op::CancelRental, "cancel"),
];

/// Each rental with what `v` may do to it now.
pub fn offered(v: &Viewer, rentals: Vec<Rental>) -> Vec<(Rental, Vec<&'static str>)> {
    rentals
        .into_iter()
        .map(|r| {
            let can = policy::offered(&v.actor, OFFERS, RENTAL_ACTIONS, r.status);
            (r, can)
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "rentals.html")]
struct RentalsPage {
    c: Chrome,
    status: String,
    rentals: Vec<(Rental, Vec<&'static str>)>,
    pager: super::Pager,
    /// What the rentals listed by the filter cost in all (not only this page's).
    rentals_cost: FenSum,
    /// Where a rental's form comes back to.
    rentals_back: &'static str,
}

impl RentalsPage {
    fn statuses(&self) -> &'static [RentalStatus] {
        RentalStatus::ALL
    }
}

/// The rentals the list shows (every page of them, with its status filter) as CSV.
async fn list_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let filter = RentalFilter {
        status: RentalStatus::named(&q.status),
        ..Default::default()
    };
    let rows = rentals::export(&app, &v.actor, filter).await?;
    let columns = super::reports::RENTAL_COLUMNS;
    Ok(style.download(&v, "rentals", columns, rows, super::reports::rental_cells))
}

async fn list(v: Viewer, State(app): State<App>, Query(q): Query<super::ListQuery>) -> PageResult {
    let status = RentalStatus::named(&q.status);
    let filter = RentalFilter {
        status,
        ..Default::default()
    };
    let paging = super::list_paging(&q.page)?;
    let found = rentals::list(&app, &v.actor, filter.clone(), paging).await?;
    let cost = rentals::cost(&app, &v.actor, filter).await?;
    let status = status.map(|s| s.as_str()).unwrap_or_default();
    let pager = super::Pager::of("/rentals", &[("status", status)], &found);
    render(RentalsPage {
        c: v.chrome("rentals"),
        status: status.to_owned(),
        rentals: offered(&v, found.items),
        pager,
        rentals_cost: cost,
        rentals_back: "rentals",
    })
}

/// Received, returned to the supplier, or cancelled: then back to the loan's page, or to the
/// list the form came from.
async fn act(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let actor = &v.actor;
    // Cancelling cannot be undone: asked first, with a reason for the log.
    if action == "cancel" && (!super::confirmed(&form) || field(&form, "reason").is_empty()) {
        let back = rental_back(&app, actor, id, &form).await?;
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::CancelRental,
                title: &format!("{} {id}?", v.lang.t("cancel_rental")),
                message: v.lang.t("cancel_rental_text").to_owned(),
                action: format!("/rentals/{id}/cancel"),
                reason_asked: true,
                back,
            },
        );
    }
    // Back to the supplier closes the rental for good: asked first too.
    if action == "return" && !super::confirmed(&form) {
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::ReturnRental,
                title: &format!("{} {id}?", v.lang.t("return_rental_title")),
                message: v.lang.t("return_rental_text").to_owned(),
                action: format!("/rentals/{id}/return"),
                reason_asked: false,
                back: rental_back(&app, actor, id, &form).await?,
            },
        );
    }
    let reason = Reason {
        reason: note(&form, "reason")?,
    };
    let rental = match action.as_str() {
        "receive" => rentals::receive(&app, actor, id, reason).await?,
        "return" => rentals::give_back(&app, actor, id, reason).await?,
        "cancel" => rentals::cancel(&app, actor, id, reason).await?,
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    };
    let back = match field(&form, "back") {
        "rentals" => super::done("/rentals", "saved"),
        _ => format!(
            "{}#rentals",
            super::done(&format!("/orders/{}", rental.loan_id), "saved")
        ),
    };
    Ok(Redirect::to(&back).into_response())
}

/// Where a rental's confirmation goes back to: the rentals list, or the loan's page.
async fn rental_back(
    app: &App,
    actor: &crate::auth::Actor,
    id: i64,
    form: &Fields,
) -> Result<String, super::PageError> {
    Ok(match field(form, "back") {
        "rentals" => "/rentals".to_owned(),
        _ => format!(
            "/orders/{}#rentals",
            rentals::get(app, actor, id).await?.loan_id
        ),
    })
}
