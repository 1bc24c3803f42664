//! The web pages: server-rendered HTML (askama templates in `templates/`) from the same
//! binary and the same `db::*` functions as the JSON API. No front-end build, no script
//! needed: plain forms that post and redirect. The live pages (gate, stocktake) also load
//! one small static script that follows the event stream; without it they still work.
//!
//! Every page needs the session cookie; an anonymous request is sent to `/login`. Every
//! state-changing form carries a token derived from the session (see [`csrf_token`]) and
//! must also pass the API's same-origin check; [`Posted`] enforces both before a handler runs.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::app::names::{Glossary, Register};
use crate::app::{self, App};
use crate::auth::{self, Actor, Role};
use crate::cookie;
use crate::domain::bounds;

mod admin;
mod bookings;
mod documents;
pub mod i18n;
mod inbox;
mod keeper;
mod live;
mod orders;
mod register;
mod rentals;
mod reports;
mod requester;
mod session;
mod transfers;
mod webhooks;

pub use i18n::Lang;

/// The pages, to be merged into the application router.
pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/static/depot.css", get(css))
        .route("/static/back.js", get(back_script))
        .merge(session::router())
        .merge(requester::router())
        .merge(transfers::router())
        .merge(webhooks::router())
        .merge(orders::router())
        .merge(documents::router())
        .merge(admin::router())
        .merge(bookings::router())
        .merge(keeper::router())
        .merge(live::router())
        .merge(rentals::router())
        .merge(reports::router())
        .merge(register::router())
        .merge(inbox::router())
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/depot.css"),
    )
        .into_response()
}

/// The error page's Back: through the browser's history when there is one, so the form
/// comes back with what was typed in it; the link's own address otherwise.
async fn back_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/back.js"),
    )
        .into_response()
}

/// Each role lands on the page it uses most.
async fn home(v: Viewer) -> Redirect {
    Redirect::to(match v.actor.role {
        Role::Requester => "/catalogue",
        Role::Keeper => "/keeper/picks",
        Role::Admin => "/admin/approvals",
        Role::Auditor => "/reports",
        Role::Finance => "/finance/sign-offs",
    })
}

/// The CSRF token of a session: a digest of the session's secret token, so it is tied to
/// the session, needs no storage, and cannot be computed by a page that lacks the cookie.
pub fn csrf_token(session_token: &str) -> String {
    let digest = Sha256::digest(format!("depot-csrf\0{session_token}").as_bytes());
    crate::domain::epc::hex_upper(&digest).to_lowercase()
}

/// The person looking at a page: who they are, their language and their form token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub lang: Lang,
    pub csrf: String,
    /// Path and query of this page, to come back to after switching language.
    pub path: String,
    /// Their unread notifications, for the menu.
    pub unread: i64,
    /// The depot's time zone, for the times shown.
    pub tz: chrono::FixedOffset,
    /// Names kept in another language, to say them in the viewer's.
    pub names: Arc<Glossary>,
}

impl Viewer {
    /// What every page template needs for its frame.
    pub fn chrome(&self, here: &'static str) -> Chrome {
        Chrome {
            lang: self.lang,
            user: Some(self.actor.clone()),
            csrf: self.csrf.clone(),
            here,
            nav: nav(self.actor.role),
            path: self.path.clone(),
            unread: self.unread,
            tz: self.tz,
            names: self.names.clone(),
        }
    }
}

impl FromRequestParts<App> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &App) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_headers(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let Some(token) = cookie::session(&parts.headers) else {
            return Err(PageError::Login(next));
        };
        let mut conn = state.pool.acquire().await.map_err(app::Error::from)?;
        let actor = auth::actor_for_session(&mut conn, &token)
            .await
            .map_err(app::Error::from)?
            .ok_or_else(|| PageError::Login(next.clone()))?;
        drop(conn);
        let unread = app::notices::unread(state, &actor).await?.unread;
        let names = app::names::glossary(state).await?;
        Ok(Viewer {
            actor,
            lang,
            csrf: csrf_token(&token),
            path: next,
            unread,
            tz: state.config.time_zone,
            names,
        })
    }
}

/// Who posts, if the request comes from our own origin (else it is forged: 403).
async fn from_our_page(parts: &mut Parts, state: &App) -> Result<Viewer, PageError> {
    let viewer = Viewer::from_request_parts(parts, state).await?;
    if !cookie::same_origin(&parts.headers) {
        return Err(PageError::Forged);
    }
    Ok(viewer)
}

