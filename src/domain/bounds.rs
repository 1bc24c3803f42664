//! Bounded input types: what a request may carry, checked once, where it is parsed.
//!
//! Every field a person or a client fills in is one of these instead of a bare `String`,
//! `NaiveDate` or `i64`; their `Deserialize` refuses a bad value, so a body, query or form
//! that does not fit is a 4xx naming the field, and nothing below the edge can overflow,
//! store a NUL byte PostgreSQL would choke on, or redirect to another site.
//!
//! - [`Text`]: one line, no control characters, at most [`Text::MAX_CHARS`].
//! - [`Note`]: free text that may span lines (tab and line breaks allowed), no other control
//!   characters, at most [`Note::MAX_CHARS`].
//! - [`Day`]: a calendar date from [`Day::MIN`] to [`Day::MAX`] (1900–2200).
//! - [`Fen`]: money, 0 ≤ fen ≤ 10¹³ (a hundred billion yuan); parsed from yuan with checked
//!   arithmetic; [`FenSum`] holds a sum of many and never overflows.
//! - [`PageNo`]: 1 ≤ page ≤ [`PageNo::MAX`].
//! - [`LocalPath`]: where to go back to — one leading `/`, no control characters, no backslash.
//! - [`Password`] (sign-in: at most [`Password::MAX_BYTES`]) and [`NewPassword`] (at least
//!   [`NewPassword::MIN_CHARS`] characters); `Debug` never shows either.

use std::fmt;
use std::ops::Deref;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a value was refused, for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OutOfBounds(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, OutOfBounds> {
    Err(OutOfBounds(message.into()))
}

/// Refuse NUL and every other control character, except those `allowed` (line breaks, tab).
fn check_chars(text: &str, max: usize, allowed: &[char]) -> Result<(), OutOfBounds> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !allowed.contains(c))
    {
        return refuse(format!(
            "text cannot contain control characters (found U+{:04X})",
            c as u32
        ));
    }
    let n = text.chars().count();
    if n > max {
        return refuse(format!("text is at most {max} characters long, got {n}"));
    }
    Ok(())
}

/// Refuse what no text field of a page takes: NUL and control characters other than tab
/// and line breaks. [`crate::web::Posted`] applies it to every field of every form (the
/// form's size is bounded as a whole; each typed field bounds its own length).
pub fn check_form_field(value: &str) -> Result<(), OutOfBounds> {
    check_chars(value, usize::MAX, Note::ALLOWED)
}

