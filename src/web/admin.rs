//! The admin's pages: the approval queue, transfers, disposals (appraise, approve, sell or
//! scrap, remit), and the registers of users, departments, warehouses and zones. Auditors
//! read the disposals too. Readers join the registers with reader ingest.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{
    fen, field, ids, named, note, render, text, Chrome, Fields, PageResult, Posted, Viewer,
};
use crate::auth::Role;
use crate::db::compensations::{self, Compensation};
use crate::db::disposals::{self, Disposal, NewDisposal};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::loans::{self, Loan};
use crate::db::transfers::{self, Transfer};
use crate::domain::bounds::NewPassword;
use crate::domain::lifecycle::orders::{DisposalStatus, TransferStatus};
use crate::http::{insert_user_hashed, ApiError, AppState, NewUser};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/approvals", get(approvals))
        .route("/admin/transfers", get(transfer_list))
        .route("/admin/transfers/{id}/{action}", post(transfer_action))
        .route("/disposals", get(disposal_list).post(propose_disposal))
        .route("/disposals/{id}", get(disposal_detail))
        .route("/disposals/{id}/{action}", post(disposal_action))
        .route("/admin/registers", get(registers))
        .route("/admin/users", post(add_user))
        .route("/admin/departments", post(add_department))
        .route("/admin/warehouses", post(add_warehouse))
        .route("/admin/zones", post(add_zone))
        .route("/compensations", get(compensation_list))
        .route("/compensations/{id}/{action}", post(compensation_action))
}

#[derive(askama::Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    c: Chrome,
    loans: Vec<Loan>,
    transfers: Vec<Transfer>,
}

/// What waits for a decision: requested loans and transfers, oldest first.
async fn approvals(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(&[Role::Admin])?;
    let mut conn = state.pool.acquire().await?;
    let filter = loans::Filter {
        department_id: None,
        status: Some("requested".into()),
    };
    let (mut loans, _) = loans::list(&mut conn, &filter, 1, 200).await?;
    loans.reverse();
    let filter = transfers::Filter {
        status: Some(TransferStatus::Requested),
        ..Default::default()
    };
    let (transfers, _) = transfers::list(&mut conn, &filter, 1, 200).await?;
    render(ApprovalsPage {
        c: v.chrome("approvals"),
        loans,
        transfers,
    })
}

#[derive(askama::Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    c: Chrome,
    transfers: Vec<Transfer>,
}

async fn transfer_list(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(&[Role::Admin])?;
    let (transfers, _) = transfers::list(
        &mut *state.pool.acquire().await?,
        &Default::default(),
        1,
        200,
    )
    .await?;
    render(TransfersPage {
        c: v.chrome("transfers"),
        transfers,
    })
}

async fn transfer_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    let ctx = Context::by(v.actor.id).reason(field(&form, "reason"));
    let mut tx = state.pool.begin().await?;
    match action.as_str() {
        "approve" => drop(transfers::approve(&mut tx, id, None, &ctx).await?),
        "reject" => drop(transfers::reject(&mut tx, id, &ctx).await?),
        "issue" => drop(transfers::issue(&mut tx, id, None, &ctx).await?),
        _ => return Err(ApiError::NotFound("no such action".into()).into()),
    }
    tx.commit().await?;
    Ok(Redirect::to("/admin/transfers").into_response())
}

#[derive(askama::Template)]
#[template(path = "disposals.html")]
struct DisposalsPage {
    c: Chrome,
    disposals: Vec<Disposal>,
    remitted_fen: i64,
}

async fn disposal_list(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(&[Role::Admin, Role::Keeper, Role::Auditor])?;
    let (disposals, _) = disposals::list(&mut *state.pool.acquire().await?, None, 1, 500).await?;
    let remitted_fen = disposals
        .iter()
        .filter(|d| d.status == DisposalStatus::Remitted)
        .filter_map(|d| d.sale_price_fen)
        .sum();
    render(DisposalsPage {
        c: v.chrome("disposals"),
        disposals,
        remitted_fen,
    })
}

