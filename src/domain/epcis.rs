//! EPCIS 2.0 and CBV 2.0: how the depot's log reads as GS1 ObjectEvents, and GS1's event
//! hash (`ni:///sha-256;…?ver=CBV2.0`) that names each one.
//!
//! Pure: log entries in, events and their JSON-LD out. [`MAPPING`] is the one table from what
//! the log says (a lifecycle action, a gate passage, a stocktake count) to an EPCIS action, a
//! CBV business step and a disposition.

use base64::Engine;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The JSON-LD context every document names (EPCIS 2.0.0).
pub const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/// The query a `GET /events` answers (EPCIS 2.0 §8.2.7.1).
pub const QUERY_NAME: &str = "SimpleEventQuery";
const BIZ_STEP_URI: &str = "https://ref.gs1.org/cbv/BizStep-";
const DISPOSITION_URI: &str = "https://ref.gs1.org/cbv/Disp-";
const BIZ_STEP_URN: &str = "urn:epcglobal:cbv:bizstep:";

/// A gate passage outward that no lifecycle event stands for.
pub const PASSED_OUT: &str = "passed_out";
/// A gate passage inward that no lifecycle event stands for.
pub const PASSED_IN: &str = "passed_in";
/// An asset counted in a finished stocktake (found, or found in another zone).
pub const COUNTED: &str = "counted";

/// What an event says happened to the objects' existence (EPCIS 2.0 §7.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The objects came into being (a tag commissioned).
    Add,
    /// Seen or handled.
    Observe,
    /// The objects ceased to exist for the business (disposed, written off).
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        }
    }
}

/// One row of [`MAPPING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    /// The log's word: a lifecycle action (`events.action`), [`PASSED_OUT`], [`PASSED_IN`]
    /// or [`COUNTED`].
    pub source: &'static str,
    pub action: Action,
    /// The CBV 2.0 business step, bare (`departing`).
    pub biz_step: &'static str,
    /// The CBV 2.0 disposition, bare; `None`: the step says nothing of it.
    pub disposition: Option<&'static str>,
}

const fn row(
    source: &'static str,
    action: Action,
    biz_step: &'static str,
    disposition: Option<&'static str>,
) -> Mapping {
    Mapping {
        source,
        action,
        biz_step,
        disposition,
    }
}

use Action::{Add, Delete, Observe};

/// The log as EPCIS: what each entry is. Entries not named here (notes such as an edit, a
/// booking, a hand-in offer) are paperwork, not events in the supply chain, and are not
/// exported.
#[rustfmt::skip]
pub const MAPPING: &[Mapping] = &[
    row("register",          Add,     "commissioning",   Some("active")),
    row("receive",           Observe, "receiving",       Some("available")),
    // Registered where its department keeps it: never in the depot, not available to lend.
    row("hold",              Observe, "storing",         Some("unavailable")),
    row("reserve",           Observe, "reserving",       Some("reserved")),
    row("release",           Observe, "storing",         Some("available")),
    row("issue",             Observe, "departing",       Some("in_transit")),
    row("return",            Observe, "receiving",       Some("available")),
    row("return_damaged",    Observe, "receiving",       Some("damaged")),
    row("inspect",           Observe, "inspecting",      Some("available")),
    row("send_to_repair",    Observe, "inspecting",      Some("damaged")),
    row("repair",            Observe, "repairing",       Some("available")),
    row("mark_lost",         Observe, "cycle_counting",  Some("unknown")),
    row("recover",           Observe, "receiving",       Some("available")),
    row("allocate",          Observe, "departing",       Some("in_transit")),
    row("list",              Observe, "storing",         Some("available")),
    row("unlist",            Observe, "storing",         Some("unavailable")),
    row("take_in",           Observe, "receiving",       Some("available")),
    row("propose_disposal",  Observe, "holding",         Some("in_progress")),
    row("withdraw_disposal", Observe, "storing",         Some("available")),
    row("dispose",           Delete,  "decommissioning", Some("disposed")),
    row("write_off",         Delete,  "decommissioning", Some("disposed")),
    row("relocate",          Observe, "storing",         None),
    // A new tag for the asset: its EPC commissioned (the old one is in the event's details).
    row("retag",             Add,     "commissioning",   Some("active")),
    row(PASSED_OUT,          Observe, "departing",       None),
    row(PASSED_IN,           Observe, "arriving",        None),
    row(COUNTED,             Observe, "cycle_counting",  None),
];

