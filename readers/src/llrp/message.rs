//! LLRP 1.0.1 messages and parameters, as far as a deployment needs them.
//!
//! Anything else a reader sends (vendor messages, parameters we do not model) is kept as
//! [`Body::Other`] or skipped inside a message, so the stream never loses sync.

use bytes::Bytes;

use crate::read::{Epc, ReaderId, TagRead};

/// Message type numbers (LLRP 1.0.1 §16.1).
pub mod msg_type {
    pub const GET_READER_CAPABILITIES: u16 = 1;
    pub const GET_READER_CONFIG: u16 = 2;
    pub const SET_READER_CONFIG: u16 = 3;
    pub const CLOSE_CONNECTION_RESPONSE: u16 = 4;
    pub const GET_READER_CAPABILITIES_RESPONSE: u16 = 11;
    pub const GET_READER_CONFIG_RESPONSE: u16 = 12;
    pub const SET_READER_CONFIG_RESPONSE: u16 = 13;
    pub const CLOSE_CONNECTION: u16 = 14;
    pub const ADD_ROSPEC: u16 = 20;
    pub const DELETE_ROSPEC: u16 = 21;
    pub const START_ROSPEC: u16 = 22;
    pub const STOP_ROSPEC: u16 = 23;
    pub const ENABLE_ROSPEC: u16 = 24;
    pub const DISABLE_ROSPEC: u16 = 25;
    pub const ADD_ROSPEC_RESPONSE: u16 = 30;
    pub const DELETE_ROSPEC_RESPONSE: u16 = 31;
    pub const START_ROSPEC_RESPONSE: u16 = 32;
    pub const STOP_ROSPEC_RESPONSE: u16 = 33;
    pub const ENABLE_ROSPEC_RESPONSE: u16 = 34;
    pub const DISABLE_ROSPEC_RESPONSE: u16 = 35;
    pub const ADD_ACCESSSPEC: u16 = 40;
    pub const DELETE_ACCESSSPEC: u16 = 41;
    pub const ENABLE_ACCESSSPEC: u16 = 42;
    pub const DISABLE_ACCESSSPEC: u16 = 43;
    pub const ADD_ACCESSSPEC_RESPONSE: u16 = 50;
    pub const DELETE_ACCESSSPEC_RESPONSE: u16 = 51;
    pub const ENABLE_ACCESSSPEC_RESPONSE: u16 = 52;
    pub const DISABLE_ACCESSSPEC_RESPONSE: u16 = 53;
    pub const RO_ACCESS_REPORT: u16 = 61;
    pub const KEEPALIVE: u16 = 62;
    pub const READER_EVENT_NOTIFICATION: u16 = 63;
    pub const ENABLE_EVENTS_AND_REPORTS: u16 = 64;
    pub const KEEPALIVE_ACK: u16 = 72;
    pub const ERROR_MESSAGE: u16 = 100;
    pub const CUSTOM_MESSAGE: u16 = 1023;
}