/// Put assets forward for disposal (admin or keeper): each becomes pending disposal.
async fn propose_disposal(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin, Role::Keeper])?;
    let new = NewDisposal {
        asset_ids: ids(field(&form, "assets"))?,
        reason: note(&form, "reason")?,
    };
    let mut tx = state.pool.begin().await?;
    let d = disposals::create(&mut tx, &new, &Context::by(v.actor.id)).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/disposals/{}", d.id)).into_response())
}

#[derive(askama::Template)]
#[template(path = "disposal.html")]
struct DisposalPage {
    c: Chrome,
    d: Disposal,
    timeline: Vec<Event>,
}

impl DisposalPage {
    fn status(&self) -> &'static str {
        self.d.status.as_str()
    }
    fn can(&self, what: &str) -> bool {
        let admin = self.c.is("admin");
        let s = self.d.status;
        match what {
            "appraise" => {
                (admin || self.c.is("keeper"))
                    && matches!(s, DisposalStatus::Requested | DisposalStatus::Appraised)
            }
            "decide" => admin && s == DisposalStatus::Appraised,
            "sell" => admin && s == DisposalStatus::Approved,
            "remit" => admin && s == DisposalStatus::Sold,
            _ => false,
        }
    }
}

async fn disposal_detail(
    v: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    v.require(&[Role::Admin, Role::Keeper, Role::Auditor])?;
    let mut conn = state.pool.acquire().await?;
    let d = disposals::get(&mut conn, id).await?;
    let timeline = events::for_order(&mut conn, OrderKind::Disposal, id).await?;
    render(DisposalPage {
        c: v.chrome("disposals"),
        d,
        timeline,
    })
}

/// Appraise → approve (or reject) → sell at auction or scrap → remit the proceeds.
async fn disposal_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let ctx = Context::by(v.actor.id).reason(field(&form, "reason"));
    let mut tx = state.pool.begin().await?;
    match action.as_str() {
        "appraise" => {
            v.require(&[Role::Admin, Role::Keeper])?;
            disposals::appraise(
                &mut tx,
                id,
                fen(field(&form, "value"))?,
                field(&form, "appraiser"),
                &ctx,
            )
            .await?;
        }
        "approve" => {
            v.require(&[Role::Admin])?;
            disposals::approve(&mut tx, id, &ctx).await?;
        }
        "reject" => {
            v.require(&[Role::Admin])?;
            disposals::reject(&mut tx, id, &ctx).await?;
        }
        "sell" => {
            v.require(&[Role::Admin])?;
            disposals::sell(
                &mut tx,
                id,
                fen(field(&form, "price"))?,
                field(&form, "buyer"),
                &ctx,
            )
            .await?;
        }
        "scrap" => {
            v.require(&[Role::Admin])?;
            disposals::scrap(&mut tx, id, &ctx).await?;
        }
        "remit" => {
            v.require(&[Role::Admin])?;
            disposals::remit(&mut tx, id, field(&form, "receipt"), &ctx).await?;
        }
        _ => return Err(ApiError::NotFound("no such action".into()).into()),
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/disposals/{id}")).into_response())
}

#[derive(sqlx::FromRow)]
struct UserRow {
    username: String,
    display_name: String,
    role: Role,
    department: Option<String>,
    active: bool,
}

impl UserRow {
    fn role(&self) -> &'static str {
        match self.role {
            Role::Admin => "admin",
            Role::Keeper => "keeper",
            Role::Requester => "requester",
            Role::Auditor => "auditor",
        }
    }
}

#[derive(askama::Template)]
#[template(path = "registers.html")]
struct RegistersPage {
    c: Chrome,
    users: Vec<UserRow>,
    departments: Vec<(i64, String, String)>,
    warehouses: Vec<(String, String, String)>,
    warehouse_ids: Vec<(i64, String, String)>,
    zones: Vec<(String, String, String, String)>,
}

