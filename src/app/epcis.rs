//! The log as EPCIS 2.0: a SimpleEventQuery over the asset events, gate passages and
//! stocktake counts, answered as an EPCISQueryDocument page by page (`domain::epcis` maps
//! each entry; `db::epcis` reads them).

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::policy::department_filter;
use super::{App, Error, Op, Result};
use crate::auth::Actor;
use crate::db::epcis::{self as store, Filter};
use crate::domain::epc;
use crate::domain::epcis::{self, Cursor, ObjectEvent};

/// Events a page holds unless `perPage` says otherwise.
pub const DEFAULT_PER_PAGE: u32 = 100;
/// The most events one page holds.
pub const MAX_PER_PAGE: u32 = 1_000;
/// The most values one parameter lists.
pub const MAX_VALUES: usize = 100;
/// The longest value.
pub const MAX_VALUE_LEN: usize = 300;
/// The longest parameter (its values and separators).
pub const MAX_PARAMETER_LEN: usize = 2_000;

/// GS1's query parameters (EPCIS 2.0 §8.2.7.1). A parameter of several values separates them
/// with `|` (or `,`); times carry their offset (`2030-01-01T00:00:00%2B08:00` or `…Z`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events at or after this time.
    #[serde(rename = "GE_eventTime")]
    #[param(rename = "GE_eventTime", value_type = Option<String>, format = DateTime)]
    pub ge_event_time: Option<DateTime<FixedOffset>>,
    /// Events before this time.
    #[serde(rename = "LT_eventTime")]
    #[param(rename = "LT_eventTime", value_type = Option<String>, format = DateTime)]
    pub lt_event_time: Option<DateTime<FixedOffset>>,
    /// Business steps (bare CBV names such as `departing`, or their URIs).
    #[serde(rename = "EQ_bizStep")]
    #[param(rename = "EQ_bizStep", max_length = 2000)]
    pub eq_biz_step: Option<String>,
    /// EPCs: pure identity URIs (`urn:epc:id:giai:6901234.1`), tag URIs or raw URIs.
    #[serde(rename = "MATCH_epc")]
    #[param(rename = "MATCH_epc", max_length = 2000)]
    pub match_epc: Option<String>,
    /// Business locations: zone URIs as the events name them.
    #[serde(rename = "EQ_bizLocation")]
    #[param(rename = "EQ_bizLocation", max_length = 2000)]
    pub eq_biz_location: Option<String>,
    /// Read points: zone URIs as the events name them.
    #[serde(rename = "EQ_readPoint")]
    #[param(rename = "EQ_readPoint", max_length = 2000)]
    pub eq_read_point: Option<String>,
    /// Events per page, 1 to 1,000 (default 100).
    #[serde(rename = "perPage")]
    #[param(rename = "perPage", minimum = 1, maximum = 1000)]
    pub per_page: Option<u32>,
    /// Where the previous page ended, from its `Link: <…>; rel="next"` header.
    #[serde(rename = "nextPageToken")]
    #[param(rename = "nextPageToken", max_length = 600)]
    pub next_page_token: Option<String>,
}

/// One page: the document, and the token of the next page if there is one.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub document: Value,
    pub next_page_token: Option<String>,
}

/// A parameter's values, bounded.
fn values(name: &str, value: &Option<String>) -> Result<Option<Vec<String>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.len() > MAX_PARAMETER_LEN {
        return Err(Error::Invalid(format!(
            "{name}: at most {MAX_PARAMETER_LEN} characters"
        )));
    }
    let values: Vec<String> = value
        .split(['|', ','])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    if values.is_empty() {
        return Err(Error::Invalid(format!("{name}: give at least one value")));
    }
    if values.len() > MAX_VALUES {
        return Err(Error::Invalid(format!(
            "{name}: at most {MAX_VALUES} values"
        )));
    }
    if let Some(v) = values
        .iter()
        .find(|v| v.len() > MAX_VALUE_LEN || v.chars().any(char::is_control))
    {
        return Err(Error::Invalid(format!(
            "{name}: {:?} is not a value (at most {MAX_VALUE_LEN} characters, no control characters)",
            v.chars().take(40).collect::<String>()
        )));
    }
    Ok(Some(values))
}

/// The query as the store reads it.
fn filter(app: &App, actor: &Actor, q: &EventQuery) -> Result<Filter> {
    let mut whats: Vec<String> = epcis::sources().into_iter().map(Into::into).collect();
    if let Some(steps) = values("EQ_bizStep", &q.eq_biz_step)? {
        let asked = epcis::sources_with_biz_steps(&steps);
        whats.retain(|w| asked.contains(&w.as_str()));
    }
    let epcs = match values("MATCH_epc", &q.match_epc)? {
        None => None,
        Some(uris) => {
            let mut hex = Vec::new();
            for uri in uris {
                hex.extend(epc::encodings(&uri).ok_or_else(|| {
                    Error::Invalid(format!(
                        "MATCH_epc: {uri:?} is not an EPC URI Depot matches (a GIAI, GRAI or SGTIN pure identity or 96-bit tag URI, or a raw URI)"
                    ))
                })?);
            }
            Some(hex)
        }
    };
    let locations = app.config.locations();
    let zones = |name: &str, value: &Option<String>| -> Result<Option<Vec<i64>>> {
        // A location that is none of this depot's zones matches nothing.
        Ok(values(name, value)?
            .map(|uris| uris.iter().filter_map(|u| locations.zone_id(u)).collect()))
    };
    let from = q.ge_event_time.map(|t| t.with_timezone(&Utc));
    let before = q.lt_event_time.map(|t| t.with_timezone(&Utc));
    Ok(Filter {
        whats,
        from,
        before,
        epcs,
        biz_zones: zones("EQ_bizLocation", &q.eq_biz_location)?,
        read_zones: zones("EQ_readPoint", &q.eq_read_point)?,
        department: department_filter(actor, Op::ReadEpcisEvents),
    })
}

/// One page of the events `q` asks for, oldest first.
pub async fn events(app: &App, actor: &Actor, q: &EventQuery) -> Result<EventPage> {
    let per_page = q.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(Error::Invalid(format!(
            "perPage: {per_page} is not between 1 and {MAX_PER_PAGE}"
        )));
    }
    let after = match &q.next_page_token {
        None => None,
        Some(token) => Some(Cursor::parse(token).ok_or_else(|| {
            Error::Invalid("nextPageToken: not a token this service gave".into())
        })?),
    };
    let filter = filter(app, actor, q)?;
    let mut entries = app
        .read(actor, Op::ReadEpcisEvents, async |c| {
            store::entries(c, &filter, after.as_ref(), i64::from(per_page) + 1).await
        })
        .await?;
    let more = entries.len() > per_page as usize;
    entries.truncate(per_page as usize);
    let next_page_token = more
        .then(|| entries.last().map(|e| e.cursor().token()))
        .flatten();
    let locations = app.config.locations();
    let offset = app.config.time_zone;
    let events = entries
        .iter()
        .filter_map(|e| {
            let mapping = epcis::mapping(&e.what)?;
            let decoded = epc::decode(&epc::parse_hex(&e.epc)?);
            let uri = decoded.pure_identity().unwrap_or_else(|| decoded.tag_uri());
            let event = ObjectEvent::new(
                mapping,
                e.at,
                offset,
                uri,
                e.read_zone.map(|z| locations.zone(z)),
                e.biz_zone.map(|z| locations.zone(z)),
            );
            Some(event.to_json())
        })
        .collect();
    Ok(EventPage {
        document: epcis::query_document(events, Utc::now()),
        next_page_token,
    })
}