/// A form posted from one of our pages: the viewer, and the fields as `T`. Refused (403,
/// nothing done) unless it comes from our origin and carries the session's token; refused
/// (422) if any field holds NUL or a control character other than tab and line breaks.
pub struct Posted<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<App> for Posted<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = from_our_page(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, 1024 * 1024)
            .await
            .map_err(|_| PageError::Bad("the form is too large".into()))?;
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::Forged)?;
        for (name, value) in &fields {
            bounds::check_form_field(value).map_err(|e| invalid(format!("{name}: {e}")))?;
        }
        let sent = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), viewer.csrf.as_bytes()) {
            return Err(PageError::Forged);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| invalid(format!("the form is incomplete: {e}")))?;
        Ok(Posted { viewer, form })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form whose fields repeat (check boxes): every name/value pair in order.
pub type Fields = Vec<(String, String)>;

/// A multipart form from our own page (one that sends a file): the viewer, its form token
/// checked, its text fields, and the file chosen as `file` (none when none was chosen).
pub struct Upload {
    pub app: App,
    pub viewer: Viewer,
    pub fields: Fields,
    pub file: Option<UploadedFile>,
}

/// A file as the browser sent it.
pub struct UploadedFile {
    pub bytes: Vec<u8>,
    pub name: String,
    /// The type the browser gave it.
    pub declared_type: Option<String>,
}

impl Upload {
    /// A text field, if the form sent it.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl FromRequest<App> for Upload {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = from_our_page(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            invalid(format!("the upload cannot be read: {}", e.body_text()))
        };
        let mut form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| invalid(format!("the upload cannot be read: {}", e.body_text())))?;
        let mut upload = Upload {
            app: state.clone(),
            viewer,
            fields: Vec::new(),
            file: None,
        };
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let declared_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(unreadable)?;
                // A browser sends an empty part with no name when no file was chosen.
                if !bytes.is_empty() || !file_name.is_empty() {
                    upload.file = Some(UploadedFile {
                        bytes: bytes.to_vec(),
                        name: file_name,
                        declared_type,
                    });
                }
            } else {
                let value = field.text().await.map_err(unreadable)?;
                upload.fields.push((name, value));
            }
        }
        let csrf = upload.text("csrf").unwrap_or_default();
        if !constant_time_eq(csrf.as_bytes(), upload.viewer.csrf.as_bytes()) {
            return Err(PageError::Forged);
        }
        Ok(upload)
    }
}

pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or_default()
}

/// A one-line text field (trimmed), refused with a 422 naming it if it does not fit
/// [`bounds::Text`].
pub fn text(fields: &Fields, name: &str) -> Result<bounds::Text, PageError> {
    named(name, bounds::Text::parse(field(fields, name)))
}

/// A one-line text field that may be left empty: `None` then.
pub fn optional_text(fields: &Fields, name: &str) -> Result<Option<bounds::Text>, PageError> {
    match field(fields, name) {
        "" => Ok(None),
        _ => text(fields, name).map(Some),
    }
}

/// A free-text field (trimmed) that may span lines: [`bounds::Note`].
pub fn note(fields: &Fields, name: &str) -> Result<bounds::Note, PageError> {
    named(name, bounds::Note::parse(field(fields, name)))
}

/// A date field: empty is `None`, anything else must be a [`bounds::Day`].
pub fn day(fields: &Fields, name: &str) -> Result<Option<bounds::Day>, PageError> {
    match field(fields, name) {
        "" => Ok(None),
        value => named(name, bounds::Day::parse(value)).map(Some),
    }
}

/// A whole number typed into a field, or a 422 that names the field.
pub fn number<T: std::str::FromStr>(fields: &Fields, name: &str) -> Result<T, PageError> {
    let value = field(fields, name);
    value
        .parse()
        .map_err(|_| invalid(format!("{name}: {value:?} is not a whole number in range")))
}

/// A value of a field, or a 422 that names the field.
pub fn named<T>(name: &str, value: Result<T, bounds::OutOfBounds>) -> Result<T, PageError> {
    value.map_err(|e| invalid(format!("{name}: {e}")))
}

/// Numbers from a free-text list ("12, 13 14").
pub fn ids(text: &str) -> Result<Vec<i64>, PageError> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| invalid(format!("{s:?} is not an asset number")))
        })
        .collect()
}

/// Yuan typed into a form, as fen (bounded, checked: see [`bounds::Fen::from_yuan`]).
pub fn fen(text: &str) -> Result<bounds::Fen, PageError> {
    bounds::Fen::from_yuan(text).map_err(|e| invalid(e.0))
}

