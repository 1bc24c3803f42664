//! Everyone's inbox: their notifications (mark read, one or all), the work past its time
//! limit that they may see (限时办结: the staff all of it, a department its own), and the
//! address their notifications are e-mailed to.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{field, named, render, Chrome, Fields, PageResult, Posted, Viewer};
use crate::app::deadlines::{self, OverdueWork};
use crate::app::notices::{self, InboxFilter, Notification};
use crate::app::people::{self, UserChange};
use crate::app::{App, Paging};
use crate::domain::bounds::Email;
use crate::domain::deadlines::Acts;
use crate::web::Lang;

pub fn router() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/inbox/read", post(read_all))
        .route("/inbox/{id}/read", post(read_one))
        .route("/inbox/email", post(set_email))
}

#[derive(askama::Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    notifications: Vec<Notification>,
    /// The id to page on for older ones, when there are.
    older: Option<i64>,
    overdue: Vec<OverdueWork>,
    /// Whether the overdue work is everyone's, not only the viewer's to act on.
    all: bool,
    email: String,
    mail_on: bool,
}

impl InboxPage {
    fn title(&self, n: &Notification) -> String {
        match self.c.lang {
            Lang::Zh => n.words.title_zh.clone(),
            Lang::En => n.words.title_en.clone(),
        }
    }

    fn text(&self, n: &Notification) -> String {
        match self.c.lang {
            Lang::Zh => n.words.text_zh.clone(),
            Lang::En => n.words.text_en.clone(),
        }
    }

    fn href(&self, n: &Notification) -> String {
        n.href()
    }

    fn when(&self, n: &Notification) -> String {
        self.c.time(&n.created_at)
    }

    fn acts(&self, w: &OverdueWork) -> &'static str {
        match w.acts {
            Acts::Admin => "admin",
            Acts::Keeper => "keeper",
            Acts::Department => "department",
            Acts::Finance => "finance",
        }
    }

    fn due_key(&self, w: &OverdueWork) -> String {
        format!("due_{}", w.action)
    }

    fn kind_key(&self, w: &OverdueWork) -> &'static str {
        w.kind.as_str()
    }

    fn link(&self, w: &OverdueWork) -> String {
        use crate::db::events::OrderKind;
        match w.kind {
            OrderKind::Loan => format!("/orders/{}", w.id),
            OrderKind::Disposal => format!("/disposals/{}", w.id),
            OrderKind::Intake => format!("/keeper/intakes/{}", w.id),
            OrderKind::Compensation => "/compensations".into(),
            OrderKind::Transfer => format!("/transfers/{}", w.id),
            OrderKind::Rental => "/rentals".into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct InboxQuery {
    after: Option<i64>,
    /// Show all the overdue work one may see, not only one's own to act on.
    #[serde(default)]
    all: bool,
}

async fn inbox(v: Viewer, State(app): State<App>, Query(q): Query<InboxQuery>) -> PageResult {
    let paging = Paging {
        per_page: Some(50),
        after: q.after,
        ..Default::default()
    };
    let page = notices::inbox(&app, &v.actor, InboxFilter::default(), paging).await?;
    let older = page
        .has_more
        .then(|| page.items.last().map(|n| n.id))
        .flatten();
    let acts = if q.all {
        None
    } else {
        deadlines::acts_of(&v.actor)
    };
    let overdue = deadlines::overdue(&app, &v.actor, acts).await?;
    let me = people::get_user(&app, &v.actor, v.actor.id).await?;
    render(InboxPage {
        c: v.chrome("inbox"),
        notifications: page.items,
        older,
        overdue,
        all: q.all || acts.is_none(),
        email: me.email.unwrap_or_default(),
        mail_on: app.mailer.is_some(),
    })
}

async fn read_all(State(app): State<App>, Posted { viewer: v, .. }: Posted<Fields>) -> PageResult {
    notices::mark_all_read(&app, &v.actor).await?;
    Ok(Redirect::to("/inbox").into_response())
}

async fn read_one(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, .. }: Posted<Fields>,
) -> PageResult {
    notices::mark_read(&app, &v.actor, id).await?;
    Ok(Redirect::to("/inbox").into_response())
}

/// One's own e-mail address for notifications (empty: none).
async fn set_email(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let email = named("email", Email::parse(field(&form, "email")))?;
    let change = UserChange {
        email: Some(email),
        ..Default::default()
    };
    people::update_user(&app, &v.actor, v.actor.id, change, None).await?;
    Ok(Redirect::to(&super::done("/inbox", "saved")).into_response())
}