/// The row for a log entry, if it is exported.
pub fn mapping(source: &str) -> Option<&'static Mapping> {
    MAPPING.iter().find(|m| m.source == source)
}

/// Every exported source.
pub fn sources() -> Vec<&'static str> {
    MAPPING.iter().map(|m| m.source).collect()
}

/// A business step as a query names it: bare (`departing`), as CBV 2.0's web URI or as
/// CBV 1.x's URN; anything else is taken as it is (a step Depot never writes).
pub fn bare_biz_step(step: &str) -> &str {
    step.strip_prefix(BIZ_STEP_URI)
        .or_else(|| step.strip_prefix(BIZ_STEP_URN))
        .unwrap_or(step)
}

/// The sources whose events carry one of `steps`.
pub fn sources_with_biz_steps(steps: &[String]) -> Vec<&'static str> {
    MAPPING
        .iter()
        .filter(|m| steps.iter().any(|s| bare_biz_step(s) == m.biz_step))
        .map(|m| m.source)
        .collect()
}

/// One EPCIS ObjectEvent about one asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// When, at millisecond precision, in the depot's offset.
    pub event_time: DateTime<FixedOffset>,
    /// EPC URIs: pure identities (`urn:epc:id:giai:…`), or raw tag URIs for foreign tags.
    pub epcs: Vec<String>,
    pub action: Action,
    pub biz_step: &'static str,
    pub disposition: Option<&'static str>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
}

impl ObjectEvent {
    /// The event `mapping` makes of one entry at `at`, told in `offset`.
    pub fn new(
        mapping: &Mapping,
        at: DateTime<Utc>,
        offset: FixedOffset,
        epc: String,
        read_point: Option<String>,
        biz_location: Option<String>,
    ) -> ObjectEvent {
        let ms = at.timestamp_millis();
        let at = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(at);
        ObjectEvent {
            event_time: at.with_timezone(&offset),
            epcs: vec![epc],
            action: mapping.action,
            biz_step: mapping.biz_step,
            disposition: mapping.disposition,
            read_point,
            biz_location,
        }
    }

    /// The pre-hash string of GS1's event hash algorithm (CBV 2.0 §8.9): the event's fields
    /// in the canonical order, each value canonical (times in UTC to the millisecond, CBV
    /// values as web URIs, GS1 keys as canonical Digital Link URIs), joined with nothing.
    pub fn pre_hash(&self) -> String {
        let mut s = String::from("eventType=ObjectEvent");
        s += "eventTime=";
        s += &self
            .event_time
            .with_timezone(&Utc)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        s += "eventTimeZoneOffset=";
        s += &self.event_time.offset().to_string();
        if !self.epcs.is_empty() {
            let mut epcs: Vec<String> = self
                .epcs
                .iter()
                .map(|e| format!("epc={}", canonical(e)))
                .collect();
            epcs.sort();
            s += "epcList";
            s += &epcs.concat();
        }
        s += "action=";
        s += self.action.as_str();
        s += "bizStep=";
        s += BIZ_STEP_URI;
        s += self.biz_step;
        if let Some(d) = self.disposition {
            s += "disposition=";
            s += DISPOSITION_URI;
            s += d;
        }
        if let Some(id) = &self.read_point {
            s += "readPointid=";
            s += &canonical(id);
        }
        if let Some(id) = &self.biz_location {
            s += "bizLocationid=";
            s += &canonical(id);
        }
        s
    }

