//! GS1 EPC Tag Data Standard (TDS 2.x) binary encodings used by Depot.
//!
//! New assets get a GIAI-96 EPC from the configured GS1 company prefix and a sequential
//! asset reference. Reading tags we decode GIAI-96, GRAI-96 (returnable cases) and
//! SGTIN-96 (trade items) into tag URIs; anything else stays raw hex.

use std::fmt;

/// Decoded contents of one EPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Giai96 {
        filter: u8,
        company_prefix: String,
        asset_reference: u64,
    },
    Grai96 {
        filter: u8,
        company_prefix: String,
        asset_type: String,
        serial: u64,
    },
    Sgtin96 {
        filter: u8,
        company_prefix: String,
        item_reference: String,
        serial: u64,
    },
    /// Not a scheme Depot decodes, or not a valid encoding of one: kept as raw hex.
    Raw { hex: String },
}

/// Why an EPC could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("GS1 company prefix must be 6 to 12 digits, got {0:?}")]
    CompanyPrefix(String),
    #[error("filter value must be 0 to 7, got {0}")]
    Filter(u8),
    #[error("asset reference {reference} does not fit GIAI-96 with a {digits}-digit company prefix (at most {max})")]
    AssetReference {
        reference: u64,
        digits: usize,
        max: u64,
    },
}

/// TDS §14.5.5.1 (GIAI-96 partition table): company prefix bits and digits, asset reference bits.
const GIAI96_PARTITIONS: [(u32, usize, u32); 7] = [
    (40, 12, 42),
    (37, 11, 45),
    (34, 10, 48),
    (30, 9, 52),
    (27, 8, 55),
    (24, 7, 58),
    (20, 6, 62),
];

/// TDS §14.5.1.1 / §14.5.4.1 (SGTIN-96 and GRAI-96 share bit widths): company prefix bits and
/// digits, then the item reference / asset type bits. SGTIN's item reference has 13 − L digits
/// (it carries the indicator digit), GRAI's asset type 12 − L.
const GTIN_PARTITIONS: [(u32, usize, u32); 7] = [
    (40, 12, 4),
    (37, 11, 7),
    (34, 10, 10),
    (30, 9, 14),
    (27, 8, 17),
    (24, 7, 20),
    (20, 6, 24),
];

const HEADER_SGTIN96: u8 = 0x30;
const HEADER_GRAI96: u8 = 0x33;
const HEADER_GIAI96: u8 = 0x34;

/// Encode a GIAI-96 EPC: 8-bit header, 3-bit filter, 3-bit partition, company prefix, asset
/// reference. Returns the 12 bytes.
pub fn encode_giai96(
    filter: u8,
    company_prefix: &str,
    asset_reference: u64,
) -> Result<[u8; 12], EncodeError> {
    if filter > 7 {
        return Err(EncodeError::Filter(filter));
    }
    let digits = company_prefix.len();
    if !(6..=12).contains(&digits) || !company_prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EncodeError::CompanyPrefix(company_prefix.to_owned()));
    }
    let partition = 12 - digits;
    let (cp_bits, _, ref_bits) = GIAI96_PARTITIONS[partition];
    let max = (1u64 << ref_bits) - 1;
    if asset_reference > max {
        return Err(EncodeError::AssetReference {
            reference: asset_reference,
            digits,
            max,
        });
    }
    let cp: u128 = company_prefix.parse::<u64>().expect("checked digits") as u128;
    let mut word: u128 = (HEADER_GIAI96 as u128) << 88;
    word |= (filter as u128) << 85;
    word |= (partition as u128) << 82;
    word |= cp << ref_bits;
    word |= asset_reference as u128;
    debug_assert!(cp < 1 << cp_bits);
    Ok(word.to_be_bytes()[4..].try_into().expect("12 bytes"))
}

