//! Trace files: reader sessions recorded so they can be replayed with identical facts.
//!
//! # Read trace (JSON Lines, `*.jsonl`)
//! One read per line, in the order the readers delivered them:
//!
//! ```text
//! {"t_us":1763776800012345,"reader":"gate","ant":1,"epc":"3414A3F000000000000001F4","rssi":-52,"channel":7,"phase":1024}
//! ```
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `t_us` | integer | read time, µs since the Unix epoch (the reader's clock, else the host's) |
//! | `reader` | string | reader name, mapped to a `ReaderId` by the engine configuration's `readers` |
//! | `ant` | integer | antenna port, 1-based |
//! | `epc` | string | EPC in hex (upper or lower case, even number of digits) |
//! | `rssi` | integer, optional | peak RSSI in dBm |
//! | `channel`, `phase`, `seen` | integer, optional | channel index, RF phase, tag seen count |
//!
//! Blank lines are skipped; anything else that does not parse is an error naming its line.
//! The engine configuration for a trace sits beside it: `NAME.jsonl` → `NAME.config.json`,
//! a [`ReplayConfig`](crate::engine::trace::ReplayConfig).
//!
//! # Raw-frame capture (JSON Lines, `*.frames.jsonl`)
//! The bytes of a reader session, one frame per line, for replaying into a protocol codec:
//! `{"t_us":1763776800012345,"dir":"rx","hex":"0A0B..."}` where `dir` is `rx` (reader to
//! host) or `tx` (host to reader).

use std::io::{self, BufRead, Write};

use depot_readers::{Epc, ReaderId, TagRead};
use serde::{Deserialize, Serialize};

use super::config::{EngineConfig, ZoneId};
use super::fact::{epc_hex, Fact};
use super::inventory::{Counters, Engine};
use super::stocktake::{Stocktake, StocktakeResult};

/// A line of a trace that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("reading the trace: {0}")]
    Io(#[from] io::Error),
    #[error("replay configuration: {0}")]
    Config(String),
}

fn line_error(line: usize, message: impl Into<String>) -> TraceError {
    TraceError::Line {
        line,
        message: message.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadLine<'a> {
    t_us: u64,
    #[serde(borrow)]
    reader: std::borrow::Cow<'a, str>,
    ant: u16,
    #[serde(borrow)]
    epc: std::borrow::Cow<'a, str>,
    rssi: Option<i8>,
    channel: Option<u16>,
    phase: Option<u16>,
    seen: Option<u32>,
}

/// Parses trace lines into [`TagRead`]s, naming readers through the configuration.
#[derive(Debug)]
pub struct TraceReader<R> {
    input: R,
    readers: Vec<(String, u32)>,
    line: usize,
    buf: String,
    assign: bool,
}

impl<R: BufRead> TraceReader<R> {
    pub fn new(input: R, config: &EngineConfig) -> Self {
        let readers = config
            .readers
            .iter()
            .map(|r| (r.name.clone(), r.id))
            .collect();
        TraceReader {
            input,
            readers,
            line: 0,
            buf: String::new(),
            assign: false,
        }
    }

    /// A reader for traces without a configuration (recording): reader names get ids in
    /// order of first appearance; [`TraceReader::reader_name`] gives them back.
    pub fn assigning(input: R) -> Self {
        TraceReader {
            input,
            readers: Vec::new(),
            line: 0,
            buf: String::new(),
            assign: true,
        }
    }

    pub fn reader_name(&self, id: ReaderId) -> Option<&str> {
        self.readers
            .iter()
            .find(|(_, i)| *i == id.0)
            .map(|(n, _)| n.as_str())
    }

    /// The next read, `Ok(None)` at the end of the trace.
    pub fn next_read(&mut self) -> Result<Option<TagRead>, TraceError> {
        loop {
            self.buf.clear();
            self.line += 1;
            if self.input.read_line(&mut self.buf)? == 0 {
                return Ok(None);
            }
            let text = self.buf.trim();
            if text.is_empty() {
                continue;
            }
            return parse_read(text, &mut self.readers, self.assign)
                .map(Some)
                .map_err(|m| line_error(self.line, m));
        }
    }
}

fn parse_read(
    text: &str,
    readers: &mut Vec<(String, u32)>,
    assign: bool,
) -> Result<TagRead, String> {
    let l: ReadLine = serde_json::from_str(text).map_err(|e| format!("not a trace read: {e}"))?;
    let known = readers
        .iter()
        .find(|(name, _)| *name == l.reader)
        .map(|(_, id)| *id);
    let reader = match known {
        Some(id) => id,
        None if assign => {
            let id = readers.len() as u32;
            readers.push((l.reader.clone().into_owned(), id));
            id
        }
        None => {
            return Err(format!(
                "reader {:?} is not in the configuration's readers",
                l.reader
            ))
        }
    };
    let epc = Epc::from_hex(&l.epc).map_err(|e| e.to_string())?;
    Ok(TagRead {
        epc,
        reader: ReaderId(reader),
        antenna: l.ant,
        rssi_dbm: l.rssi,
        timestamp_us: l.t_us,
        channel: l.channel,
        phase: l.phase,
        seen_count: l.seen,
    })
}

/// Write one read as a trace line (hand-formatted: recording must keep up with readers).
pub fn write_read(
    out: &mut (impl Write + ?Sized),
    read: &TagRead,
    reader_name: &str,
) -> io::Result<()> {
    write!(out, "{{\"t_us\":{},\"reader\":", read.timestamp_us)?;
    serde_json::to_writer(&mut *out, reader_name)?;
    write!(out, ",\"ant\":{},\"epc\":\"{}\"", read.antenna, read.epc)?;
    if let Some(rssi) = read.rssi_dbm {
        write!(out, ",\"rssi\":{rssi}")?;
    }
    if let Some(c) = read.channel {
        write!(out, ",\"channel\":{c}")?;
    }
    if let Some(p) = read.phase {
        write!(out, ",\"phase\":{p}")?;
    }
    if let Some(s) = read.seen_count {
        write!(out, ",\"seen\":{s}")?;
    }
    out.write_all(b"}\n")
}

/// Which way a captured frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameDirection {
    /// Reader to host.
    Rx,
    /// Host to reader.
    Tx,
}