/// An amount in fen, however many references away (templates hand out references): a
/// stored amount, or a sum of many.
pub trait Amount {
    fn fen(&self) -> i128;
}

impl Amount for i64 {
    fn fen(&self) -> i128 {
        (*self).into()
    }
}

impl Amount for bounds::FenSum {
    fn fen(&self) -> i128 {
        self.get()
    }
}

impl<T: Amount + ?Sized> Amount for &T {
    fn fen(&self) -> i128 {
        (**self).fen()
    }
}

/// The frame around every page: language, who is signed in, the form token, navigation.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<Actor>,
    pub csrf: String,
    /// The navigation entry this page belongs to.
    pub here: &'static str,
    pub nav: Vec<(&'static str, &'static str)>,
    pub path: String,
    /// Unread notifications, shown beside the inbox in the menu.
    pub unread: i64,
    /// The depot's time zone: every time on a page is in it.
    pub tz: chrono::FixedOffset,
    /// Names kept in another language.
    pub names: Arc<Glossary>,
}

impl Chrome {
    pub fn anonymous(lang: Lang) -> Chrome {
        Chrome {
            lang,
            user: None,
            csrf: String::new(),
            here: "",
            nav: Vec::new(),
            path: String::from("/login"),
            unread: 0,
            tz: crate::config::default_time_zone(),
            names: Default::default(),
        }
    }

    /// A name from `register` in the page's language, where the depot keeps it so.
    fn say_name<'a>(&'a self, register: Register, name: &'a str) -> &'a str {
        self.names.say(register, name, self.lang == Lang::Zh)
    }

    /// A category's name in the page's language.
    pub fn category<'a>(&'a self, name: &'a str) -> &'a str {
        self.say_name(Register::Category, name)
    }

    /// A department's name in the page's language.
    pub fn department<'a>(&'a self, name: &'a str) -> &'a str {
        self.say_name(Register::Department, name)
    }

    /// A warehouse's name in the page's language.
    pub fn warehouse<'a>(&'a self, name: &'a str) -> &'a str {
        self.say_name(Register::Warehouse, name)
    }

    /// A zone's name in the page's language.
    pub fn zone_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.say_name(Register::Zone, name)
    }

    /// A place as the database writes it, "warehouse · zone", in the page's language.
    pub fn place(&self, place: &str) -> String {
        match place.split_once(" · ") {
            Some((warehouse, zone)) => {
                format!("{} · {}", self.warehouse(warehouse), self.zone_name(zone))
            }
            None => self.zone_name(place).to_owned(),
        }
    }

    /// A moment as the depot's clocks show it, to the minute: `2026-11-30 10:44`.
    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// To the second.
    pub fn time_s(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// The depot's offset from UTC in minutes, for a script that writes times.
    pub fn tz_minutes(&self) -> i32 {
        self.tz.local_minus_utc() / 60
    }

    /// The depot's time zone as pages name it: `UTC+08:00`.
    pub fn zone(&self) -> String {
        format!("UTC{}", self.tz)
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The reason an event's history gives, in the page's language.
    pub fn reason(&self, reason: &str) -> String {
        match self.lang {
            Lang::En => reason.to_owned(),
            Lang::Zh => crate::app::messages::reason_in_chinese(reason),
        }
    }

    /// An operation's message (an error) in the page's language.
    pub fn say(&self, message: &str) -> String {
        self.lang.say(message)
    }

    /// What the last action did, when this page was reached by its redirect
    /// (`?done=KEY`, KEY one of [`FLASHES`]): said at the top of the page.
    pub fn flash(&self) -> &'static str {
        let query = self.path.split_once('?').map_or("", |(_, q)| q);
        query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("done="))
            .find_map(|key| FLASHES.iter().find(|k| **k == key))
            .map_or("", |key| self.lang.t(&format!("done_{key}")))
    }

    pub fn action(&self, action: &str) -> String {
        self.lang.action(action)
    }

    /// What an event's action is called: a name of its own for the paperwork it belongs to
    /// (a rental's "receive" is not an asset's), else the action's.
    pub fn event_action(&self, event: &crate::db::events::Event) -> String {
        match event.order_kind {
            Some(kind) if event.asset_id.is_none() => self
                .lang
                .action_of(kind.as_str(), &event.action)
                .unwrap_or_else(|| self.lang.action(&event.action)),
            _ => self.lang.action(&event.action),
        }
    }

    pub fn yuan(&self, fen: impl Amount) -> String {
        i18n::yuan(fen.fen())
    }

    pub fn current(&self, key: &str) -> bool {
        self.here == key
    }

    /// The link that switches to `code` and comes back here.
    pub fn switch_to(&self, code: &str) -> String {
        format!("/lang/{code}?back={}", percent(&self.path))
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn role(&self) -> &'static str {
        match self.user.as_ref().map(|u| u.role) {
            Some(Role::Admin) => "admin",
            Some(Role::Keeper) => "keeper",
            Some(Role::Requester) => "requester",
            Some(Role::Auditor) => "auditor",
            Some(Role::Finance) => "finance",
            None => "",
        }
    }

    /// The unread count beside a menu entry: the inbox's, when there are any.
    pub fn badge(&self, key: &str) -> String {
        match (key, self.unread) {
            ("inbox", n) if n >= app::notices::UNREAD_CAP => format!("{}+", n - 1),
            ("inbox", n) if n > 0 => n.to_string(),
            _ => String::new(),
        }
    }

    /// Whether the person may do `op` at all: what a page offers them.
    pub fn may(&self, op: app::Op) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| app::policy::permits(u, op))
    }
}

