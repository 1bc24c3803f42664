//! The admin's webhooks page: register one (its secret shown this once), delete, and each
//! webhook's latest deliveries — waiting, delivered or given up — with a replay button.

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{field, invalid, render, text, Chrome, Fields, PageResult, Posted, Viewer};
use crate::app::webhooks::{self, NewWebhook};
use crate::app::{App, Op};
use crate::db::webhooks::{Delivery, Webhook};
use crate::domain::bounds::Text;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/webhooks", get(page).post(register))
        .route("/admin/webhooks/{id}/deliveries.csv", get(deliveries_csv))
        .route("/admin/webhooks/{id}/delete", post(delete))
        .route("/admin/webhook-deliveries/{id}/replay", post(replay))
}

#[derive(askama::Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    hooks: Vec<Webhook>,
    /// The webhook whose deliveries are shown, and a page of them.
    shown: Option<i64>,
    deliveries: Vec<Delivery>,
    pager: Option<super::Pager>,
    /// A webhook just registered: its secret, this once.
    secret: String,
    /// The registration form, when it was refused: why, and what was typed.
    refused: super::Refused,
}

impl WebhooksPage {
    /// The actions a webhook follows, each by its name in the page's language with the
    /// code the form takes.
    fn actions(&self, w: &Webhook) -> String {
        match w.actions.is_empty() {
            true => self.c.t("every_event").to_owned(),
            false => w
                .actions
                .iter()
                .map(|code| match self.c.action(code) {
                    said if said == *code => said,
                    said => format!("{said} ({code})"),
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Shown {
    #[serde(default)]
    hook: Option<i64>,
    /// The page of its deliveries.
    #[serde(default)]
    page: String,
}

/// Every delivery of a webhook, as CSV.
async fn deliveries_csv(
    v: Viewer,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let rows = webhooks::delivery_export(&app, &v.actor, id).await?;
    let columns = super::reports::DELIVERY_COLUMNS;
    let cells = super::reports::delivery_cells;
    Ok(style.download(&v, "webhook-deliveries", columns, rows, cells))
}

async fn page(v: Viewer, State(app): State<App>, Query(q): Query<Shown>) -> PageResult {
    let paging = super::list_paging(&q.page)?;
    show(
        &v,
        &app,
        q.hook,
        paging,
        String::new(),
        super::Refused::default(),
    )
    .await
}

async fn show(
    v: &Viewer,
    app: &App,
    shown: Option<i64>,
    paging: crate::app::Paging,
    secret: String,
    refused: super::Refused,
) -> PageResult {
    let hooks = webhooks::list(app, &v.actor).await?;
    let shown = shown.or(hooks.first().map(|h| h.id));
    let (deliveries, pager) = match shown {
        Some(id) => {
            let found = webhooks::deliveries(app, &v.actor, id, paging).await?;
            let hook = id.to_string();
            let pager = super::Pager::of("/admin/webhooks", &[("hook", &hook)], &found);
            (found.items, Some(pager))
        }
        None => (Vec::new(), None),
    };
    render(WebhooksPage {
        c: v.chrome("webhooks"),
        hooks,
        shown,
        deliveries,
        pager,
        secret,
        refused,
    })
}

/// Register: the page again, with the new webhook's secret shown once; refused, with the
/// reason beside the form and what was typed.
async fn register(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let first = super::first_page();
    match create(&app, &v, &form).await {
        Ok(registered) => {
            let id = Some(registered.webhook.id);
            let secret = registered.secret;
            show(&v, &app, id, first, secret, super::Refused::default()).await
        }
        Err(e) => {
            super::shown_again(e, |e| {
                let refused = super::Refused::new(&v, "webhook", &e, form.clone());
                show(&v, &app, None, first, String::new(), refused)
            })
            .await
        }
    }
}

async fn create(
    app: &App,
    v: &Viewer,
    form: &Fields,
) -> Result<webhooks::Registered, super::PageError> {
    let url = text(form, "url")?;
    let mut actions = Vec::new();
    for a in field(form, "actions")
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        actions.push(Text::parse(a).map_err(|e| invalid(format!("actions: {e}")))?);
    }
    Ok(webhooks::create(app, &v.actor, NewWebhook { url, actions }).await?)
}

async fn delete(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    if !super::confirmed(&form) {
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::DeleteWebhook,
                title: &format!("{} {id}?", v.lang.t("delete_webhook")),
                message: v.lang.t("delete_webhook_text").to_owned(),
                action: format!("/admin/webhooks/{id}/delete"),
                reason_asked: false,
                back: format!("/admin/webhooks?hook={id}"),
            },
        );
    }
    webhooks::delete(&app, &v.actor, id).await?;
    Ok(Redirect::to(&super::done("/admin/webhooks", "deleted")).into_response())
}

async fn replay(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, .. }: Posted<Fields>,
) -> PageResult {
    let delivery = webhooks::replay(&app, &v.actor, id).await?;
    Ok(Redirect::to(&super::done(
        &format!("/admin/webhooks?hook={}", delivery.webhook_id),
        "replayed",
    ))
    .into_response())
}
