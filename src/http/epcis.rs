//! The log as EPCIS 2.0 (GS1's query interface, `GET /events`): an EPCISQueryDocument in
//! JSON-LD, the next page named by a `Link: <…>; rel="next"` header.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Query};
use crate::app::epcis::{self, EventQuery};
use crate::auth::Actor;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(read_epcis_events))
}

/// The depot's events as EPCIS 2.0 ObjectEvents (CBV 2.0 business steps and dispositions):
/// lifecycle events, gate passages and stocktake counts, oldest first, with GS1's query
/// parameters; each event's `eventID` is its GS1 event hash. A requester reads the events of
/// the assets their department owns or holds. 422 for a bad parameter or page token.
#[utoipa::path(get, path = "/epcis/events", tag = "epcis", params(EventQuery),
    responses(
        (status = 200, description = "An EPCISQueryDocument (EPCIS 2.0 JSON-LD)",
         content_type = "application/ld+json", body = Object,
         headers(
             ("Link" = String, description = "The next page: `<URL>; rel=\"next\"`, when there is one"),
             ("GS1-EPCIS-Version" = String, description = "2.0.0"),
             ("GS1-CBV-Version" = String, description = "2.0.0"),
         )),
        (status = 422, body = ErrorBody)))]
async fn read_epcis_events(
    actor: Actor,
    State(app): State<App>,
    RawQuery(raw): RawQuery,
    Query(q): Query<EventQuery>,
) -> ApiResult<Response> {
    let page = epcis::events(&app, &actor, &q).await?;
    let body =
        serde_json::to_vec(&page.document).map_err(|e| crate::app::Error::Internal(e.into()))?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (
                header::HeaderName::from_static("gs1-epcis-version"),
                "2.0.0",
            ),
            (header::HeaderName::from_static("gs1-cbv-version"), "2.0.0"),
        ],
        body,
    )
        .into_response();
    if let Some(token) = page.next_page_token {
        // The same query, from where this page ended.
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        pairs.retain(|(k, _)| k != "nextPageToken");
        pairs.push(("nextPageToken".into(), token));
        let query = serde_urlencoded::to_string(&pairs)
            .map_err(|e| crate::app::Error::Internal(e.into()))?;
        let link = format!("</api/epcis/events?{query}>; rel=\"next\"");
        if let Ok(value) = header::HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}