/// Parameter type numbers (LLRP 1.0.1 §16.2). TV parameters are 1..=127, TLV 128..=1023.
pub mod param_type {
    pub const ANTENNA_ID: u16 = 1;
    pub const FIRST_SEEN_UTC: u16 = 2;
    pub const FIRST_SEEN_UPTIME: u16 = 3;
    pub const LAST_SEEN_UTC: u16 = 4;
    pub const LAST_SEEN_UPTIME: u16 = 5;
    pub const PEAK_RSSI: u16 = 6;
    pub const CHANNEL_INDEX: u16 = 7;
    pub const TAG_SEEN_COUNT: u16 = 8;
    pub const ROSPEC_ID: u16 = 9;
    pub const INVENTORY_PARAMETER_SPEC_ID: u16 = 10;
    pub const C1G2_CRC: u16 = 11;
    pub const C1G2_PC: u16 = 12;
    pub const EPC_96: u16 = 13;
    pub const SPEC_INDEX: u16 = 14;
    pub const ACCESS_SPEC_ID: u16 = 16;
    pub const UTC_TIMESTAMP: u16 = 128;
    pub const UPTIME: u16 = 129;
    pub const GENERAL_DEVICE_CAPABILITIES: u16 = 137;
    pub const REGULATORY_CAPABILITIES: u16 = 143;
    pub const UHF_BAND_CAPABILITIES: u16 = 144;
    pub const TRANSMIT_POWER_LEVEL_TABLE_ENTRY: u16 = 145;
    pub const ROSPEC: u16 = 177;
    pub const RO_BOUNDARY_SPEC: u16 = 178;
    pub const ROSPEC_START_TRIGGER: u16 = 179;
    pub const ROSPEC_STOP_TRIGGER: u16 = 182;
    pub const AI_SPEC: u16 = 183;
    pub const AI_SPEC_STOP_TRIGGER: u16 = 184;
    pub const INVENTORY_PARAMETER_SPEC: u16 = 186;
    pub const ACCESS_SPEC: u16 = 207;
    pub const ACCESS_SPEC_STOP_TRIGGER: u16 = 208;
    pub const ACCESS_COMMAND: u16 = 209;
    pub const KEEPALIVE_SPEC: u16 = 220;
    pub const ANTENNA_CONFIGURATION: u16 = 222;
    pub const RF_TRANSMITTER: u16 = 224;
    pub const EVENTS_AND_REPORTS: u16 = 226;
    pub const RO_REPORT_SPEC: u16 = 237;
    pub const TAG_REPORT_CONTENT_SELECTOR: u16 = 238;
    pub const ACCESS_REPORT_SPEC: u16 = 239;
    pub const TAG_REPORT_DATA: u16 = 240;
    pub const EPC_DATA: u16 = 241;
    pub const READER_EVENT_NOTIFICATION_SPEC: u16 = 244;
    pub const EVENT_NOTIFICATION_STATE: u16 = 245;
    pub const READER_EVENT_NOTIFICATION_DATA: u16 = 246;
    pub const ROSPEC_EVENT: u16 = 249;
    pub const READER_EXCEPTION_EVENT: u16 = 252;
    pub const ANTENNA_EVENT: u16 = 255;
    pub const CONNECTION_ATTEMPT_EVENT: u16 = 256;
    pub const CONNECTION_CLOSE_EVENT: u16 = 257;
    pub const LLRP_STATUS: u16 = 287;
    pub const C1G2_TAG_SPEC: u16 = 338;
    pub const C1G2_TARGET_TAG: u16 = 339;
    pub const C1G2_READ: u16 = 341;
    pub const C1G2_WRITE: u16 = 342;
    pub const C1G2_READ_OP_SPEC_RESULT: u16 = 349;
    pub const C1G2_WRITE_OP_SPEC_RESULT: u16 = 350;
    pub const CUSTOM: u16 = 1023;
}

/// Event types of EventNotificationState (LLRP 1.0.1 §13.2.5.1).
pub mod event_type {
    pub const ROSPEC: u16 = 2;
    pub const READER_EXCEPTION: u16 = 5;
    pub const ANTENNA: u16 = 8;
}

/// Impinj's IANA private enterprise number, the vendor id of its custom parameters.
pub const IMPINJ_PEN: u32 = 25882;
/// Impinj custom parameter subtype of ImpinjRFPhaseAngle (Octane LLRP reference).
pub const IMPINJ_RF_PHASE_ANGLE: u32 = 56;

/// ConnectionAttemptEvent status 0: the reader accepts us as its client (§13.2.6.10).
pub const CONNECTION_SUCCESS: u16 = 0;

/// One LLRP message: its id (echoed in responses) and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u32,
    pub body: Body,
}