/// What an action's redirect can say it did (`?done=KEY`; each has a label `done_KEY`).
pub const FLASHES: &[&str] = &[
    "requested",
    "approved",
    "rejected",
    "cancelled",
    "issued",
    "returned",
    "handed_over",
    "appraised",
    "sold",
    "scrapped",
    "remitted",
    "proposed",
    "marked_lost",
    "recovered",
    "retagged",
    "tag_written",
    "attached",
    "finished",
    "user_saved",
    "password_reset",
    "user_disabled",
    "user_enabled",
    "received",
    "inspected",
    "counted",
    "saved",
    "created",
    "deleted",
    "swapped",
    "replayed",
    "passage_confirmed",
    "passage_dismissed",
    "acknowledged",
    "walk_started",
    "walk_finished",
    "walk_cancelled",
    "threshold_applied",
];

/// Which field of a loan or transfer form an error is about (`lines`, `assets`, `kit`,
/// `from`, `to`, `purpose`, `department`), for the form to say it beside that field; `None`:
/// above the form.
pub fn order_form_field(message: &str) -> Option<&'static str> {
    let key = crate::app::messages::lookup(message)?.key;
    Some(match key {
        "only_available" | "only_in_depot" | "quantity_range" | "give_quantity_each"
        | "choose_category" | "no_such_category" | "request_needs_line" | "request_max_lines"
        | "line_names_one" | "not_a_whole_number" => "lines",
        "no_such_asset"
        | "not_an_asset_number"
        | "bad_asset_numbers"
        | "already_reserved"
        | "not_free_for_dates"
        | "asked_twice" => "assets",
        "choose_kit" | "give_kit_quantity" | "no_such_kit" | "kit_specific_asset"
        | "kit_only_loans" => "kit",
        "loan_in_past" | "the_date" | "window_too_long" => "from",
        "the_last_date" | "loan_dates_ordered" => "to",
        "loan_purpose" | "transfer_purpose" | "purpose" => "purpose",
        "department_for_loan"
        | "department_for_transfer"
        | "choose_department"
        | "no_such_department" => "department",
        _ => return None,
    })
}

/// `path` with `?done=KEY` (or `&done=KEY`) added: where an action sends the person, to be
/// told what it did.
pub fn done(path: &str, key: &'static str) -> String {
    debug_assert!(FLASHES.contains(&key), "{key} is not a flash");
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}done={key}")
}

#[derive(askama::Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    c: Chrome,
    title: String,
    message: String,
    action: String,
    /// The form's fields, posted again as they were (without its token, its reason and
    /// `confirmed`).
    fields: Vec<(String, String)>,
    reason_asked: bool,
    reason: String,
    back: String,
}

/// What a confirmation step asks: of whoever may do `op`, `title` and `message`, posting the
/// form again to `action` (with a reason when `reason_asked`), or going `back`.
pub struct Ask<'a> {
    pub op: app::Op,
    pub title: &'a str,
    pub message: String,
    pub action: String,
    pub reason_asked: bool,
    pub back: String,
}

/// The page a form was posted from (its `back` field, the page's path and query), when that
/// is `home` or `home` with a query, without the `done` it was reached by; else `home`:
/// where a confirmation's Back and the action's redirect go, so a paged list keeps its place.
pub fn posted_from(form: &Fields, home: &str) -> String {
    let back = field(form, "back");
    let ours = back == home
        || back
            .strip_prefix(home)
            .is_some_and(|rest| rest.starts_with('?'));
    if !ours || bounds::LocalPath::parse(back).is_err() {
        return home.to_owned();
    }
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("done="))
        .collect();
    match kept.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{}", kept.join("&")),
    }
}