macro_rules! text_type {
    ($name:ident) => {
        impl $name {
            /// The text, checked.
            pub fn parse(text: impl Into<String>) -> Result<Self, OutOfBounds> {
                let text = text.into();
                check_chars(&text, Self::MAX_CHARS, Self::ALLOWED)?;
                Ok($name(text))
            }

            /// Text the program itself writes (demo data, defaults, tests): checked all the
            /// same; a bad one is a bug, so it panics.
            #[track_caller]
            pub fn known(text: impl Into<String>) -> Self {
                Self::parse(text).unwrap_or_else(|e| panic!("{e}"))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = OutOfBounds;
            fn try_from(text: String) -> Result<Self, OutOfBounds> {
                $name::parse(text)
            }
        }

        impl From<$name> for String {
            fn from(t: $name) -> String {
                t.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

/// Values the program itself writes (demo data, defaults, tests), turned into bounded types
/// like `.into()` would: checked all the same, and a bad one is a bug, so it panics.
pub trait Known<T> {
    fn known(self) -> T;
}

macro_rules! known {
    ($($from:ty => $to:ty),* $(,)?) => {$(
        impl Known<$to> for $from {
            #[track_caller]
            fn known(self) -> $to {
                <$to>::known(self)
            }
        }
    )*};
}

known!(
    &str => Text,
    String => Text,
    &str => Note,
    String => Note,
    NaiveDate => Day,
    &str => NewPassword,
);

/// One line of text (a name, code, username, receipt number, search): no control
/// characters at all, at most 500 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(try_from = "String")]
#[sqlx(transparent)]
pub struct Text(String);

impl Text {
    pub const MAX_CHARS: usize = 500;
    const ALLOWED: &'static [char] = &[];
}

text_type!(Text);

/// Free text that may span lines (a purpose, reason or note): tab and line breaks allowed,
/// no other control characters, at most 5,000 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(try_from = "String")]
#[sqlx(transparent)]
pub struct Note(String);

impl Note {
    pub const MAX_CHARS: usize = 5_000;
    const ALLOWED: &'static [char] = &['\t', '\n', '\r'];
}

text_type!(Note);

/// A calendar date within 1900-01-01 ..= 2200-12-31 (`YYYY-MM-DD`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
    ToSchema,
)]
#[serde(try_from = "NaiveDate")]
#[sqlx(transparent)]
#[schema(value_type = String, format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
pub struct Day(NaiveDate);

impl Day {
    pub const MIN: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
        Some(d) => d,
        None => panic!("valid date"),
    };
    pub const MAX: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
        Some(d) => d,
        None => panic!("valid date"),
    };

    pub fn new(date: NaiveDate) -> Result<Day, OutOfBounds> {
        if (Day::MIN..=Day::MAX).contains(&date) {
            Ok(Day(date))
        } else {
            refuse(format!(
                "the date {date} is out of range: give one from {} to {}",
                Day::MIN.year(),
                Day::MAX.year()
            ))
        }
    }

    /// `YYYY-MM-DD`, within range.
    pub fn parse(text: &str) -> Result<Day, OutOfBounds> {
        let date = text
            .trim()
            .parse::<NaiveDate>()
            .map_err(|_| OutOfBounds(format!("{text:?} is not a date: write it as YYYY-MM-DD")))?;
        Day::new(date)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// A date the program itself writes (demo data, tests); a bad one is a bug.
    #[track_caller]
    pub fn known(date: NaiveDate) -> Day {
        Day::new(date).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl TryFrom<NaiveDate> for Day {
    type Error = OutOfBounds;
    fn try_from(date: NaiveDate) -> Result<Day, OutOfBounds> {
        Day::new(date)
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> NaiveDate {
        d.0
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An amount of money in fen (1 yuan = 100 fen): 0 ..= 10¹³, a hundred billion yuan, far
/// above any single asset or payment and far below where a sum of millions could overflow.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
)]
#[serde(try_from = "i64")]
#[sqlx(transparent)]
pub struct Fen(i64);

/// An `i64` newtype within `MIN..=MAX`: `new` checks, `get` reads, `TryFrom<i64>` for serde.
macro_rules! ranged_int {
    ($name:ident, $min:expr, $max:expr, $what:expr) => {
        impl $name {
            pub const MIN: i64 = $min;
            pub const MAX: i64 = $max;

            pub fn new(value: i64) -> Result<$name, OutOfBounds> {
                if (Self::MIN..=Self::MAX).contains(&value) {
                    Ok($name(value))
                } else {
                    refuse(format!("{}, got {value}", $what))
                }
            }

            pub fn get(self) -> i64 {
                self.0
            }

            /// A value the program itself writes (demo data, tests); a bad one is a bug.
            #[track_caller]
            pub fn known(value: i64) -> $name {
                $name::new(value).unwrap_or_else(|e| panic!("{e}"))
            }
        }

        impl TryFrom<i64> for $name {
            type Error = OutOfBounds;
            fn try_from(value: i64) -> Result<$name, OutOfBounds> {
                $name::new(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> i64 {
                value.0
            }
        }
    };
}

ranged_int!(
    Fen,
    0,
    10_000_000_000_000,
    "an amount is 0 to 10000000000000 fen (0 to 100000000000 yuan)"
);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Yuan as typed by a person: `1234`, `1,234.5`, `¥1234.50`; at most two decimals.
    pub fn from_yuan(text: &str) -> Result<Fen, OutOfBounds> {
        let bad = || OutOfBounds(format!("{text:?} is not an amount in yuan"));
        let cleaned = text
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim()
            .replace(',', "");
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || frac.len() > 2 || !digits(whole) || !digits(frac) {
            return Err(bad());
        }
        // Digits only, so parsing fails only on overflow; then checked arithmetic.
        let too_much = || OutOfBounds(format!("{text:?} is more than {} yuan", Fen::MAX / 100));
        let whole: i64 = whole.parse().map_err(|_| too_much())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let fen = whole
            .checked_mul(100)
            .and_then(|f| f.checked_add(frac))
            .ok_or_else(too_much)?;
        Fen::new(fen).map_err(|_| too_much())
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).and_then(|f| Fen::new(f).ok())
    }
}

/// A sum of many amounts, in fen. Summed as `numeric` in PostgreSQL and read as text, so it
/// never overflows, whatever the rows hold; 128 bits hold any sum of `i64`s a table can have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[schema(value_type = i64)]
pub struct FenSum(pub i128);

impl FenSum {
    pub fn get(self) -> i128 {
        self.0
    }
}

impl sqlx::Type<sqlx::Postgres> for FenSum {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as sqlx::Type<sqlx::Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for FenSum {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
        Ok(FenSum(text.parse()?))
    }
}

impl std::iter::Sum<i64> for FenSum {
    fn sum<I: Iterator<Item = i64>>(iter: I) -> FenSum {
        FenSum(iter.map(i128::from).sum())
    }
}

/// A page number of a list: 1 ..= 200. A page number is an offset, and an offset reads every
/// row before it: with at most 500 items a page no page starts past the 99,500th row (a
/// list in id order walks on by keyset, `after`, as quickly on every page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64")]
pub struct PageNo(i64);

/// A useful life in months (使用年限): 1 ..= 1,200 (a hundred years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64")]
pub struct Months(i64);

ranged_int!(Months, 1, 1_200, "a useful life is 1 to 1200 months");

impl Months {
    /// As the database stores it (`integer`).
    pub fn as_i32(self) -> i32 {
        // Within 1..=1200 by construction.
        self.0 as i32
    }
}

ranged_int!(PageNo, 1, 200, "a page number is 1 to 200");

impl PageNo {
    pub const FIRST: PageNo = PageNo(1);
}

impl Default for PageNo {
    fn default() -> Self {
        PageNo::FIRST
    }
}

/// An e-mail address to send notifications to, or none (empty): one `@` between a local
/// part and a domain, no spaces, control characters or `<>",;`, at most 254 characters —
/// the shape the schema's `users_email_shape` holds too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(text: impl Into<String>) -> Result<Email, OutOfBounds> {
        let text = text.into().trim().to_owned();
        if text.is_empty() {
            return Ok(Email(text));
        }
        check_chars(&text, Email::MAX_CHARS, &[])?;
        let bad = |c: char| c.is_whitespace() || "<>\",;".contains(c);
        match text.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !text.chars().any(bad) =>
            {
                Ok(Email(text))
            }
            _ => refuse(format!("{text:?} is not an e-mail address")),
        }
    }

    /// The address; `None` when empty.
    pub fn get(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(self.0.as_str())
    }
}

impl TryFrom<String> for Email {
    type Error = OutOfBounds;
    fn try_from(text: String) -> Result<Email, OutOfBounds> {
        Email::parse(text)
    }
}

/// A path on this site to go back to after signing in or switching language: exactly one
/// leading `/` (so never `//host` or `/\host`), no backslash, no control characters
/// (browsers drop tabs and line breaks, turning `/\t/evil.example` into `//evil.example`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct LocalPath(String);

impl LocalPath {
    pub fn parse(path: impl Into<String>) -> Result<LocalPath, OutOfBounds> {
        let path = path.into();
        let bytes = path.as_bytes();
        let local = bytes.first() == Some(&b'/')
            && bytes.get(1) != Some(&b'/')
            && !path.contains('\\')
            && !path.chars().any(char::is_control)
            && path.len() <= 2048;
        if local {
            Ok(LocalPath(path))
        } else {
            refuse(format!(
                "{path:?} is not a path on this site: give one that starts with a single /"
            ))
        }
    }

    /// The home page.
    pub fn home() -> LocalPath {
        LocalPath("/".into())
    }

    /// Where to go back to: `path` if it is local, else the home page. For `next` and `back`
    /// parameters, which arrive in links anyone can write: ignoring a bad one is as safe as
    /// refusing it, and a crafted link cannot make signing in fail.
    pub fn or_home(path: &str) -> LocalPath {
        LocalPath::parse(path).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LocalPath {
    type Error = OutOfBounds;
    fn try_from(path: String) -> Result<LocalPath, OutOfBounds> {
        LocalPath::parse(path)
    }
}

impl Default for LocalPath {
    fn default() -> Self {
        LocalPath::home()
    }
}

impl fmt::Display for LocalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password typed to sign in: anything up to 1,024 bytes (a longer one is refused before
/// any hashing, so it costs nothing). The policy for new passwords is [`NewPassword`].
#[derive(Clone, Deserialize, ToSchema)]
#[serde(try_from = "String")]
#[schema(value_type = String, format = Password)]
pub struct Password(String);

impl Password {
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(password: impl Into<String>) -> Result<Password, OutOfBounds> {
        let password = password.into();
        if password.len() > Password::MAX_BYTES {
            return refuse(format!(
                "a password is at most {} bytes long",
                Password::MAX_BYTES
            ));
        }
        Ok(Password(password))
    }
}

/// What both password types share: parsed from a string, readable on purpose only, never
/// shown by `Debug`.
macro_rules! secret_type {
    ($name:ident) => {
        impl $name {
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = OutOfBounds;
            fn try_from(password: String) -> Result<$name, OutOfBounds> {
                $name::parse(password)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }
    };
}

secret_type!(Password);

/// A password someone chooses: at least 10 characters (long enough that the sign-in
/// throttle makes guessing hopeless), at most 1,024 bytes, no control characters.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    /// As many as the longest sign-in password holds in the widest characters.
    pub const MAX_CHARS: usize = Password::MAX_BYTES / 4;

    pub fn parse(password: impl Into<String>) -> Result<NewPassword, OutOfBounds> {
        let password = Password::parse(password)?.0;
        if password.chars().any(char::is_control) {
            return refuse("a password cannot contain control characters");
        }
        if password.chars().count() > NewPassword::MAX_CHARS {
            return refuse(format!(
                "a password has at most {} characters",
                NewPassword::MAX_CHARS
            ));
        }
        if password.chars().count() < NewPassword::MIN_CHARS {
            return refuse(format!(
                "a password has at least {} characters",
                NewPassword::MIN_CHARS
            ));
        }
        Ok(NewPassword(password))
    }

    /// A password the program itself chooses (tests); a bad one is a bug.
    #[track_caller]
    pub fn known(password: impl Into<String>) -> NewPassword {
        NewPassword::parse(password).unwrap_or_else(|e| panic!("{e}"))
    }
}

secret_type!(NewPassword);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_nul_and_control_characters() {
        assert!(Text::parse("Tuesday conference 会议").is_ok());
        assert!(Text::parse("a\0b").is_err());
        assert!(Text::parse("a\nb").is_err());
        assert!(Text::parse("a\u{7f}").is_err());
        assert!(Text::parse("a\u{85}").is_err());
        assert!(Text::parse("x".repeat(Text::MAX_CHARS + 1)).is_err());
        assert!(Note::parse("two\nlines\tand a tab\r\n").is_ok());
        assert!(Note::parse("nul\0").is_err());
        assert!(Note::parse("bell\u{7}").is_err());
        assert!(check_form_field(&"E280116060000207\r\n".repeat(1000)).is_ok());
        assert!(check_form_field("a\0").is_err());
        let err = serde_json::from_str::<Text>("\"a\\u0000\"").unwrap_err();
        assert!(err.to_string().contains("control characters"), "{err}");
    }

    #[test]
    fn days_are_within_1900_to_2200() {
        assert!(Day::parse("2030-01-08").is_ok());
        assert!(Day::parse("1900-01-01").is_ok());
        assert!(Day::parse("2200-12-31").is_ok());
        assert!(Day::parse("1899-12-31").is_err());
        assert!(Day::parse("2201-01-01").is_err());
        assert!(Day::parse("-4714-01-01").is_err());
        assert!(Day::parse("-200000-01-01").is_err());
        assert!(serde_json::from_str::<Day>("\"-4714-01-01\"").is_err());
        assert!(serde_json::from_str::<Day>("\"2030-01-08\"").is_ok());
    }

    #[test]
    fn fen_is_bounded_and_yuan_parse_is_checked() {
        assert_eq!(Fen::new(0).unwrap().get(), 0);
        assert!(Fen::new(-1).is_err());
        assert!(Fen::new(Fen::MAX).is_ok());
        assert!(Fen::new(Fen::MAX + 1).is_err());
        assert!(serde_json::from_str::<Fen>(&i64::MAX.to_string()).is_err());
        assert_eq!(Fen::from_yuan("1,234.5").unwrap().get(), 123_450);
        assert_eq!(Fen::from_yuan("¥12").unwrap().get(), 1_200);
        assert_eq!(Fen::from_yuan(" 0.07 ").unwrap().get(), 7);
        for bad in ["", "-1", "+1", "1.234", "1e3", "abc", ".5", "1.-5"] {
            assert!(Fen::from_yuan(bad).is_err(), "{bad:?}");
        }
        // Used to wrap to 84 fen.
        assert!(Fen::from_yuan("184467440737095517").is_err());
        assert!(Fen::from_yuan("99999999999999999999999").is_err());
        assert!(Fen::from_yuan("100000000000").is_ok());
        assert!(Fen::from_yuan("100000000000.01").is_err());
        assert!(Fen::new(Fen::MAX)
            .unwrap()
            .checked_add(Fen::new(1).unwrap())
            .is_none());
        let sum: FenSum = [i64::MAX, i64::MAX].into_iter().sum();
        assert_eq!(sum.get(), 2 * i64::MAX as i128);
    }

    #[test]
    fn page_numbers_are_bounded() {
        assert!(PageNo::new(1).is_ok());
        assert!(PageNo::new(PageNo::MAX).is_ok());
        assert!(PageNo::new(0).is_err());
        assert!(PageNo::new(i64::MAX).is_err());
        #[derive(Deserialize)]
        struct Q {
            page: Option<PageNo>,
        }
        let q: Q = serde_urlencoded::from_str("page=3").unwrap();
        assert_eq!(q.page, Some(PageNo(3)));
        assert!(serde_urlencoded::from_str::<Q>("page=9223372036854775807").is_err());
    }

    #[test]
    fn local_paths_never_leave_the_site() {
        for good in ["/", "/orders/3?requested=1", "/catalogue?q=%E4%BC%9A"] {
            assert!(LocalPath::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "orders",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "/a\0",
        ] {
            assert!(LocalPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_a_policy_and_never_show() {
        assert!(NewPassword::parse("long enough pw").is_ok());
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("ten chars\0x").is_err());
        assert!(NewPassword::parse("x".repeat(2000)).is_err());
        assert!(Password::parse("demo").is_ok());
        assert!(Password::parse("x".repeat(2000)).is_err());
        let p = NewPassword::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}

/// The bounds of the types above, in the API's document: a client generated from it, or a
/// tester, sends what the types accept.
macro_rules! bounded_schema {
    ($name:ident, $description:expr, |$b:ident| $bounds:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let $b = utoipa::openapi::ObjectBuilder::new().description(Some($description));
                $bounds.into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

/// No control characters (C0, DEL, C1).
const ONE_LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// Tab and line breaks, no other control characters.
const LINES: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

bounded_schema!(
    Text,
    "One line of text: no control characters, at most 500 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .max_length(Some(Text::MAX_CHARS))
        .pattern(Some(ONE_LINE))
);
bounded_schema!(
    Note,
    "Free text: tab and line breaks allowed, no other control characters, at most 5,000 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .max_length(Some(Note::MAX_CHARS))
        .pattern(Some(LINES))
);
bounded_schema!(
    Fen,
    "An amount of money in fen (1 yuan = 100 fen): 0 to 10¹³.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64
        )))
        .minimum(Some(Fen::MIN as f64))
        .maximum(Some(Fen::MAX as f64))
);
bounded_schema!(PageNo, "A page number: 1 to 200.", |b| b
    .schema_type(utoipa::openapi::schema::Type::Integer)
    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
        utoipa::openapi::KnownFormat::Int64
    )))
    .minimum(Some(PageNo::MIN as f64))
    .maximum(Some(PageNo::MAX as f64)));
bounded_schema!(Months, "A useful life in months: 1 to 1,200.", |b| b
    .schema_type(utoipa::openapi::schema::Type::Integer)
    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
        utoipa::openapi::KnownFormat::Int32
    )))
    .minimum(Some(Months::MIN as f64))
    .maximum(Some(Months::MAX as f64)));
bounded_schema!(
    NewPassword,
    "A new password: at least 10 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Password
        )))
        .min_length(Some(NewPassword::MIN_CHARS))
        .max_length(Some(NewPassword::MAX_CHARS))
        .pattern(Some(ONE_LINE))
);