/// The messages a client sends or must understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    GetReaderCapabilities {
        requested: u8,
    },
    GetReaderCapabilitiesResponse {
        status: LlrpStatus,
        capabilities: Capabilities,
    },
    GetReaderConfig {
        antenna: u16,
        requested: u8,
    },
    /// The configuration itself is not modelled: the client only needs the status.
    GetReaderConfigResponse {
        status: LlrpStatus,
    },
    SetReaderConfig(SetReaderConfig),
    SetReaderConfigResponse {
        status: LlrpStatus,
    },
    AddRospec(RoSpec),
    /// DELETE, START, STOP, ENABLE or DISABLE_ROSPEC (0 means all ROSpecs).
    RospecCommand {
        op: RospecOp,
        rospec_id: u32,
    },
    /// The response to ADD, DELETE, START, STOP, ENABLE or DISABLE_ROSPEC.
    RospecResponse {
        op: RospecOp,
        status: LlrpStatus,
    },
    RoAccessReport {
        tags: Vec<TagReportData>,
    },
    AddAccessSpec(AccessSpec),
    /// DELETE, ENABLE or DISABLE_ACCESSSPEC (0 means all AccessSpecs).
    AccessSpecCommand {
        op: AccessSpecOp,
        access_spec_id: u32,
    },
    /// The response to ADD, DELETE, ENABLE or DISABLE_ACCESSSPEC.
    AccessSpecResponse {
        op: AccessSpecOp,
        status: LlrpStatus,
    },
    ReaderEventNotification(ReaderEventNotification),
    Keepalive,
    KeepaliveAck,
    EnableEventsAndReports,
    ErrorMessage {
        status: LlrpStatus,
    },
    CloseConnection,
    CloseConnectionResponse {
        status: LlrpStatus,
    },
    /// A message type we do not model (vendor custom messages included), kept whole.
    Other {
        msg_type: u16,
        payload: Bytes,
    },
}

impl Body {
    /// The LLRP message type number.
    pub fn msg_type(&self) -> u16 {
        use msg_type::*;
        match self {
            Body::GetReaderCapabilities { .. } => GET_READER_CAPABILITIES,
            Body::GetReaderCapabilitiesResponse { .. } => GET_READER_CAPABILITIES_RESPONSE,
            Body::GetReaderConfig { .. } => GET_READER_CONFIG,
            Body::GetReaderConfigResponse { .. } => GET_READER_CONFIG_RESPONSE,
            Body::SetReaderConfig(_) => SET_READER_CONFIG,
            Body::SetReaderConfigResponse { .. } => SET_READER_CONFIG_RESPONSE,
            Body::AddRospec(_) => ADD_ROSPEC,
            Body::RospecCommand { op, .. } => op.command_type(),
            Body::RospecResponse { op, .. } => op.response_type(),
            Body::RoAccessReport { .. } => RO_ACCESS_REPORT,
            Body::AddAccessSpec(_) => ADD_ACCESSSPEC,
            Body::AccessSpecCommand { op, .. } => op.command_type(),
            Body::AccessSpecResponse { op, .. } => op.response_type(),
            Body::ReaderEventNotification(_) => READER_EVENT_NOTIFICATION,
            Body::Keepalive => KEEPALIVE,
            Body::KeepaliveAck => KEEPALIVE_ACK,
            Body::EnableEventsAndReports => ENABLE_EVENTS_AND_REPORTS,
            Body::ErrorMessage { .. } => ERROR_MESSAGE,
            Body::CloseConnection => CLOSE_CONNECTION,
            Body::CloseConnectionResponse { .. } => CLOSE_CONNECTION_RESPONSE,
            Body::Other { msg_type, .. } => *msg_type,
        }
    }

    /// The status a response carries, if this is a response or an ERROR_MESSAGE.
    pub fn status(&self) -> Option<&LlrpStatus> {
        match self {
            Body::GetReaderCapabilitiesResponse { status, .. }
            | Body::GetReaderConfigResponse { status }
            | Body::SetReaderConfigResponse { status }
            | Body::RospecResponse { status, .. }
            | Body::AccessSpecResponse { status, .. }
            | Body::ErrorMessage { status }
            | Body::CloseConnectionResponse { status } => Some(status),
            _ => None,
        }
    }
}

/// The ROSpec operations that share one message shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RospecOp {
    /// Only in responses: ADD_ROSPEC itself carries a whole [`RoSpec`].
    Add,
    Delete,
    Start,
    Stop,
    Enable,
    Disable,
}

impl RospecOp {
    pub const COMMANDS: [RospecOp; 5] = [
        RospecOp::Delete,
        RospecOp::Start,
        RospecOp::Stop,
        RospecOp::Enable,
        RospecOp::Disable,
    ];

    pub fn command_type(self) -> u16 {
        use msg_type::*;
        match self {
            RospecOp::Add => ADD_ROSPEC,
            RospecOp::Delete => DELETE_ROSPEC,
            RospecOp::Start => START_ROSPEC,
            RospecOp::Stop => STOP_ROSPEC,
            RospecOp::Enable => ENABLE_ROSPEC,
            RospecOp::Disable => DISABLE_ROSPEC,
        }
    }