/// Whether a posted form is the second step of a confirmation ([`confirm`]).
pub fn confirmed(form: &Fields) -> bool {
    field(form, "confirmed") == "1"
}

/// The confirmation step of an action that cannot be undone or that a rule warns about:
/// what will happen, the same form again with `confirmed=1`, a reason when the log needs one,
/// and a Back to `back`. Shown only to someone whose role may do `op`.
pub fn confirm(v: &Viewer, form: &Fields, ask: Ask<'_>) -> PageResult {
    let Ask {
        op,
        title,
        message,
        action,
        reason_asked,
        back,
    } = ask;
    // Asked only of whoever may do it at all; the operation judges the rest.
    app::policy::authorize(&v.actor, op, app::policy::Target::Nothing)?;
    let skip = |k: &str| k == "csrf" || k == "confirmed" || (reason_asked && k == "reason");
    render(ConfirmPage {
        c: v.chrome(""),
        title: title.to_owned(),
        message,
        action,
        fields: form.iter().filter(|(k, _)| !skip(k)).cloned().collect(),
        reason_asked,
        reason: field(form, "reason").to_owned(),
        back,
    })
}

/// Navigation by role: (href, label key).
fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::Requester => vec![
            ("/catalogue", "catalogue"),
            ("/loans/new", "request_loan"),
            ("/orders", "my_orders"),
            ("/transfers", "my_transfers"),
            ("/virtual-depot", "virtual_depot"),
            ("/compensations", "compensation_cases"),
            ("/inbox", "inbox"),
        ],
        Role::Admin => vec![
            ("/admin/approvals", "approvals"),
            ("/orders", "orders"),
            ("/rentals", "rentals"),
            ("/admin/transfers", "transfers"),
            ("/admin/bookings", "bookings"),
            ("/admin/kits", "kits"),
            ("/disposals", "disposals"),
            ("/assets", "assets"),
            ("/reports", "dashboard"),
            ("/admin/registers", "registers"),
            ("/admin/import", "import_register"),
            ("/admin/readers", "readers"),
            ("/admin/webhooks", "webhooks"),
            ("/inbox", "inbox"),
        ],
        Role::Keeper => vec![
            ("/keeper/picks", "picks"),
            ("/keeper/returns", "returns"),
            ("/rentals", "rentals"),
            ("/keeper/intakes", "intake"),
            ("/keeper/gate", "gate"),
            ("/keeper/stocktakes", "stocktakes"),
            ("/assets", "assets"),
            ("/inbox", "inbox"),
        ],
        Role::Finance => vec![
            ("/finance/sign-offs", "sign_offs"),
            ("/orders", "orders"),
            ("/reports", "dashboard"),
            ("/reports/depreciation", "depreciation_report"),
            ("/assets", "assets"),
            ("/inbox", "inbox"),
        ],
        Role::Auditor => vec![
            ("/reports", "dashboard"),
            ("/orders", "orders"),
            ("/rentals", "rentals"),
            ("/disposals", "disposals"),
            ("/assets", "assets"),
            ("/inbox", "inbox"),
        ],
    }
}

/// Render a template into a response.
pub fn render(t: impl askama::Template) -> Result<Response, PageError> {
    let html = t
        .render()
        .map_err(|e| PageError::App(app::Error::Internal(anyhow::anyhow!("template: {e}"))))?;
    Ok(page(Html(html).into_response()))
}

/// The pages run no script but our own static file, connect only to us, and are never
/// framed: a strict content security policy, and no caching of what a signed-in person saw.
const CSP: &str = "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

fn page(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub type PageResult = Result<Response, PageError>;

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the sign-in page, then back to this path.
    Login(String),
    /// A state-changing form without our token, or from another site.
    Forged,
    /// A request no form of ours sends (400).
    Bad(String),
    /// The operation did not happen.
    App(app::Error),
}

impl<E: Into<app::Error>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError::App(e.into())
    }
}