/// One captured frame of a reader session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    pub t_us: u64,
    pub dir: FrameDirection,
    #[serde(with = "hex_bytes")]
    pub hex: Vec<u8>,
}

/// Write one frame as a capture line.
pub fn write_frame(out: &mut (impl Write + ?Sized), frame: &Frame) -> io::Result<()> {
    serde_json::to_writer(&mut *out, frame)?;
    out.write_all(b"\n")
}

/// Read a whole raw-frame capture; a bad line is an error naming it.
pub fn read_frames(input: impl BufRead) -> Result<Vec<Frame>, TraceError> {
    let mut frames = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let frame = serde_json::from_str(&line)
            .map_err(|e| line_error(i + 1, format!("not a frame: {e}")))?;
        frames.push(frame);
    }
    Ok(frames)
}

mod hex_bytes {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&bytes.iter().map(|b| format!("{b:02X}")).collect::<String>())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if text.len() % 2 != 0 {
            return Err(D::Error::custom("odd number of hex digits"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| D::Error::custom("not hex"))
            })
            .collect()
    }
}

/// What a trace replays with: the engine configuration and, optionally, a stocktake to
/// run over the trace's facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    pub engine: EngineConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stocktake: Option<StocktakePlan>,
}

/// A stocktake as the register would start it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StocktakePlan {
    pub scope: Vec<ZoneId>,
    pub expected: Vec<Expected>,
    /// Registered assets not expected in scope.
    #[serde(default)]
    pub known: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    #[serde(with = "epc_hex")]
    pub epc: Epc,
    pub zone: ZoneId,
}

impl StocktakePlan {
    pub fn start(&self) -> Result<Stocktake, String> {
        let known = self
            .known
            .iter()
            .map(|h| Epc::from_hex(h).map_err(|e| format!("stocktake known: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Stocktake::new(
            self.expected.iter().map(|e| (e.epc, e.zone)),
            self.scope.iter().copied(),
        )
        .with_known(known))
    }
}

/// Where a trace's configuration sits: `NAME.jsonl` → `NAME.config.json`.
pub fn config_path(trace: &std::path::Path) -> std::path::PathBuf {
    let name = trace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
    trace.with_file_name(format!("{stem}.config.json"))
}

/// Everything a replay produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub facts: Vec<Fact>,
    pub stocktake: Option<StocktakeResult>,
    pub counters: Counters,
}

/// Replay a whole trace through a fresh engine, then flush it: the same trace and
/// configuration always give the same facts, in the same order.
pub fn replay(input: impl BufRead, config: &ReplayConfig) -> Result<Replay, TraceError> {
    let mut facts = Vec::new();
    let (stocktake, counters) = replay_streaming(
        input,
        config,
        |_| {},
        |f| {
            facts.push(f.clone());
            Ok(())
        },
    )?;
    Ok(Replay {
        facts,
        stocktake,
        counters,
    })
}