    pub fn response_type(self) -> u16 {
        // Each response number is its command's plus ten (§16.1).
        self.command_type() + 10
    }

    pub(crate) fn from_command_type(t: u16) -> Option<Self> {
        Self::COMMANDS.into_iter().find(|op| op.command_type() == t)
    }

    pub(crate) fn from_response_type(t: u16) -> Option<Self> {
        [RospecOp::Add]
            .into_iter()
            .chain(Self::COMMANDS)
            .find(|op| op.response_type() == t)
    }
}

/// The AccessSpec operations that share one message shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessSpecOp {
    /// Only in responses: ADD_ACCESSSPEC itself carries a whole [`AccessSpec`].
    Add,
    Delete,
    Enable,
    Disable,
}

impl AccessSpecOp {
    pub const COMMANDS: [AccessSpecOp; 3] = [
        AccessSpecOp::Delete,
        AccessSpecOp::Enable,
        AccessSpecOp::Disable,
    ];

    pub fn command_type(self) -> u16 {
        use msg_type::*;
        match self {
            AccessSpecOp::Add => ADD_ACCESSSPEC,
            AccessSpecOp::Delete => DELETE_ACCESSSPEC,
            AccessSpecOp::Enable => ENABLE_ACCESSSPEC,
            AccessSpecOp::Disable => DISABLE_ACCESSSPEC,
        }
    }

    pub fn response_type(self) -> u16 {
        self.command_type() + 10
    }

    pub(crate) fn from_command_type(t: u16) -> Option<Self> {
        Self::COMMANDS.into_iter().find(|op| op.command_type() == t)
    }

    pub(crate) fn from_response_type(t: u16) -> Option<Self> {
        [AccessSpecOp::Add]
            .into_iter()
            .chain(Self::COMMANDS)
            .find(|op| op.response_type() == t)
    }
}

/// Gen2 memory banks (C1G2 `MB`).
pub mod bank {
    pub const RESERVED: u8 = 0;
    /// CRC word, PC word, then the EPC: the EPC proper starts at word 2, bit 0x20.
    pub const EPC: u8 = 1;
    pub const TID: u8 = 2;
    pub const USER: u8 = 3;
}

/// A bit string as LLRP carries it (`u1v`): a bit count, then the bits, padded to bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bits {
    pub len: u16,
    pub bytes: Vec<u8>,
}

impl Bits {
    /// All of `bytes`, bit for bit.
    pub fn whole(bytes: &[u8]) -> Self {
        Bits {
            len: (bytes.len() * 8).min(usize::from(u16::MAX)) as u16,
            bytes: bytes.to_vec(),
        }
    }
}

/// AccessSpec (§11.2.1): what to do to which tags while an ROSpec runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSpec {
    pub id: u32,
    /// 0: any antenna.
    pub antenna: u16,
    /// 0: any ROSpec.
    pub rospec_id: u32,
    /// AccessSpecStopTrigger: `Some(n)` deletes the spec after it has run `n` times.
    pub operation_count: Option<u16>,
    /// C1G2TagSpec: one or two target patterns; every one must hold for the spec to run.
    pub targets: Vec<TargetTag>,
    pub ops: Vec<OpSpec>,
    /// AccessReportSpec trigger: 0 with every RO report, 1 at the end of the AccessSpec.
    pub report_trigger: Option<u8>,
}

/// C1G2TargetTag (§15.2.1.3.1.1): `data` under `mask` at bit `pointer` of bank `bank`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTag {
    pub bank: u8,
    /// true: the tag must match; false: it must not.
    pub matching: bool,
    pub pointer: u16,
    pub mask: Bits,
    pub data: Bits,
}

impl TargetTag {
    /// Tags whose EPC is exactly `epc`.
    pub fn epc(epc: &[u8]) -> Self {
        TargetTag {
            bank: bank::EPC,
            matching: true,
            pointer: 0x20,
            mask: Bits::whole(&vec![0xFF; epc.len()]),
            data: Bits::whole(epc),
        }
    }

    /// Any tag: an empty pattern.
    pub fn any() -> Self {
        TargetTag {
            bank: bank::EPC,
            matching: true,
            pointer: 0x20,
            mask: Bits::default(),
            data: Bits::default(),
        }
    }
}