    /// The event's ID: `ni:///sha-256;HEX?ver=CBV2.0`.
    pub fn event_id(&self) -> String {
        let digest = Sha256::digest(self.pre_hash().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("ni:///sha-256;{hex}?ver=CBV2.0")
    }

    /// The event in EPCIS 2.0 JSON-LD (bare CBV values, as the standard context defines them).
    pub fn to_json(&self) -> Value {
        let mut e = Map::new();
        e.insert("type".into(), json!("ObjectEvent"));
        e.insert("eventID".into(), json!(self.event_id()));
        e.insert(
            "eventTime".into(),
            json!(self
                .event_time
                .to_rfc3339_opts(SecondsFormat::Millis, false)),
        );
        e.insert(
            "eventTimeZoneOffset".into(),
            json!(self.event_time.offset().to_string()),
        );
        e.insert("epcList".into(), json!(self.epcs));
        e.insert("action".into(), json!(self.action.as_str()));
        e.insert("bizStep".into(), json!(self.biz_step));
        if let Some(d) = self.disposition {
            e.insert("disposition".into(), json!(d));
        }
        if let Some(id) = &self.read_point {
            e.insert("readPoint".into(), json!({ "id": id }));
        }
        if let Some(id) = &self.biz_location {
            e.insert("bizLocation".into(), json!({ "id": id }));
        }
        Value::Object(e)
    }
}

/// An EPCISQueryDocument holding `events`, the answer to a SimpleEventQuery.
pub fn query_document(events: Vec<Value>, created: DateTime<Utc>) -> Value {
    json!({
        "@context": [CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created.to_rfc3339_opts(SecondsFormat::Millis, true),
        "epcisBody": {
            "queryResults": {
                "queryName": QUERY_NAME,
                "resultsBody": { "eventList": events }
            }
        }
    })
}

/// Where zones are named: URIs under the depot's base address, or SGLNs of its GLN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locations {
    /// `{base}/zones/{id}`.
    Base(String),
    /// `urn:epc:id:sgln:{company prefix}.{location reference}.{zone id}`.
    Gln {
        company_prefix: String,
        location_reference: String,
    },
}

impl Locations {
    /// The zone's URI.
    pub fn zone(&self, id: i64) -> String {
        match self {
            Locations::Base(base) => format!("{base}/zones/{id}"),
            Locations::Gln {
                company_prefix,
                location_reference,
            } => format!("urn:epc:id:sgln:{company_prefix}.{location_reference}.{id}"),
        }
    }

