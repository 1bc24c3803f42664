//! A department's transfers (调配) on the web: its list, the request form (assets to keep for
//! good: a number of a category, or specific assets), and each transfer's page with its lines,
//! the assets allocated and its history, where the department may cancel it while it can.
//! The admin decides and hands over on `/admin/transfers`.

use std::collections::HashMap;

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

use super::{field, ids, note, render, Chrome, Fields, PageError, PageResult, Posted, Viewer};
use crate::app::policy::{self, Target};
use crate::app::{self, catalogue, people, transfers, App, Op, Reason};
use crate::db::events::Event;
use crate::db::orders::Line;
use crate::db::transfers::{NewTransfer, Transfer};
use crate::domain::bounds::Note;
use crate::domain::lifecycle::orders::{TransferStatus, TRANSFER_ACTIONS};

pub fn router() -> Router<App> {
    Router::new()
        .route("/transfers", get(list).post(request))
        .route("/transfers.csv", get(list_csv))
        .route("/transfers/new", get(form))
        .route("/transfers/{id}", get(detail))
        .route("/transfers/{id}/cancel", post(cancel))
}

/// The category lines the form offers.
const LINES: usize = 3;

#[derive(askama::Template)]
#[template(path = "transfers_own.html")]
struct ListPage {
    c: Chrome,
    status: String,
    transfers: Vec<Transfer>,
    pager: super::Pager,
}

impl ListPage {
    fn statuses(&self) -> &'static [TransferStatus] {
        TransferStatus::ALL
    }
}

/// The department's transfers, newest first, a page at a time (an admin: everyone's).
async fn list(v: Viewer, State(app): State<App>, Query(q): Query<super::ListQuery>) -> PageResult {
    let status = TransferStatus::named(&q.status);
    let paging = super::list_paging(&q.page)?;
    let found = transfers::list(&app, &v.actor, status, None, paging).await?;
    let status = status.map(|s| s.as_str()).unwrap_or_default();
    render(ListPage {
        c: v.chrome("my_transfers"),
        status: status.to_owned(),
        pager: super::Pager::of("/transfers", &[("status", status)], &found),
        transfers: found.items,
    })
}

/// The transfers the list shows (every page, with its status filter) as CSV.
async fn list_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<super::ListQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = transfers::export(&app, &v.actor, TransferStatus::named(&q.status)).await?;
    let columns = super::reports::TRANSFER_COLUMNS;
    Ok(style.download(
        &v,
        "transfers",
        columns,
        rows,
        super::reports::transfer_cells,
    ))
}

#[derive(askama::Template)]
#[template(path = "transfer_new.html")]
struct FormPage {
    c: Chrome,
    categories: Vec<(i64, String)>,
    /// For one who belongs to no department (the admin, on a department's behalf): the
    /// departments to choose from, and the one chosen.
    departments: Vec<(i64, String)>,
    department: String,
    /// (category, quantity) as typed, per line.
    lines: Vec<(String, String)>,
    assets: String,
    purpose: String,
    error: String,
}

