//! Loan and asset pages: lists, details with the full timeline, and the actions each role
//! takes on a loan (cancel; approve with an adjustable choice of assets, or reject; issue;
//! take back with inspection). A requester sees only their own department's loans (404).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{field, ids, note, render, Chrome, Fields, PageResult, Posted, Viewer};
use crate::auth::{Actor, Role};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::loans::{self, Condition, Loan, ReturnedItem};
use crate::db::{assets, catalogue, orders};
use crate::domain::bounds::Text;
use crate::domain::lifecycle::orders::LoanStatus;
use crate::http::{visible_asset, ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/{action}", post(act))
        .route("/assets", get(asset_list))
        .route("/assets/{id}", get(asset_detail))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
}

#[derive(askama::Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    c: Chrome,
    title: &'static str,
    status: String,
    loans: Vec<Loan>,
    total: i64,
}

const STATUSES: &[&str] = &[
    "requested",
    "approved",
    "partially_issued",
    "issued",
    "overdue",
    "returned",
    "rejected",
    "cancelled",
];

impl OrdersPage {
    fn statuses(&self) -> &'static [&'static str] {
        STATUSES
    }
}

async fn list(v: Viewer, State(state): State<AppState>, Query(q): Query<ListQuery>) -> PageResult {
    let status = STATUSES
        .iter()
        .find(|s| **s == q.status)
        .map(|s| s.to_string());
    let filter = loans::Filter {
        department_id: own_department(&v.actor),
        status: status.clone(),
    };
    let (loans, total) = loans::list(&mut *state.pool.acquire().await?, &filter, 1, 200).await?;
    let (here, title) = if v.actor.role == Role::Requester {
        ("my_orders", "my_orders")
    } else {
        ("orders", "orders")
    };
    render(OrdersPage {
        c: v.chrome(here),
        title,
        status: status.unwrap_or_default(),
        loans,
        total,
    })
}

/// A requester acts for their department only; everyone else sees all.
pub fn own_department(actor: &Actor) -> Option<i64> {
    (actor.role == Role::Requester).then(|| actor.department_id.unwrap_or(-1))
}

pub async fn visible_loan(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<Loan, ApiError> {
    let loan = loans::get(conn, id).await?;
    if !actor.sees_department(loan.department_id) {
        return Err(ApiError::NotFound(format!("loan {id}")));
    }
    Ok(loan)
}

#[derive(askama::Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Chrome,
    loan: Loan,
    categories: HashMap<i64, String>,
    timeline: Vec<Event>,
    /// Admin, requested: the automatic choice and other free assets (id, name, epc).
    proposal: Vec<(i64, String, String)>,
    alternatives: Vec<(i64, String, String)>,
    proposal_error: String,
    zones: Vec<(i64, String)>,
    just_requested: bool,
}

impl OrderPage {
    fn category(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.categories.get(&id).cloned())
            .unwrap_or_default()
    }
    fn status(&self) -> &'static str {
        self.loan.status.as_str()
    }
    fn can(&self, what: &str) -> bool {
        let role = self.c.role();
        let s = self.loan.status;
        match what {
            "cancel" => {
                matches!(role, "requester" | "admin")
                    && matches!(s, LoanStatus::Requested | LoanStatus::Approved)
            }
            "decide" => role == "admin" && s == LoanStatus::Requested,
            "issue" => {
                matches!(role, "keeper" | "admin")
                    && matches!(s, LoanStatus::Approved | LoanStatus::PartiallyIssued)
            }
            "return" => {
                matches!(role, "keeper" | "admin")
                    && matches!(s, LoanStatus::Issued | LoanStatus::PartiallyIssued)
            }
            _ => false,
        }
    }
    fn waiting(&self) -> Vec<&orders::Reserved> {
        self.loan
            .assets
            .iter()
            .filter(|a| a.issued_at.is_none() && a.released_at.is_none())
            .collect()
    }
    fn out(&self) -> Vec<&orders::Reserved> {
        self.loan
            .assets
            .iter()
            .filter(|a| a.issued_at.is_some() && a.returned_at.is_none())
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    #[serde(default)]
    requested: String,
}

async fn detail(
    v: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let mut conn = state.pool.begin().await?;
    let loan = visible_loan(&mut conn, &v.actor, id).await?;
    let categories = catalogue::categories(&mut conn)
        .await?
        .into_iter()
        .collect();
    let timeline = events::for_order(&mut conn, OrderKind::Loan, id).await?;
    let (mut proposal, mut alternatives, mut proposal_error) =
        (Vec::new(), Vec::new(), String::new());
    if v.actor.role == Role::Admin && loan.status == LoanStatus::Requested {
        let (from, to) = orders::loan_period(loan.starts_on, loan.ends_on);
        match orders::proposal(
            &mut conn,
            OrderKind::Loan,
            id,
            loan.department_id,
            (Some(from), Some(to)),
        )
        .await
        {
            Ok(chosen) => {
                proposal = assets::by_ids(&mut conn, &chosen)
                    .await?
                    .into_iter()
                    .map(|a| (a.id, a.name, a.epc))
                    .collect();
            }
            Err(e) => proposal_error = ApiError::from(e).to_string(),
        }
        let cats: Vec<i64> = loan.lines.iter().filter_map(|l| l.category_id).collect();
        let taken: Vec<i64> = proposal.iter().map(|p| p.0).collect();
        alternatives = catalogue::free_assets(
            &mut conn,
            &cats,
            loan.department_id,
            (loan.starts_on, loan.ends_on),
            &taken,
            30,
        )
        .await?;
    }
    let zones = zones(&mut conn).await?;
    // Only reads happened; the proposal's row locks end here.
    conn.rollback().await?;
    let here = if v.actor.role == Role::Requester {
        "my_orders"
    } else {
        "orders"
    };
    render(OrderPage {
        c: v.chrome(here),
        loan,
        categories,
        timeline,
        proposal,
        alternatives,
        proposal_error,
        zones,
        just_requested: !q.requested.is_empty(),
    })
}