/// Decode an EPC's bytes. Never fails: what is not a valid GIAI-96, GRAI-96 or SGTIN-96 is raw.
pub fn decode(bytes: &[u8]) -> Decoded {
    let raw = || Decoded::Raw {
        hex: hex_upper(bytes),
    };
    let Ok(b12): Result<[u8; 12], _> = bytes.try_into() else {
        return raw();
    };
    let mut be = [0u8; 16];
    be[4..].copy_from_slice(&b12);
    let word = u128::from_be_bytes(be);
    let header = b12[0];
    let filter = ((word >> 85) & 0b111) as u8;
    let partition = ((word >> 82) & 0b111) as usize;
    if partition > 6 {
        return raw();
    }
    let rest = word & ((1u128 << 82) - 1);
    match header {
        HEADER_GIAI96 => {
            let (_, cp_digits, ref_bits) = GIAI96_PARTITIONS[partition];
            let cp = (rest >> ref_bits) as u64;
            let asset_reference = (rest & ((1u128 << ref_bits) - 1)) as u64;
            if cp >= 10u64.pow(cp_digits as u32) {
                return raw();
            }
            Decoded::Giai96 {
                filter,
                company_prefix: format!("{cp:0cp_digits$}"),
                asset_reference,
            }
        }
        HEADER_SGTIN96 | HEADER_GRAI96 => {
            let (_, cp_digits, item_bits) = GTIN_PARTITIONS[partition];
            let serial = (word & ((1u128 << 38) - 1)) as u64;
            let upper = rest >> 38;
            let cp = (upper >> item_bits) as u64;
            let item = (upper & ((1u128 << item_bits) - 1)) as u64;
            let item_digits = if header == HEADER_SGTIN96 {
                13 - cp_digits
            } else {
                12 - cp_digits
            };
            if cp >= 10u64.pow(cp_digits as u32) || item >= 10u64.pow(item_digits as u32) {
                return raw();
            }
            let company_prefix = format!("{cp:0cp_digits$}");
            let item = if item_digits == 0 {
                String::new()
            } else {
                format!("{item:0item_digits$}")
            };
            if header == HEADER_SGTIN96 {
                Decoded::Sgtin96 {
                    filter,
                    company_prefix,
                    item_reference: item,
                    serial,
                }
            } else {
                Decoded::Grai96 {
                    filter,
                    company_prefix,
                    asset_type: item,
                    serial,
                }
            }
        }
        _ => raw(),
    }
}

impl Decoded {
    /// The EPC tag URI (TDS §12.3), or `urn:epc:raw:BITS.xHEX` for what is not decoded.
    pub fn tag_uri(&self) -> String {
        match self {
            Decoded::Giai96 {
                filter,
                company_prefix,
                asset_reference,
            } => {
                format!("urn:epc:tag:giai-96:{filter}.{company_prefix}.{asset_reference}")
            }
            Decoded::Grai96 {
                filter,
                company_prefix,
                asset_type,
                serial,
            } => {
                format!("urn:epc:tag:grai-96:{filter}.{company_prefix}.{asset_type}.{serial}")
            }
            Decoded::Sgtin96 {
                filter,
                company_prefix,
                item_reference,
                serial,
            } => {
                format!("urn:epc:tag:sgtin-96:{filter}.{company_prefix}.{item_reference}.{serial}")
            }
            Decoded::Raw { hex } => format!("urn:epc:raw:{}.x{hex}", hex.len() * 4),
        }
    }

    /// The pure identity URI (TDS §6), if the EPC is one of the decoded schemes.
    pub fn pure_identity(&self) -> Option<String> {
        Some(match self {
            Decoded::Giai96 {
                company_prefix,
                asset_reference,
                ..
            } => {
                format!("urn:epc:id:giai:{company_prefix}.{asset_reference}")
            }
            Decoded::Grai96 {
                company_prefix,
                asset_type,
                serial,
                ..
            } => {
                format!("urn:epc:id:grai:{company_prefix}.{asset_type}.{serial}")
            }
            Decoded::Sgtin96 {
                company_prefix,
                item_reference,
                serial,
                ..
            } => {
                format!("urn:epc:id:sgtin:{company_prefix}.{item_reference}.{serial}")
            }
            Decoded::Raw { .. } => return None,
        })
    }

