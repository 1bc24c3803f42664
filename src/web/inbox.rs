//! Everyone's inbox: their notifications (mark read, one or all), the work past its time
//! limit that they may see (限时办结: the staff all of it, a department its own), and the
//! address their notifications are e-mailed to.

use axum::extract::{Query, State};

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{field, named, render, Chrome, Fields, PageResult, Posted, Viewer};
use crate::app::deadlines::{self, Beyond, OverdueWork};
use crate::app::notices::{self, InboxFilter, Notification};
use crate::app::people::{self, UserChange};
use crate::app::{App, Paging};
use crate::db::events::OrderKind;
use crate::domain::bounds::Email;
use crate::web::Lang;

pub fn router() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/inbox/overdue", get(overdue_of))
        .route("/inbox/overdue.csv", get(overdue_csv))
        .route("/inbox.csv", get(inbox_csv))
        .route("/inbox/read", post(read_all))
        .route("/inbox/{id}/read", post(read_one))
        .route("/inbox/email", post(set_email))
}

#[derive(askama::Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    /// The e-mail form, when it was refused: why, and what was typed.
    refused: super::Refused,
    notifications: Vec<Notification>,
    /// The id to page on for older ones, when there are.
    older: Option<i64>,
    overdue: Vec<OverdueWork>,
    /// The limits past which there is more work than the list holds, and how much.
    beyond: Vec<Beyond>,
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

    /// What the work past a limit is, in the page's language: "Loan · Return".
    fn beyond_what(&self, b: &Beyond) -> String {
        format!(
            "{} · {}",
            self.c.t(b.kind.as_str()),
            self.c.t(&format!("due_{}", b.action))
        )
    }

    /// That the list holds only the most late past `b`'s limit, of how many.
    fn beyond_text(&self, b: &Beyond) -> String {
        let total = match b.exact {
            true => b.total.to_string(),
            false => format!("{} {}", self.c.t("at_least"), b.total),
        };
        self.c
            .t("overdue_beyond")
            .replace("{what}", &self.beyond_what(b))
            .replace("{shown}", &b.shown.to_string())
            .replace("{total}", &total)
    }

    /// All the work past `b`'s limit, a page at a time.
    fn beyond_href(&self, b: &Beyond) -> String {
        overdue_href(b.kind, b.status)
    }

    fn beyond_id(&self, b: &Beyond) -> String {
        format!("overdue-beyond-{}-{}", b.kind.as_str(), b.status)
    }
}

/// The address of all the work past the limit of `kind` in `status`.
fn overdue_href(kind: OrderKind, status: &str) -> String {
    format!("/inbox/overdue?kind={}&status={status}", kind.as_str())
}

/// What the pages that list overdue work (`_overdue.html`) say of each row.
trait OverdueRows {
    fn acts(&self, w: &OverdueWork) -> &'static str {
        w.acts.as_str()
    }

    fn due_key(&self, w: &OverdueWork) -> String {
        format!("due_{}", w.action)
    }

    fn kind_key(&self, w: &OverdueWork) -> &'static str {
        w.kind.as_str()
    }

    fn link(&self, w: &OverdueWork) -> String {
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

impl OverdueRows for InboxPage {}
impl OverdueRows for OverduePage {}

/// All the work past one time limit, a page at a time: what the inbox leads to when it
/// holds only the most late of it.
#[derive(askama::Template)]
#[template(path = "overdue.html")]
struct OverduePage {
    c: Chrome,
    /// What is past its limit: "Loan · Return".
    what: String,
    overdue: Vec<OverdueWork>,
    pager: super::Pager,
    /// The export of all of it.
    csv: String,
}

#[derive(Debug, Default, Deserialize)]
struct OverdueQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

async fn overdue_of(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<OverdueQuery>,
) -> PageResult {
    let paging = super::list_paging(&q.page)?;
    let (limit, found) = deadlines::overdue_of(&app, &v.actor, &q.kind, &q.status, paging).await?;
    let c = v.chrome("inbox");
    let what = format!(
        "{} · {}",
        c.t(limit.kind),
        c.t(&format!("due_{}", limit.action))
    );
    render(OverduePage {
        csv: super::with_query(
            "/inbox/overdue.csv",
            &[("kind", limit.kind), ("status", limit.status)],
        ),
        pager: super::Pager::of(
            "/inbox/overdue",
            &[("kind", limit.kind), ("status", limit.status)],
            &found,
        ),
        overdue: found.items,
        what,
        c,
    })
}

/// All of one's notifications, as CSV.
async fn inbox_csv(
    v: Viewer,
    State(app): State<App>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let rows = notices::inbox_export(&app, &v.actor).await?;
    let columns = super::reports::NOTIFICATION_COLUMNS;
    let cells = super::reports::notification_cells;
    Ok(style.download(&v, "notifications", columns, rows, cells))
}

/// The work past one time limit, every page of it, as CSV.
async fn overdue_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<OverdueQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let (_, rows) = deadlines::overdue_export(&app, &v.actor, &q.kind, &q.status).await?;
    let columns = super::reports::OVERDUE_WORK_COLUMNS;
    let cells = super::reports::overdue_work_cells;
    Ok(style.download(&v, "overdue-work", columns, rows, cells))
}

#[derive(Debug, Default, Deserialize)]
struct InboxQuery {
    after: Option<i64>,
    /// Show all the overdue work one may see, not only one's own to act on.
    #[serde(default)]
    all: bool,
}

async fn inbox(v: Viewer, State(app): State<App>, Query(q): Query<InboxQuery>) -> PageResult {
    inbox_page(&app, &v, q, super::Refused::default()).await
}

/// The inbox, with the e-mail form as it was refused, if it was.
async fn inbox_page(app: &App, v: &Viewer, q: InboxQuery, refused: super::Refused) -> PageResult {
    let app = app.clone();
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
    let overdue = deadlines::overdue_listed(&app, &v.actor, acts).await?;
    let me = people::get_user(&app, &v.actor, v.actor.id).await?;
    render(InboxPage {
        c: v.chrome("inbox"),
        notifications: page.items,
        older,
        overdue: overdue.work,
        beyond: overdue.beyond,
        all: q.all || acts.is_none(),
        email: me.email.unwrap_or_default(),
        mail_on: app.mailer.is_some(),
        refused,
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
    let outcome = async {
        let email = named("email", Email::parse(field(&form, "email")))?;
        let change = UserChange {
            email: Some(email),
            ..Default::default()
        };
        people::update_user(&app, &v.actor, v.actor.id, change, None).await?;
        Ok(super::done("/inbox", "saved"))
    }
    .await;
    super::after_form(&v, "email", form.clone(), outcome, |refused| {
        inbox_page(&app, &v, InboxQuery::default(), refused)
    })
    .await
}