/// The departments to request for, when the viewer has none of their own.
async fn departments(app: &App, v: &Viewer) -> Result<Vec<(i64, String)>, PageError> {
    if v.actor.department_id.is_some() {
        return Ok(Vec::new());
    }
    Ok(people::list_departments(app, &v.actor)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

impl FormPage {
    /// The field the error is about, when the form shows that field.
    fn placed(&self) -> Option<&'static str> {
        super::order_form_field(&self.error)
            .filter(|f| *f != "department" || !self.departments.is_empty())
    }
    fn error_at(&self, field: &str) -> bool {
        self.placed() == Some(field)
    }
    fn error_above(&self) -> bool {
        !self.error.is_empty() && self.placed().is_none()
    }

    fn department_selected(&self, id: &i64) -> bool {
        self.department == id.to_string()
    }

    fn selected(&self, line: &(String, String), id: &i64) -> bool {
        line.0 == id.to_string()
    }

    fn name(&self, what: &str, i: &usize) -> String {
        match i {
            0 => what.to_owned(),
            _ => format!("{what}_{}", i + 1),
        }
    }
}

async fn form(v: Viewer, State(app): State<App>) -> PageResult {
    policy::authorize(&v.actor, Op::RequestTransfer, Target::Nothing)?;
    render(FormPage {
        c: v.chrome("my_transfers"),
        categories: catalogue::category_names(&app, &v.actor).await?,
        departments: departments(&app, &v).await?,
        department: String::new(),
        lines: vec![Default::default(); LINES],
        assets: String::new(),
        purpose: String::new(),
        error: String::new(),
    })
}

/// The request; a refusal shows the form again with the reason and what was typed.
async fn request(State(app): State<App>, Posted { viewer: v, form }: Posted<Fields>) -> PageResult {
    policy::authorize(&v.actor, Op::RequestTransfer, Target::Nothing)?;
    let mut page = FormPage {
        c: v.chrome("my_transfers"),
        categories: Vec::new(),
        departments: Vec::new(),
        department: field(&form, "department").to_owned(),
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
        purpose: field(&form, "purpose").to_owned(),
        error: String::new(),
    };
    let result = async {
        let mut lines = Vec::new();
        for (category, quantity) in page.lines.iter().filter(|(c, _)| !c.is_empty()) {
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
        let assets = ids(&page.assets).map_err(|e| match e {
            PageError::App(e) => e,
            _ => app::Error::Invalid("bad asset numbers".into()),
        })?;
        for asset_id in assets {
            lines.push(Line {
                id: 0,
                category_id: None,
                asset_id: Some(asset_id),
                kit_id: None,
                quantity: 1,
            });
        }
        let department_id = match page.department.as_str() {
            "" => None,
            d => Some(
                d.parse()
                    .map_err(|_| app::Error::Invalid("choose a department".into()))?,
            ),
        };
        let new = NewTransfer {
            department_id,
            purpose: Note::parse(page.purpose.clone())
                .map_err(|e| app::Error::Invalid(format!("purpose: {e}")))?,
            lines,
        };
        Ok::<i64, app::Error>(transfers::request(&app, &v.actor, new).await?.id)
    }
    .await;
    match result {
        Ok(id) => Ok(
            Redirect::to(&super::done(&format!("/transfers/{id}"), "requested")).into_response(),
        ),
        Err(app::Error::Internal(e)) => Err(PageError::App(app::Error::Internal(e))),
        Err(e) => {
            page.error = e.to_string();
            page.categories = catalogue::category_names(&app, &v.actor).await?;
            page.departments = departments(&app, &v).await?;
            let mut response = render(page)?;
            *response.status_mut() = super::status(&e);
            Ok(response)
        }
    }
}

#[derive(askama::Template)]
#[template(path = "transfer.html")]
struct DetailPage {
    c: Chrome,
    transfer: Transfer,
    categories: HashMap<i64, String>,
    timeline: Vec<Event>,
    /// What the viewer may do to it now: approve, reject, issue (hand over), cancel.
    can: Vec<&'static str>,
}

impl DetailPage {
    fn can(&self, action: &str) -> bool {
        self.can.contains(&action)
    }

    fn category(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.categories.get(&id))
            .map(|name| self.c.category(name).to_owned())
            .unwrap_or_default()
    }
}

/// What the page offers, each with the operation it takes and the transfer action of the
/// lifecycle's status table.
const OFFERS: &[policy::Offer] = &[
    ("approve", Op::ApproveTransfer, "approve"),
    ("reject", Op::RejectTransfer, "reject"),
    ("issue", Op::IssueTransfer, "issue"),
    ("cancel", Op::CancelTransfer, "cancel"),
];

async fn detail(v: Viewer, State(app): State<App>, Path(id): Path<i64>) -> PageResult {
    let transfer = transfers::get(&app, &v.actor, id).await?;
    let timeline = transfers::events(&app, &v.actor, id).await?;
    let categories = catalogue::category_names(&app, &v.actor)
        .await?
        .into_iter()
        .collect();
    let can = policy::offered(&v.actor, OFFERS, TRANSFER_ACTIONS, transfer.status);
    render(DetailPage {
        c: v.chrome("my_transfers"),
        transfer,
        categories,
        timeline,
        can,
    })
}

async fn cancel(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let here = format!("/transfers/{id}");
    if !super::confirmed(&form) || field(&form, "reason").trim().is_empty() {
        // Asked only about a transfer the person may see (another department's: not found).
        transfers::get(&app, &v.actor, id).await?;
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::CancelTransfer,
                title: &format!("{} {id}?", v.lang.t("cancel_transfer")),
                message: v.lang.t("cancel_transfer_text").to_owned(),
                action: format!("{here}/cancel"),
                reason_asked: true,
                back: here,
            },
        );
    }
    let reason = note(&form, "reason")?;
    transfers::cancel(&app, &v.actor, id, Reason { reason }).await?;
    Ok(Redirect::to(&super::done(&here, "cancelled")).into_response())
}