pub async fn zones(conn: &mut sqlx::PgConnection) -> Result<Vec<(i64, String)>, ApiError> {
    Ok(sqlx::query_as(
        "select z.id, w.name || ' · ' || z.name from zones z join warehouses w on w.id = z.warehouse_id
         where z.kind in ('storage', 'staging') order by w.code, z.code",
    )
    .fetch_all(conn)
    .await?)
}

/// The actions on a loan, each through the same `db::loans` function as the API.
async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let ctx = Context::by(v.actor.id).reason(field(&form, "reason"));
    let mut tx = state.pool.begin().await?;
    visible_loan(&mut tx, &v.actor, id).await?;
    match action.as_str() {
        "cancel" => {
            v.require(&[Role::Requester, Role::Admin])?;
            loans::cancel(&mut tx, id, &ctx).await?;
        }
        "approve" => {
            v.require(&[Role::Admin])?;
            let mut chosen: Vec<i64> = form
                .iter()
                .filter(|(k, _)| k == "asset")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            chosen.extend(ids(field(&form, "extra"))?);
            loans::approve(&mut tx, id, Some(&chosen), &ctx).await?;
        }
        "reject" => {
            v.require(&[Role::Admin])?;
            loans::reject(&mut tx, id, &ctx).await?;
        }
        "issue" => {
            v.require(&[Role::Keeper, Role::Admin])?;
            let chosen: Vec<i64> = form
                .iter()
                .filter(|(k, _)| k == "asset")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            if chosen.is_empty() {
                return Err(ApiError::Unprocessable("tick the assets handed over".into()).into());
            }
            loans::issue(&mut tx, id, Some(&chosen), &ctx).await?;
        }
        "return" => {
            v.require(&[Role::Keeper, Role::Admin])?;
            let zone_id = field(&form, "zone").parse().ok();
            let mut items = Vec::new();
            for (k, value) in &form {
                let Some(asset) = k
                    .strip_prefix("condition-")
                    .and_then(|a| a.parse::<i64>().ok())
                else {
                    continue;
                };
                let condition = match value.as_str() {
                    "fine" => Condition::Fine,
                    "damaged" => Condition::Damaged,
                    "missing" => Condition::Missing,
                    _ => continue, // not back yet
                };
                items.push(ReturnedItem {
                    asset_id: asset,
                    condition,
                    zone_id,
                    note: note(&form, &format!("note-{asset}"))?,
                });
            }
            loans::return_items(&mut tx, id, Some(&items), &ctx).await?;
        }
        _ => return Err(ApiError::NotFound("no such action".into()).into()),
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/orders/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct AssetQuery {
    #[serde(default)]
    q: Text,
}

#[derive(askama::Template)]
#[template(path = "assets.html")]
struct AssetsPage {
    c: Chrome,
    q: String,
    assets: Vec<assets::Asset>,
    total: i64,
}

async fn asset_list(
    v: Viewer,
    State(state): State<AppState>,
    Query(q): Query<AssetQuery>,
) -> PageResult {
    let filter = assets::Filter {
        text: Some(q.q.to_string()),
        visible_to: (v.actor.role == Role::Requester).then(|| v.actor.department_id.unwrap_or(-1)),
        ..Default::default()
    };
    let (assets, total) = assets::list(&mut *state.pool.acquire().await?, &filter, 1, 200).await?;
    render(AssetsPage {
        c: v.chrome("assets"),
        q: q.q.into(),
        assets,
        total,
    })
}

#[derive(askama::Template)]
#[template(path = "asset.html")]
struct AssetPage {
    c: Chrome,
    asset: assets::Asset,
    place: String,
    owner: String,
    holder: String,
    timeline: Vec<Event>,
}

async fn asset_detail(v: Viewer, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let mut conn = state.pool.acquire().await?;
    let asset = visible_asset(&mut conn, &v.actor, id).await?;
    let (place, owner, holder): (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "select (select w.name || ' · ' || z.name from zones z join warehouses w on w.id = z.warehouse_id where z.id = a.zone_id),
                (select name from departments where id = a.owner_department_id),
                (select name from departments where id = a.holder_department_id)
         from assets a where a.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let timeline = events::for_asset(&mut conn, id).await?;
    render(AssetPage {
        c: v.chrome("assets"),
        asset,
        place: place.unwrap_or_default(),
        owner: owner.unwrap_or_else(|| v.lang.t("app").to_owned()),
        holder: holder.unwrap_or_default(),
        timeline,
    })
}

impl AssetPage {
    fn source(&self) -> &'static str {
        use crate::db::assets::SourceClass;
        match self.asset.source_class {
            SourceClass::EventPurchase => "event_purchase",
            SourceClass::AbolishedBody => "abolished_body",
            SourceClass::InstitutionalReform => "institutional_reform",
            SourceClass::OtherIdle => "other_idle",
        }
    }
}