async fn registers(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(&[Role::Admin])?;
    let mut conn = state.pool.acquire().await?;
    let users = sqlx::query_as(
        "select u.username, u.display_name, u.role, d.name as department, u.active
         from users u left join departments d on d.id = u.department_id order by u.username",
    )
    .fetch_all(&mut *conn)
    .await?;
    let departments = sqlx::query_as("select id, code, name from departments order by code")
        .fetch_all(&mut *conn)
        .await?;
    let warehouses = sqlx::query_as("select code, name, address from warehouses order by code")
        .fetch_all(&mut *conn)
        .await?;
    let warehouse_ids = sqlx::query_as("select id, code, name from warehouses order by code")
        .fetch_all(&mut *conn)
        .await?;
    let zones = sqlx::query_as(
        "select w.name, z.code, z.name, z.kind from zones z join warehouses w on w.id = z.warehouse_id order by w.code, z.code",
    )
    .fetch_all(&mut *conn)
    .await?;
    render(RegistersPage {
        c: v.chrome("registers"),
        users,
        departments,
        warehouses,
        warehouse_ids,
        zones,
    })
}

async fn add_user(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    let role = match field(&form, "role") {
        "admin" => Role::Admin,
        "keeper" => Role::Keeper,
        "auditor" => Role::Auditor,
        _ => Role::Requester,
    };
    let display = field(&form, "display_name");
    let body = NewUser {
        username: text(&form, "username")?,
        display_name: match display.is_empty() {
            true => None,
            false => Some(text(&form, "display_name")?),
        },
        password: named("password", NewPassword::parse(field(&form, "password")))?,
        role,
        department_id: field(&form, "department").parse().ok(),
    };
    let hash = state.guard.passwords.hash(body.password.expose()).await;
    insert_user_hashed(&mut *state.pool.acquire().await?, body.account(), &hash).await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

async fn add_department(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    sqlx::query("insert into departments (code, name) values ($1, $2)")
        .bind(field(&form, "code"))
        .bind(field(&form, "name"))
        .execute(&state.pool)
        .await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

async fn add_warehouse(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    sqlx::query("insert into warehouses (code, name, address) values ($1, $2, $3)")
        .bind(field(&form, "code"))
        .bind(field(&form, "name"))
        .bind(field(&form, "address"))
        .execute(&state.pool)
        .await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

async fn add_zone(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    let warehouse: i64 = field(&form, "warehouse")
        .parse()
        .map_err(|_| ApiError::Unprocessable("choose a warehouse".into()))?;
    sqlx::query("insert into zones (warehouse_id, code, name, kind) values ($1, $2, $3, $4)")
        .bind(warehouse)
        .bind(field(&form, "code"))
        .bind(field(&form, "name"))
        .bind(field(&form, "kind"))
        .execute(&state.pool)
        .await?;
    Ok(Redirect::to("/admin/registers").into_response())
}

#[derive(askama::Template)]
#[template(path = "compensations.html")]
struct CompensationsPage {
    c: Chrome,
    cases: Vec<Compensation>,
}

impl CompensationsPage {
    fn kind(&self, case: &Compensation) -> &'static str {
        match case.kind {
            compensations::Kind::Damage => "damage",
            compensations::Kind::Loss => "loss",
        }
    }
}

/// Compensation cases opened at return inspection: repaired (keeper or admin, for the repair
/// cost), paid (admin, with the receipt) or waived (admin, with a reason).
async fn compensation_list(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(&[Role::Admin, Role::Keeper, Role::Auditor])?;
    let (cases, _) =
        compensations::list(&mut *state.pool.acquire().await?, None, None, 1, 200).await?;
    render(CompensationsPage {
        c: v.chrome(if v.actor.role == Role::Keeper {
            "returns"
        } else {
            "dashboard"
        }),
        cases,
    })
}

async fn compensation_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let ctx = Context::by(v.actor.id).reason(field(&form, "reason"));
    let mut tx = state.pool.begin().await?;
    match action.as_str() {
        "repair" => {
            v.require(&[Role::Admin, Role::Keeper])?;
            compensations::repaired(&mut tx, id, fen(field(&form, "cost"))?, &ctx).await?;
        }
        "pay" => {
            v.require(&[Role::Admin])?;
            compensations::paid(&mut tx, id, field(&form, "receipt"), &ctx).await?;
        }
        "waive" => {
            v.require(&[Role::Admin])?;
            compensations::waived(&mut tx, id, &ctx).await?;
        }
        _ => return Err(ApiError::NotFound("no such action".into()).into()),
    }
    tx.commit().await?;
    Ok(Redirect::to("/compensations").into_response())
}