    pub fn scheme(&self) -> &'static str {
        match self {
            Decoded::Giai96 { .. } => "giai-96",
            Decoded::Grai96 { .. } => "grai-96",
            Decoded::Sgtin96 { .. } => "sgtin-96",
            Decoded::Raw { .. } => "raw",
        }
    }
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag_uri())
    }
}

/// The 96-bit encodings (hex, one per filter value) an EPC URI may stand for on a tag: a pure
/// identity (`urn:epc:id:giai:…`, `grai`, `sgtin`) has one per filter value, a tag URI
/// (`urn:epc:tag:giai-96:F.…`) one, a raw URI (`urn:epc:raw:96.xHEX`) its bits. `None`: not
/// such a URI, or a value no 96-bit encoding holds.
pub fn encodings(uri: &str) -> Option<Vec<String>> {
    if let Some(rest) = uri.strip_prefix("urn:epc:raw:") {
        let (bits, hex) = rest.split_once(".x")?;
        let bytes = parse_hex(hex)?;
        return (bits.parse::<usize>().ok()? == bytes.len() * 8).then(|| vec![hex_upper(&bytes)]);
    }
    let (scheme, filters, fields) = if let Some(rest) = uri.strip_prefix("urn:epc:id:") {
        let (scheme, fields) = rest.split_once(':')?;
        (scheme, 0..=7u8, fields)
    } else {
        let rest = uri.strip_prefix("urn:epc:tag:")?;
        let (scheme, fields) = rest.split_once(':')?;
        let (filter, fields) = fields.split_once('.')?;
        let filter: u8 = filter
            .parse()
            .ok()
            .filter(|f| *f <= 7 && filter.len() == 1)?;
        (scheme.strip_suffix("-96")?, filter..=filter, fields)
    };
    let parts: Vec<&str> = fields.split('.').collect();
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut out = Vec::new();
    for filter in filters {
        let bytes = match (scheme, parts.as_slice()) {
            ("giai", [cp, reference]) => {
                // GIAI-96 holds a numeric reference without leading zeros.
                if reference.len() > 1 && reference.starts_with('0') {
                    return None;
                }
                encode_giai96(filter, cp, number(reference)?).ok()?
            }
            ("sgtin", [cp, item, serial]) => {
                encode_gtin_like(HEADER_SGTIN96, filter, cp, item, 13, serial)?
            }
            ("grai", [cp, kind, serial]) => {
                encode_gtin_like(HEADER_GRAI96, filter, cp, kind, 12, serial)?
            }
            _ => return None,
        };
        out.push(hex_upper(&bytes));
    }
    Some(out)
}

/// SGTIN-96 and GRAI-96: header, filter, partition, company prefix, item reference or asset
/// type (`digits` − the prefix's digits long), a 38-bit serial without leading zeros.
fn encode_gtin_like(
    header: u8,
    filter: u8,
    company_prefix: &str,
    item: &str,
    digits: usize,
    serial: &str,
) -> Option<[u8; 12]> {
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let cp_digits = company_prefix.len();
    if !(6..=12).contains(&cp_digits) || !all_digits(company_prefix) || !all_digits(item) {
        return None;
    }
    if cp_digits + item.len() != digits || serial.is_empty() || !all_digits(serial) {
        return None;
    }
    if serial.len() > 1 && serial.starts_with('0') || serial.len() > 12 {
        return None;
    }
    let serial: u64 = serial.parse().ok()?;
    if serial >= 1 << 38 {
        return None;
    }
    let partition = 12 - cp_digits;
    let (_, _, item_bits) = GTIN_PARTITIONS[partition];
    let cp: u128 = company_prefix.parse::<u64>().ok()?.into();
    let item: u128 = if item.is_empty() {
        0
    } else {
        item.parse::<u64>().ok()?.into()
    };
    let mut word: u128 = (header as u128) << 88;
    word |= (filter as u128) << 85;
    word |= (partition as u128) << 82;
    word |= cp << (38 + item_bits);
    word |= item << 38;
    word |= serial as u128;
    Some(word.to_be_bytes()[4..].try_into().expect("12 bytes"))
}