/// The C1G2 operations an AccessSpec runs (§15.2.1.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpSpec {
    Read {
        op_spec_id: u16,
        password: u32,
        bank: u8,
        word_pointer: u16,
        /// 0 reads the whole bank.
        word_count: u16,
    },
    Write {
        op_spec_id: u16,
        password: u32,
        bank: u8,
        word_pointer: u16,
        data: Vec<u16>,
    },
}

/// C1G2ReadOpSpecResult and C1G2WriteOpSpecResult (§15.2.1.5), inside a TagReportData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpSpecResult {
    /// `result`: 0 success, 1 nonspecific tag error, 2 no response, 3 reader error.
    Read {
        op_spec_id: u16,
        result: u8,
        data: Vec<u16>,
    },
    /// `result`: 0 success, 1 memory overrun, 2 memory locked, 3 insufficient power,
    /// 4 nonspecific tag error, 5 no response, 6 reader error.
    Write {
        op_spec_id: u16,
        result: u8,
        words_written: u16,
    },
}

/// LLRPStatus (§14.2.2): 0 is success; the description says what the reader disliked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LlrpStatus {
    pub code: u16,
    pub description: String,
}

impl LlrpStatus {
    pub fn success() -> Self {
        LlrpStatus::default()
    }

    pub fn is_success(&self) -> bool {
        self.code == 0
    }
}

impl std::fmt::Display for LlrpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.description.is_empty() {
            write!(f, "status {}", self.code)
        } else {
            write!(f, "status {}: {}", self.code, self.description)
        }
    }
}

/// What GET_READER_CAPABILITIES_RESPONSE tells a client that configures the reader.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    pub max_antennas: u16,
    pub has_utc_clock: bool,
    /// IANA private enterprise number of the maker (Impinj is 25882).
    pub manufacturer: u32,
    pub model: u32,
    pub firmware: String,
    /// Transmit power table: index and power in hundredths of a dBm.
    pub power_levels: Vec<PowerLevel>,
}

impl Capabilities {
    /// The table index of the strongest power not above `dbm`, or the weakest level.
    pub fn power_index(&self, dbm: f32) -> Option<u16> {
        let want = (dbm * 100.0).round() as i32;
        let best_below = self
            .power_levels
            .iter()
            .filter(|p| i32::from(p.dbm_x100) <= want)
            .max_by_key(|p| p.dbm_x100);
        best_below
            .or_else(|| self.power_levels.iter().min_by_key(|p| p.dbm_x100))
            .map(|p| p.index)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerLevel {
    pub index: u16,
    pub dbm_x100: i16,
}

/// SET_READER_CONFIG (§12.1.3), limited to what a client sets on connect.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetReaderConfig {
    pub reset_to_factory_default: bool,
    /// EventNotificationState entries: event type and whether to report it.
    pub events: Vec<(u16, bool)>,
    pub report: Option<RoReportSpec>,
    /// KeepaliveSpec: `Some(ms)` asks for periodic keepalives, `Some(0)` turns them off.
    pub keepalive_ms: Option<u32>,
    /// EventsAndReports: hold events and reports while no client is connected.
    pub hold_events_and_reports: Option<bool>,
}

/// ROSpec start trigger (§10.2.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTrigger {
    /// Starts on START_ROSPEC only: what every reader honours.
    Null,
    Immediate,
}

/// An ROSpec for plain inventory on some antennas (§10.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoSpec {
    pub id: u32,
    pub priority: u8,
    pub start: StartTrigger,
    /// ROSpec stop trigger: `None` runs until STOP_ROSPEC, `Some(ms)` for a duration.
    pub duration_ms: Option<u32>,
    /// Antenna ids; `[0]` means all antennas.
    pub antennas: Vec<u16>,
    /// Transmit power table index applied to every listed antenna.
    pub power_index: Option<u16>,
    pub report: Option<RoReportSpec>,
}

/// ROReportSpec (§13.2.1): when to report and what each TagReportData contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoReportSpec {
    /// 0 none, 1 upon N tags or end of AISpec, 2 upon N tags or end of ROSpec.
    pub trigger: u8,
    pub n: u16,
    pub content: ContentSelector,
}