/// Text with something in it (not only spaces): one line, no control characters.
const FILLED_LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// Text with something in it (not only spaces), tab and line breaks allowed.
const FILLED_LINES: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// In the API's document only: a [`Text`] that must not be blank (a name, code, username,
/// receipt number), as the operation taking it checks.
pub struct FilledText;

/// In the API's document only: a [`Text`] name of 1 to 200 characters, not blank (a kit, a
/// rental's supplier).
pub struct ShortName;

/// In the API's document only: a [`Note`] that must not be blank (a purpose, a reason).
pub struct FilledNote;

bounded_schema!(
    FilledText,
    "One line of text, not blank: no control characters, at most 500 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(Text::MAX_CHARS))
        .pattern(Some(FILLED_LINE))
);
bounded_schema!(
    ShortName,
    "A name, not blank: no control characters, at most 200 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(200))
        .pattern(Some(FILLED_LINE))
);
bounded_schema!(
    FilledNote,
    "Free text, not blank: tab and line breaks allowed, no other control characters, at most 5,000 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(Note::MAX_CHARS))
        .pattern(Some(FILLED_LINES))
);
bounded_schema!(
    Email,
    "An e-mail address, or none (empty): one `@` between a local part and a domain, no spaces, control characters or `<>\",;`, at most 254 characters.",
    |b| b
        .schema_type(utoipa::openapi::schema::Type::String)
        .max_length(Some(Email::MAX_CHARS))
        .pattern(Some("^([^\\s\\u0000-\\u001F\\u007F-\\u009F<>\",;@]+@[^\\s\\u0000-\\u001F\\u007F-\\u009F<>\",;@]+)?$"))
);