/// The status code a page answers an operation's error with.
pub fn status(e: &app::Error) -> StatusCode {
    match e {
        app::Error::Forbidden(_) => StatusCode::FORBIDDEN,
        app::Error::NotFound(_) => StatusCode::NOT_FOUND,
        app::Error::Conflict(_) => StatusCode::CONFLICT,
        app::Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        app::Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        app::Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        app::Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A form field that breaks a rule (422), said so on the error page.
pub fn invalid(message: impl Into<String>) -> PageError {
    PageError::App(app::Error::Invalid(message.into()))
}

/// A posted form refused: the page it came from again, rendered by `again` from the
/// refusal, answered with the refusal's status. Only a refusal (a rule, a conflict, a thing
/// not there) comes back to the form; a fault goes to the error page.
pub async fn shown_again<F, Fut>(e: PageError, again: F) -> PageResult
where
    F: FnOnce(app::Error) -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    match e {
        PageError::App(e) if !matches!(e, app::Error::Internal(_) | app::Error::Unavailable(_)) => {
            let status = status(&e);
            let mut page = again(e).await?;
            *page.status_mut() = status;
            Ok(page)
        }
        e => Err(e),
    }
}

/// A posted form's outcome: on to the address it went through to (`Ok`); refused, the page
/// `again` renders with the refusal of its form `which` and what was typed in it, answered
/// with the refusal's status.
pub async fn after_form<F, Fut>(
    v: &Viewer,
    which: impl Into<String>,
    form: Fields,
    outcome: Result<String, PageError>,
    again: F,
) -> PageResult
where
    F: FnOnce(Refused) -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    match outcome {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => shown_again(e, |e| again(Refused::new(v, which, &e, form))).await,
    }
}

/// The form of a page that came back refused: which of the page's forms (its name, with
/// the row it is on for a form on each row of a list), why in the viewer's language, and
/// what was typed in it. The default: nothing refused.
#[derive(Debug, Default)]
pub struct Refused {
    form: String,
    why: String,
    typed: Fields,
}

impl Refused {
    /// The form `form` refused with `e`, as `v` reads it, `typed` as it was posted.
    pub fn new(v: &Viewer, form: impl Into<String>, e: &app::Error, typed: Fields) -> Refused {
        Refused {
            form: form.into(),
            why: v.lang.say(&e.to_string()),
            typed,
        }
    }

    /// Why `form` was refused; empty when it was not.
    pub fn why(&self, form: &str) -> &str {
        match self.form == form {
            true => &self.why,
            false => "",
        }
    }

    /// What was typed into `name` of `form`, when it was refused (never a password).
    pub fn typed(&self, form: &str, name: &str) -> &str {
        match self.form == form && name != "password" {
            true => field(&self.typed, name),
            false => "",
        }
    }

    /// What was typed into `name` of `form` when it was refused; `fresh` on a fresh form.
    pub fn typed_or(&self, form: &str, name: &str, fresh: &dyn std::fmt::Display) -> String {
        match self.form == form {
            true => self.typed(form, name).to_owned(),
            false => fresh.to_string(),
        }
    }