pub fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Parse hex (either case, even length, at most 62 bytes as Gen2 allows) into bytes.
pub fn parse_hex(hex: &str) -> Option<Vec<u8>> {
    depot_readers::Epc::from_hex(hex)
        .ok()
        .map(|e| e.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn giai96_golden() {
        // TDS example: urn:epc:id:giai:0614141.12345 in GIAI-96, filter 0:
        // 0x34 header, 000 filter, 101 partition (7-digit prefix), 0614141 in 24 bits, 12345 in 58 bits.
        let bytes = encode_giai96(0, "0614141", 12345).unwrap();
        assert_eq!(hex_upper(&bytes), "3414257BF400000000003039");
        let d = decode(&bytes);
        assert_eq!(d.tag_uri(), "urn:epc:tag:giai-96:0.0614141.12345");
        assert_eq!(d.pure_identity().unwrap(), "urn:epc:id:giai:0614141.12345");
    }

    #[test]
    fn sgtin96_golden() {
        // TDS §14.5.1 worked example.
        let d = decode(&parse_hex("3074257BF7194E4000001A85").unwrap());
        assert_eq!(d.tag_uri(), "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
    }

    #[test]
    fn giai96_limits() {
        assert!(encode_giai96(8, "0614141", 1).is_err());
        assert!(encode_giai96(0, "12345", 1).is_err());
        assert!(encode_giai96(0, "06141a1", 1).is_err());
        assert!(encode_giai96(0, "0614141", 1 << 58).is_err());
        assert!(encode_giai96(0, "0614141", (1 << 58) - 1).is_ok());
    }

    #[test]
    fn uris_encode_back_to_their_tags() {
        for hex in [
            "3414257BF400000000003039",
            "3074257BF7194E4000001A85",
            "3374257BF40C0E400000162E",
        ] {
            let d = decode(&parse_hex(hex).unwrap());
            assert_eq!(encodings(&d.tag_uri()).unwrap(), [hex]);
            let pure = encodings(&d.pure_identity().unwrap()).unwrap();
            assert_eq!(pure.len(), 8);
            assert!(pure.contains(&hex.to_owned()));
        }
        assert_eq!(encodings("urn:epc:raw:24.xE20012").unwrap(), ["E20012"]);
        assert_eq!(encodings("urn:epc:raw:16.xE20012"), None);
        assert_eq!(encodings("urn:epc:id:giai:0614141.012"), None);
        assert_eq!(encodings("urn:epc:idpat:giai:0614141.*"), None);
        assert_eq!(encodings("https://id.gs1.org/8004/061414112345"), None);
    }

    #[test]
    fn unknown_is_raw() {
        let d = decode(&[0xE2, 0x00, 0x12]);
        assert_eq!(
            d,
            Decoded::Raw {
                hex: "E20012".into()
            }
        );
        assert_eq!(d.tag_uri(), "urn:epc:raw:24.xE20012");
        // partition 7 does not exist
        let mut b = encode_giai96(0, "0614141", 1).unwrap();
        b[1] |= 0b0001_1100;
        assert!(matches!(decode(&b), Decoded::Raw { .. }));
    }

    proptest::proptest! {
        #[test]
        fn giai96_round_trips(filter in 0u8..8, digits in 6usize..=12, cp in 0u64..1_000_000_000_000, r in 0u64..u64::MAX) {
            let cp = format!("{:0digits$}", cp % 10u64.pow(digits as u32));
            let bits = GIAI96_PARTITIONS[12 - digits].2;
            let r = r % (1u64 << bits);
            let bytes = encode_giai96(filter, &cp, r).unwrap();
            proptest::prop_assert_eq!(decode(&bytes), Decoded::Giai96 { filter, company_prefix: cp, asset_reference: r });
        }
    }
}