/// [`replay`], handing each read to `before_read` before the engine takes it (to pace a
/// replay) and each fact to `on_fact` as soon as it is concluded.
pub fn replay_streaming(
    input: impl BufRead,
    config: &ReplayConfig,
    mut before_read: impl FnMut(&TagRead),
    mut on_fact: impl FnMut(&Fact) -> io::Result<()>,
) -> Result<(Option<StocktakeResult>, Counters), TraceError> {
    let mut engine =
        Engine::new(config.engine.clone()).map_err(|e| TraceError::Config(e.to_string()))?;
    let mut stocktake = match &config.stocktake {
        Some(plan) => Some(plan.start().map_err(TraceError::Config)?),
        None => None,
    };
    let mut reader = TraceReader::new(input, &config.engine);
    let mut facts = Vec::new();
    let mut emit = |facts: &mut Vec<Fact>| -> io::Result<()> {
        for f in facts.drain(..) {
            if let Some(s) = &mut stocktake {
                s.apply(&f);
            }
            on_fact(&f)?;
        }
        Ok(())
    };
    while let Some(read) = reader.next_read()? {
        before_read(&read);
        engine.ingest(&read, &mut facts);
        emit(&mut facts)?;
    }
    engine.flush(&mut facts);
    emit(&mut facts)?;
    Ok((stocktake.map(Stocktake::finish), engine.counters()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::{ReadPoint, ReaderConfig, ZoneConfig};

    fn config() -> EngineConfig {
        EngineConfig {
            readers: vec![ReaderConfig {
                id: 0,
                name: "dock".into(),
            }],
            zones: vec![ZoneConfig {
                id: ZoneId(1),
                name: "dock".into(),
                smoothing: Default::default(),
            }],
            read_points: vec![ReadPoint {
                reader: 0,
                antenna: 1,
                zone: ZoneId(1),
            }],
            gates: vec![],
        }
    }

    #[test]
    fn reads_round_trip_through_a_trace_line() {
        let read = TagRead {
            epc: Epc::from_hex("3414A3F000000000000001F4").unwrap(),
            reader: ReaderId(0),
            antenna: 2,
            rssi_dbm: Some(-52),
            timestamp_us: 1_763_776_800_012_345,
            channel: Some(7),
            phase: None,
            seen_count: Some(3),
        };
        let mut buf = Vec::new();
        write_read(&mut buf, &read, "dock").unwrap();
        let text = String::from_utf8(buf.clone()).unwrap();
        assert_eq!(
            text,
            "{\"t_us\":1763776800012345,\"reader\":\"dock\",\"ant\":2,\"epc\":\"3414A3F000000000000001F4\",\"rssi\":-52,\"channel\":7,\"seen\":3}\n"
        );
        let mut r = TraceReader::new(&buf[..], &config());
        assert_eq!(r.next_read().unwrap(), Some(read));
        assert_eq!(r.next_read().unwrap(), None);
    }

    #[test]
    fn a_bad_line_is_named() {
        let text = "{\"t_us\":1,\"reader\":\"dock\",\"ant\":1,\"epc\":\"E200\"}\n\n{\"t_us\":2,\"reader\":\"nowhere\",\"ant\":1,\"epc\":\"E200\"}\n";
        let mut r = TraceReader::new(text.as_bytes(), &config());
        assert!(r.next_read().unwrap().is_some());
        let err = r.next_read().unwrap_err().to_string();
        assert!(err.starts_with("line 3: reader \"nowhere\""), "{err}");
        for (bad, what) in [
            (
                "{\"t_us\":1,\"reader\":\"dock\",\"ant\":1,\"epc\":\"E2Z0\"}",
                "not an EPC",
            ),
            ("not json", "not a trace read"),
        ] {
            let err = TraceReader::new(bad.as_bytes(), &config())
                .next_read()
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("line 1: ") && err.contains(what), "{err}");
        }
    }

    #[test]
    fn frames_round_trip_and_bad_frames_are_named() {
        let frames = vec![
            Frame {
                t_us: 5,
                dir: FrameDirection::Tx,
                hex: vec![0x04, 0xFF, 0x21, 0x19, 0x95],
            },
            Frame {
                t_us: 9,
                dir: FrameDirection::Rx,
                hex: vec![],
            },
        ];
        let mut buf = Vec::new();
        frames
            .iter()
            .for_each(|f| write_frame(&mut buf, f).unwrap());
        assert!(String::from_utf8_lossy(&buf)
            .starts_with("{\"t_us\":5,\"dir\":\"tx\",\"hex\":\"04FF211995\"}\n"));
        assert_eq!(read_frames(&buf[..]).unwrap(), frames);
        buf.extend_from_slice(b"{\"t_us\":9,\"dir\":\"sideways\",\"hex\":\"\"}\n");
        assert!(read_frames(&buf[..])
            .unwrap_err()
            .to_string()
            .starts_with("line 3: not a frame"));
    }
}