    /// The zone a URI names, if it is one of this depot's.
    pub fn zone_id(&self, uri: &str) -> Option<i64> {
        let id = match self {
            Locations::Base(base) => uri.strip_prefix(base)?.strip_prefix("/zones/")?,
            Locations::Gln {
                company_prefix,
                location_reference,
            } => uri
                .strip_prefix("urn:epc:id:sgln:")?
                .strip_prefix(company_prefix.as_str())?
                .strip_prefix('.')?
                .strip_prefix(location_reference.as_str())?
                .strip_prefix('.')?,
        };
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        id.parse().ok()
    }
}

/// A GLN's parts for SGLNs: its company prefix (which must begin it) and location reference.
/// `None` if `gln` is not 13 digits with a right check digit beginning with `company_prefix`.
pub fn gln_locations(gln: &str, company_prefix: &str) -> Option<Locations> {
    if gln.len() != 13 || !gln.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if check_digit(&gln[..12]) != gln.as_bytes()[12] - b'0' || !gln.starts_with(company_prefix) {
        return None;
    }
    Some(Locations::Gln {
        company_prefix: company_prefix.to_owned(),
        location_reference: gln[company_prefix.len()..12].to_owned(),
    })
}

/// GS1's check digit (General Specifications §7.9.1) of the digits before it.
pub fn check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The canonical GS1 Digital Link URI of an EPC or SGLN URI the depot writes (GIAI, GRAI,
/// SGTIN, SGLN); any other URI is its own canonical form.
pub fn canonical(uri: &str) -> String {
    digital_link(uri).unwrap_or_else(|| uri.to_owned())
}

fn digital_link(uri: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = uri.strip_prefix("urn:epc:id:giai:") {
        let (cp, reference) = rest.split_once('.')?;
        if !(6..=12).contains(&cp.len()) || !digits(cp) || reference.is_empty() {
            return None;
        }
        if reference.len() > 30 - cp.len() || !reference.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some(format!("https://id.gs1.org/8004/{cp}{reference}"));
    }
    if let Some(rest) = uri.strip_prefix("urn:epc:id:grai:") {
        let mut parts = rest.splitn(3, '.');
        let (cp, kind, serial) = (parts.next()?, parts.next()?, parts.next()?);
        // A 12-digit prefix leaves no asset type; GS1's reference implementation (1.9.3)
        // keeps such a GRAI as it is, and the hash must agree with it.
        if !(6..=11).contains(&cp.len()) || !digits(cp) || cp.len() + kind.len() != 12 {
            return None;
        }
        if !kind.bytes().all(|b| b.is_ascii_digit()) || !digits(serial) || serial.len() > 16 {
            return None;
        }
        let grai = format!("0{cp}{kind}");
        return Some(format!(
            "https://id.gs1.org/8003/{grai}{}{serial}",
            check_digit(&grai)
        ));
    }
    if let Some(rest) = uri.strip_prefix("urn:epc:id:sgtin:") {
        let mut parts = rest.splitn(3, '.');
        let (cp, item, serial) = (parts.next()?, parts.next()?, parts.next()?);
        if !(6..=12).contains(&cp.len()) || !digits(cp) || cp.len() + item.len() != 13 {
            return None;
        }
        if !digits(item) || !digits(serial) || serial.len() > 20 {
            return None;
        }
        let gtin = format!("{}{cp}{}", &item[..1], &item[1..]);
        return Some(format!(
            "https://id.gs1.org/01/{gtin}{}/21/{serial}",
            check_digit(&gtin)
        ));
    }
    if let Some(rest) = uri.strip_prefix("urn:epc:id:sgln:") {
        let mut parts = rest.splitn(3, '.');
        let (cp, location, extension) = (parts.next()?, parts.next()?, parts.next()?);
        if !(6..=12).contains(&cp.len()) || !digits(cp) || cp.len() + location.len() != 12 {
            return None;
        }
        if !location.bytes().all(|b| b.is_ascii_digit()) || !digits(extension) {
            return None;
        }
        if extension.len() > 20 {
            return None;
        }
        let gln = format!("{cp}{location}");
        let check = check_digit(&gln);
        return Some(if extension == "0" {
            format!("https://id.gs1.org/414/{gln}{check}")
        } else {
            format!("https://id.gs1.org/414/{gln}{check}/254/{extension}")
        });
    }
    None
}

/// Where a page of events ends: the last entry's place in the export's order (time, then
/// source, then the entry's keys). Travels as an opaque `nextPageToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    /// 0: the event log, 1: gate passages, 2: stocktake counts.
    pub source: i16,
    pub id: i64,
    pub key: String,
}

/// A token is at most this long (a passage's key is a few dozen characters).
pub const MAX_TOKEN_LEN: usize = 600;

impl Cursor {
    pub fn token(&self) -> String {
        let plain = format!(
            "{}:{}:{}:{}",
            self.at.timestamp_micros(),
            self.source,
            self.id,
            self.key
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(plain)
    }

    /// The cursor a token carries; `None` for anything this service did not write.
    pub fn parse(token: &str) -> Option<Cursor> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let plain = String::from_utf8(bytes).ok()?;
        let mut parts = plain.splitn(4, ':');
        let micros: i64 = parts.next()?.parse().ok()?;
        let source: i16 = parts.next()?.parse().ok()?;
        let id: i64 = parts.next()?.parse().ok()?;
        let key = parts.next()?.to_owned();
        if !(0..=2).contains(&source) || key.chars().any(char::is_control) {
            return None;
        }
        Some(Cursor {
            at: DateTime::<Utc>::from_timestamp_micros(micros)?,
            source,
            id,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn every_source_once_and_every_action_mapped() {
        let mut seen = std::collections::HashSet::new();
        for m in MAPPING {
            assert!(seen.insert(m.source), "{} twice", m.source);
        }
        for action in crate::domain::lifecycle::AssetAction::ALL {
            assert!(
                mapping(action.as_str()).is_some(),
                "{action:?} has no EPCIS mapping"
            );
        }
    }

    #[test]
    fn pre_hash_follows_the_canonical_order() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T02:11:12.345678Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = ObjectEvent::new(
            mapping("issue").unwrap(),
            at,
            beijing(),
            "urn:epc:id:giai:0614141.12345".into(),
            Some("https://depot.example/zones/3".into()),
            Some("urn:epc:id:sgln:0614141.00001.3".into()),
        );
        assert_eq!(
            e.pre_hash(),
            "eventType=ObjectEventeventTime=2026-03-04T02:11:12.345ZeventTimeZoneOffset=+08:00\
             epcListepc=https://id.gs1.org/8004/061414112345action=OBSERVE\
             bizStep=https://ref.gs1.org/cbv/BizStep-departing\
             disposition=https://ref.gs1.org/cbv/Disp-in_transit\
             readPointid=https://depot.example/zones/3\
             bizLocationid=https://id.gs1.org/414/0614141000012/254/3"
        );
        assert_eq!(e.to_json()["eventTime"], "2026-03-04T10:11:12.345+08:00");
        assert!(e.event_id().starts_with("ni:///sha-256;"));
    }

    #[test]
    fn check_digits() {
        // GS1 General Specifications examples: GLN 0614141000012 and GTIN 00614141123452.
        assert_eq!(check_digit("061414100001"), 2);
        assert_eq!(check_digit("0061414112345"), 2);
    }

    #[test]
    fn zones_name_themselves_and_back() {
        let base = Locations::Base("https://depot.example".into());
        assert_eq!(base.zone(7), "https://depot.example/zones/7");
        assert_eq!(base.zone_id("https://depot.example/zones/7"), Some(7));
        assert_eq!(base.zone_id("https://depot.example/zones/7x"), None);
        assert_eq!(base.zone_id("https://other.example/zones/7"), None);
        let gln = gln_locations("6901234000016", "6901234").unwrap();
        assert_eq!(gln.zone(7), "urn:epc:id:sgln:6901234.00001.7");
        assert_eq!(gln.zone_id("urn:epc:id:sgln:6901234.00001.7"), Some(7));
        assert_eq!(gln.zone_id("urn:epc:id:sgln:6901234.00002.7"), None);
        assert!(gln_locations("6901234000019", "6901234").is_none());
        assert!(gln_locations("6901234000016", "6901235").is_none());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            at: DateTime::<Utc>::from_timestamp_micros(1_763_776_800_012_345).unwrap(),
            source: 1,
            id: 0,
            key: "passed:3414:1:out:17637".into(),
        };
        assert_eq!(Cursor::parse(&c.token()), Some(c));
        assert_eq!(Cursor::parse("not a token"), None);
        assert_eq!(Cursor::parse(""), None);
        assert_eq!(Cursor::parse(&"A".repeat(601)), None);
    }

    #[test]
    fn biz_steps_in_any_spelling() {
        let sources = sources_with_biz_steps(&[
            "https://ref.gs1.org/cbv/BizStep-departing".into(),
            "urn:epcglobal:cbv:bizstep:decommissioning".into(),
        ]);
        assert_eq!(
            sources,
            ["issue", "allocate", "dispose", "write_off", PASSED_OUT]
        );
        assert!(sources_with_biz_steps(&["shipping".into()]).is_empty());
    }
}