    /// Whether `value` was the choice in `name` of `form` when it was refused.
    pub fn chose(&self, form: &str, name: &str, value: &dyn std::fmt::Display) -> bool {
        self.form == form
            && self
                .typed
                .iter()
                .any(|(k, v)| k == name && v.trim() == value.to_string())
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
    /// Where Back goes: the page the request came from (the form), else home.
    back: String,
}

/// An error page's status and message (in English), put on its response for
/// [`error_pages`] to show in the viewer's language within the viewer's frame.
#[derive(Debug, Clone)]
struct Shown {
    status: u16,
    message: String,
}

/// The pages' error layer: an error page is shown again in the viewer's language, with
/// their menu, its message said in that language, and a Back to the page the request came
/// from (the form, whose fields the browser keeps when Back returns through history).
pub async fn error_pages(
    axum::extract::State(app): axum::extract::State<App>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    let response = next.run(req).await;
    let Some(shown) = response.extensions().get::<Shown>().cloned() else {
        return response;
    };
    let lang = Lang::from_headers(&headers);
    let mut probe = Request::new(axum::body::Body::empty());
    *probe.uri_mut() = uri;
    *probe.headers_mut() = headers.clone();
    let (mut parts, _) = probe.into_parts();
    let c = match Viewer::from_request_parts(&mut parts, &app).await {
        Ok(v) => v.chrome(""),
        Err(_) => Chrome::anonymous(lang),
    };
    let page = ErrorPage {
        message: c.say(&shown.message),
        c,
        status: shown.status,
        back: came_from(&headers).unwrap_or_else(|| "/".into()),
    };
    let Ok(body) = askama::Template::render(&page) else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The page of this site a request came from (its `Referer`), as a local path.
fn came_from(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?
        .strip_prefix(host)?;
    bounds::LocalPath::parse(rest)
        .ok()
        .map(|p| p.as_str().to_owned())
}

/// A page's path parameters (`/orders/{id}`). One that does not parse (`/orders/abc`, a
/// number past 2⁶³) is a 400 said on the error page, in the viewer's language, with their
/// menu, like any other refusal; axum's own would be a line of English text.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let typed = match e.kind() {
                    ErrorKind::ParseErrorAtKey { value, .. }
                    | ErrorKind::ParseErrorAtIndex { value, .. }
                    | ErrorKind::ParseError { value, .. } => value.clone(),
                    _ => parts.uri.path().to_owned(),
                };
                let typed: String = typed.chars().take(40).collect();
                Err(PageError::Bad(format!(
                    "address: {typed:?} is not a number"
                )))
            }
            Err(e) => Err(PageError::Bad(e.body_text())),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            PageError::App(app::Error::TooManyRequests { retry_after, .. }) => Some(*retry_after),
            PageError::App(app::Error::Unavailable(_)) => Some(app::UNAVAILABLE_RETRY_AFTER_S),
            _ => None,
        };
        let mut cause = None;
        let (status, message) = match self {
            PageError::Login(next) => {
                let next = if next != "/" && bounds::LocalPath::parse(next.as_str()).is_ok() {
                    format!("?next={}", percent(&next))
                } else {
                    String::new()
                };
                return Redirect::to(&format!("/login{next}")).into_response();
            }
            PageError::Forged => (StatusCode::FORBIDDEN, Lang::En.t("forged").to_owned()),
            PageError::Bad(message) => (StatusCode::BAD_REQUEST, message),
            PageError::App(e) => {
                match &e {
                    app::Error::Internal(inner) => cause = Some(app::Cause::of(inner)),
                    app::Error::Unavailable(why) => cause = Some(app::Cause(why.clone())),
                    _ => {}
                }
                (status(&e), e.to_string())
            }
        };
        let shown = Shown {
            status: status.as_u16(),
            message,
        };
        let page = ErrorPage {
            c: Chrome::anonymous(Lang::En),
            status: shown.status,
            message: shown.message.clone(),
            back: "/".into(),
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| "error".into());
        let mut response = self::page((status, Html(body)).into_response());
        response.extensions_mut().insert(shown);
        if let Some(cause) = cause {
            response.extensions_mut().insert(cause);
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// How many rows a list page shows; the pager leads to the rest.
pub const LIST_PAGE: i64 = 100;

/// A list page's query: a status (empty: any) and a page number.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: String,
}

/// The page `page` (as typed in the address) of a list, [`LIST_PAGE`] rows long.
pub fn list_paging(page: &str) -> Result<app::Paging, PageError> {
    Ok(app::Paging {
        page: Some(page_no(page)?),
        per_page: Some(LIST_PAGE),
        after: None,
    })
}

/// The first page of a list, [`LIST_PAGE`] rows long.
pub fn first_page() -> app::Paging {
    app::Paging {
        page: Some(bounds::PageNo::FIRST),
        per_page: Some(LIST_PAGE),
        after: None,
    }
}

/// A list page's place among its pages, and the links to the pages either side: the list's
/// address with the filters it was asked with, and `page` set.
pub struct Pager {
    /// The address without `page`: `/assets?q=desk&`.
    base: String,
    pub page: i64,
    pub per_page: i64,
    pub shown: usize,
    pub has_more: bool,
    pub total: i64,
    pub total_exact: bool,
    /// The query parameter that holds its page number: `page`, or another list's own on a
    /// page with two lists ([`Pager::named`]).
    param: &'static str,
    /// The label of its navigation (a catalogue key).
    pub label: &'static str,
}

impl Pager {
    /// `filters`: the query's fields that say what the list holds (empty ones left out).
    pub fn of<T>(path: &str, filters: &[(&str, &str)], found: &app::Page<T>) -> Pager {
        let mut base = format!("{path}?");
        for (name, value) in filters.iter().filter(|(_, v)| !v.is_empty()) {
            base.push_str(&format!("{name}={}&", percent(value)));
        }
        Pager {
            base,
            page: found.page,
            per_page: found.per_page,
            shown: found.items.len(),
            has_more: found.has_more,
            total: found.total,
            total_exact: found.total_exact,
            param: "page",
            label: "pages",
        }
    }

    /// The pager of a second list on a page: its page number in `param` (`returned_page`),
    /// its navigation labelled `label`, its elements' ids prefixed by `param` without
    /// `_page` (`returned-page-next`). The other list's page goes in `filters` to be kept.
    pub fn named(self, param: &'static str, label: &'static str) -> Pager {
        Pager {
            param,
            label,
            ..self
        }
    }