/// TagReportContentSelector flags (§13.2.1.1), most significant bit first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentSelector(pub u16);

impl ContentSelector {
    pub const ROSPEC_ID: u16 = 1 << 15;
    pub const SPEC_INDEX: u16 = 1 << 14;
    pub const INVENTORY_PARAMETER_SPEC_ID: u16 = 1 << 13;
    pub const ANTENNA_ID: u16 = 1 << 12;
    pub const CHANNEL_INDEX: u16 = 1 << 11;
    pub const PEAK_RSSI: u16 = 1 << 10;
    pub const FIRST_SEEN: u16 = 1 << 9;
    pub const LAST_SEEN: u16 = 1 << 8;
    pub const TAG_SEEN_COUNT: u16 = 1 << 7;
    pub const ACCESS_SPEC_ID: u16 = 1 << 6;
    /// The ten defined flags; the low six bits are reserved.
    pub const DEFINED: u16 = 0xFFC0;

    /// Everything a TagRead can carry.
    pub fn for_tag_reads() -> Self {
        ContentSelector(
            Self::ANTENNA_ID
                | Self::CHANNEL_INDEX
                | Self::PEAK_RSSI
                | Self::FIRST_SEEN
                | Self::LAST_SEEN
                | Self::TAG_SEEN_COUNT,
        )
    }
}

/// READER_EVENT_NOTIFICATION's ReaderEventNotificationData (§13.2.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReaderEventNotification {
    pub utc_us: Option<u64>,
    pub uptime_us: Option<u64>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    ConnectionAttempt {
        status: u16,
    },
    ConnectionClose,
    Antenna {
        antenna: u16,
        connected: bool,
    },
    /// 0 start of ROSpec, 1 end, 2 preempted.
    Rospec {
        kind: u8,
        rospec_id: u32,
        preempting_rospec_id: u32,
    },
    ReaderException {
        message: String,
    },
    /// An event parameter we do not model (hopping, GPI, buffer levels, custom).
    Other {
        param_type: u16,
    },
}

/// One TagReportData (§13.2.3): every field the reader chose to include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagReportData {
    pub epc: Epc,
    pub rospec_id: Option<u32>,
    pub spec_index: Option<u16>,
    pub inventory_parameter_spec_id: Option<u16>,
    pub antenna: Option<u16>,
    pub peak_rssi: Option<i8>,
    pub channel_index: Option<u16>,
    pub first_seen_utc_us: Option<u64>,
    pub first_seen_uptime_us: Option<u64>,
    pub last_seen_utc_us: Option<u64>,
    pub last_seen_uptime_us: Option<u64>,
    pub seen_count: Option<u16>,
    pub access_spec_id: Option<u32>,
    pub pc: Option<u16>,
    pub crc: Option<u16>,
    /// Impinj's RF phase angle extension (0..4096 for 0..2π), when the reader sends it.
    pub phase: Option<u16>,
    /// Results of the AccessSpec operations run on this tag, in the reader's order.
    pub op_results: Vec<OpSpecResult>,
}

impl TagReportData {
    pub fn new(epc: Epc) -> Self {
        TagReportData {
            epc,
            rospec_id: None,
            spec_index: None,
            inventory_parameter_spec_id: None,
            antenna: None,
            peak_rssi: None,
            channel_index: None,
            first_seen_utc_us: None,
            first_seen_uptime_us: None,
            last_seen_utc_us: None,
            last_seen_uptime_us: None,
            seen_count: None,
            access_spec_id: None,
            pc: None,
            crc: None,
            phase: None,
            op_results: Vec::new(),
        }
    }

    /// The protocol-neutral read. `received_us` (host time) stands in when the reader sent
    /// no UTC timestamp; an uptime alone cannot be placed on the calendar.
    pub fn to_tag_read(&self, reader: ReaderId, received_us: u64) -> TagRead {
        TagRead {
            epc: self.epc,
            reader,
            // Readers that omit AntennaID have a single port.
            antenna: self.antenna.unwrap_or(1),
            rssi_dbm: self.peak_rssi,
            timestamp_us: self.first_seen_utc_us.unwrap_or(received_us),
            channel: self.channel_index,
            phase: self.phase,
            seen_count: self.seen_count.map(u32::from),
        }
    }
}