    /// The id of this pager's element `what` (`page-next`, `pager-range`).
    pub fn id(&self, what: &str) -> String {
        match self.param {
            "page" => what.to_owned(),
            other => format!("{}-{what}", other.strip_suffix("_page").unwrap_or(other)),
        }
    }

    /// The first and last place on this page ("201–400"), or "0".
    pub fn range(&self) -> String {
        match self.shown {
            0 => "0".into(),
            n => {
                let first = (self.page - 1) * self.per_page + 1;
                format!("{first}–{}", first + n as i64 - 1)
            }
        }
    }

    pub fn prev(&self) -> String {
        match self.page > 1 {
            true => format!("{}{}={}", self.base, self.param, self.page - 1),
            false => String::new(),
        }
    }

    pub fn next(&self) -> String {
        match self.has_more && self.page < bounds::PageNo::MAX {
            true => format!("{}{}={}", self.base, self.param, self.page + 1),
            false => String::new(),
        }
    }
}

/// `path` with a list's filters as its query (empty ones left out): the address of the
/// list's export, or of the list as filtered.
pub fn with_query(path: &str, filters: &[(&str, &str)]) -> String {
    let query: Vec<String> = filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, value)| format!("{name}={}", percent(value)))
        .collect();
    match query.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{}", query.join("&")),
    }
}

/// A thing chosen by its id in a list's filter (`?department=7`): empty is none; anything
/// but a number is a 400 that names the field.
pub fn filter_id(name: &str, text: &str) -> Result<Option<i64>, PageError> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| PageError::Bad(format!("{name}: {t:?} is not a number"))),
    }
}

/// A thing chosen by its id in a posted form (`department=7`): empty is none; anything but
/// a number is a 400 that names the field (a form's choices are numbers: another value was
/// not typed, it was forged or mangled, and is refused rather than read as "none").
pub fn form_id(form: &Fields, name: &str) -> Result<Option<i64>, PageError> {
    filter_id(name, field(form, name))
}

/// A day chosen in a list's filter (`?starts_by=2026-12-01`): empty is none; a bad one is a
/// 422 that names the field.
pub fn filter_day(name: &str, text: &str) -> Result<Option<chrono::NaiveDate>, PageError> {
    match text.trim() {
        "" => Ok(None),
        t => named(name, bounds::Day::parse(t)).map(|d| Some(d.into())),
    }
}

/// The departments a list's filter offers, by name: (id, name).
pub async fn department_choices(app: &App, v: &Viewer) -> Result<Vec<(i64, String)>, PageError> {
    let mut departments: Vec<(i64, String)> = app::people::list_departments(app, &v.actor)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    departments.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(departments)
}

/// A page number from a list's query: empty is the first; a bad one is a 400 that says so.
pub fn page_no(text: &str) -> Result<bounds::PageNo, PageError> {
    match text.trim() {
        "" => Ok(bounds::PageNo::FIRST),
        t => t
            .parse::<i64>()
            .ok()
            .and_then(|n| bounds::PageNo::new(n).ok())
            .ok_or_else(|| {
                PageError::Bad(format!(
                    "page: {t:?} is not a page number (1 to {}): narrow the list to go further",
                    bounds::PageNo::MAX
                ))
            }),
    }
}

/// Percent-encode a value for a query string.
pub fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A response that sets a cookie and redirects.
pub fn redirect_with_cookie(to: &str, cookie: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_headers(headers)
}

/// Escape text for HTML built outside templates (the SVG charts).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pager(page: i64, per_page: i64, has_more: bool) -> Pager {
        let found = app::Page::<()> {
            items: vec![(); per_page as usize],
            total: 1_000,
            total_exact: false,
            has_more,
            page,
            per_page,
        };
        Pager::of("/assets", &[("q", "desk")], &found)
    }

    #[test]
    fn the_next_page_is_offered_while_page_numbers_reach_it() {
        assert_eq!(pager(1, 100, true).next(), "/assets?q=desk&page=2");
        assert_eq!(pager(199, 100, true).next(), "/assets?q=desk&page=200");
        // Page 201 is past what page numbers reach: the list is narrowed instead.
        assert_eq!(pager(200, 100, true).next(), "");
        assert_eq!(pager(3, 100, false).next(), "");
        assert_eq!(pager(200, 100, true).prev(), "/assets?q=desk&page=199");
    }
}
