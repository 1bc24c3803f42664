//! Time limits (限时办结): how long paperwork may stay in a status before it is overdue, and
//! who must act on it. Limits count working days, which skip Saturdays and Sundays; a loan's
//! issue and return are due by its own dates instead.
//!
//! The limits are one table, [`DEFAULT_LIMITS`]; the configuration file may change the
//! number of days of any row (`[deadlines]`, keyed `loan_requested = 2`, …).

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who must act for the paperwork to move on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Acts {
    /// The depot manager: decisions, sales, remittances.
    Admin,
    /// The warehouse staff: issue, hand-over, appraisal, intake.
    Keeper,
    /// The department whose paperwork it is: returns, compensation.
    Department,
    /// The finance approver: sign-offs the approval chain asks for.
    Finance,
}

impl Acts {
    /// The code, as the schema and the API name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Acts::Admin => "admin",
            Acts::Keeper => "keeper",
            Acts::Department => "department",
            Acts::Finance => "finance",
        }
    }
}

/// When the work in a status is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "by", content = "days")]
pub enum Due {
    /// This many working days after the paperwork entered the status.
    WorkingDays(u16),
    /// By the loan's first day (issue).
    FirstDay,
    /// By the loan's last day (return).
    LastDay,
}

/// One row of the limits: paperwork of `kind` in `status` is due as `due` says, by `acts`,
/// who must `action` it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Limit {
    /// loan, transfer, disposal, intake or compensation
    pub kind: &'static str,
    pub status: &'static str,
    pub due: Due,
    pub acts: Acts,
    /// What is due: decide, issue, return, hand_over, appraise, sell_or_scrap, remit, receive, settle.
    pub action: &'static str,
}

const fn limit(
    kind: &'static str,
    status: &'static str,
    due: Due,
    acts: Acts,
    action: &'static str,
) -> Limit {
    Limit {
        kind,
        status,
        due,
        acts,
        action,
    }
}

use Acts::{Admin, Department, Finance, Keeper};
use Due::{FirstDay, LastDay, WorkingDays};

/// The limits when the configuration says nothing else.
#[rustfmt::skip]
pub const DEFAULT_LIMITS: &[Limit] = &[
    limit("loan",         "requested",        WorkingDays(2),  Admin,      "decide"),
    limit("loan",         "awaiting_finance", WorkingDays(2),  Finance,    "sign_off"),
    limit("loan",         "approved",         FirstDay,        Keeper,     "issue"),
    limit("loan",         "partially_issued", LastDay,         Department, "return"),
    limit("loan",         "issued",           LastDay,         Department, "return"),
    limit("transfer",     "requested",        WorkingDays(2),  Admin,      "decide"),
    limit("transfer",     "approved",         WorkingDays(5),  Keeper,     "hand_over"),
    limit("disposal",     "requested",        WorkingDays(10), Keeper,     "appraise"),
    limit("disposal",     "appraised",        WorkingDays(2),  Admin,      "decide"),
    limit("disposal",     "approved",         WorkingDays(20), Admin,      "sell_or_scrap"),
    limit("disposal",     "sold",             WorkingDays(10), Admin,      "remit"),
    limit("intake",       "open",             WorkingDays(10), Keeper,     "receive"),
    limit("compensation", "open",             WorkingDays(20), Department, "settle"),
    limit("compensation", "repaired",         WorkingDays(20), Department, "settle"),
];

/// The most working days a limit may be set to: a year's.
pub const MAX_WORKING_DAYS: u16 = 260;

/// The limits in force: the defaults, with the days of some rows changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits(Vec<Limit>);

impl Default for Limits {
    fn default() -> Self {
        Limits(DEFAULT_LIMITS.to_vec())
    }
}

impl Limits {
    /// The defaults with `(key, days)` applied, each key `KIND_STATUS` of a row counted in
    /// working days (`loan_requested`, `disposal_sold`, …). An unknown key, or days outside
    /// 1 to [`MAX_WORKING_DAYS`], is refused with a message naming it.
    pub fn with<'a>(changes: impl IntoIterator<Item = (&'a str, i64)>) -> Result<Limits, String> {
        let mut limits = Limits::default();
        for (key, days) in changes {
            let row = limits
                .0
                .iter_mut()
                .find(|l| {
                    format!("{}_{}", l.kind, l.status) == key && matches!(l.due, WorkingDays(_))
                })
                .ok_or_else(|| {
                    format!(
                        "deadlines: {key:?} is not a limit in working days (known: {})",
                        Limits::keys().join(", ")
                    )
                })?;
            let days = u16::try_from(days)
                .ok()
                .filter(|d| (1..=MAX_WORKING_DAYS).contains(d))
                .ok_or_else(|| {
                    format!("deadlines: {key} must be 1 to {MAX_WORKING_DAYS} working days")
                })?;
            row.due = WorkingDays(days);
        }
        Ok(limits)
    }

    /// The keys a configuration may set.
    pub fn keys() -> Vec<String> {
        DEFAULT_LIMITS
            .iter()
            .filter(|l| matches!(l.due, WorkingDays(_)))
            .map(|l| format!("{}_{}", l.kind, l.status))
            .collect()
    }

    pub fn all(&self) -> &[Limit] {
        &self.0
    }
}

pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The day `n` working days after `day`: the day work that arrived on `day` is due by.
pub fn add_working_days(day: NaiveDate, n: u16) -> NaiveDate {
    let mut day = day;
    let mut left = n;
    // At most n working days and two weekend days per five: bounded by n * 7 / 5 + 2 steps.
    while left > 0 {
        day = day + Days::new(1);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The next working day after `day`.
pub fn next_working_day(day: NaiveDate) -> NaiveDate {
    add_working_days(day, 1)
}

/// The last day on which work may have arrived and be overdue `today` with a limit of `n`
/// working days: work that arrived on it or before was due before today.
pub fn overdue_if_arrived_by(today: NaiveDate, n: u16) -> NaiveDate {
    // `add_working_days` never decreases as its day grows: walk back from yesterday until the
    // due day is before today, at most n * 7 / 5 + 3 days.
    let mut day = today - Days::new(1);
    while add_working_days(day, n) >= today {
        day = day - Days::new(1);
    }
    day
}

/// Working days from `due` (exclusive) to `today` (inclusive): how late the work is.
pub fn working_days_late(due: NaiveDate, today: NaiveDate) -> i64 {
    if today <= due {
        return 0;
    }
    let calendar = (today - due).num_days();
    // Whole weeks have five working days each; the rest is walked (at most six days).
    let weeks = calendar / 7;
    let mut late = weeks * 5;
    let mut day = due + Days::new((weeks * 7) as u64);
    while day < today {
        day = day + Days::new(1);
        if is_working_day(day) {
            late += 1;
        }
    }
    late
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn working_days_skip_weekends() {
        // 2026-11-27 is a Friday.
        assert_eq!(add_working_days(d("2026-11-27"), 1), d("2026-11-30"));
        assert_eq!(add_working_days(d("2026-11-27"), 2), d("2026-12-01"));
        assert_eq!(
            add_working_days(d("2026-11-28"), 1),
            d("2026-11-30"),
            "from a Saturday"
        );
        assert_eq!(add_working_days(d("2026-11-23"), 10), d("2026-12-07"));
        assert_eq!(next_working_day(d("2026-11-30")), d("2026-12-01"));
        assert_eq!(add_working_days(d("2026-11-30"), 0), d("2026-11-30"));
    }

    #[test]
    fn the_overdue_cutoff_is_the_last_arrival_already_late() {
        for today in [
            "2026-11-30",
            "2026-12-01",
            "2026-12-05",
            "2026-12-06",
            "2027-03-01",
        ] {
            let today = d(today);
            for n in [1, 2, 5, 10, 20] {
                let cutoff = overdue_if_arrived_by(today, n);
                assert!(add_working_days(cutoff, n) < today, "{today} {n}");
                assert!(
                    add_working_days(cutoff + Days::new(1), n) >= today,
                    "{today} {n}"
                );
            }
        }
        // Requested on Thursday with two working days: due Monday, overdue on Tuesday.
        assert_eq!(overdue_if_arrived_by(d("2026-12-01"), 2), d("2026-11-26"));
    }

    #[test]
    fn lateness_counts_working_days() {
        assert_eq!(working_days_late(d("2026-11-27"), d("2026-11-27")), 0);
        assert_eq!(working_days_late(d("2026-11-27"), d("2026-11-30")), 1);
        assert_eq!(working_days_late(d("2026-11-27"), d("2026-12-07")), 6);
        assert_eq!(working_days_late(d("2026-11-28"), d("2026-11-29")), 0);
    }

    #[test]
    fn limits_change_by_key_within_bounds() {
        let limits = Limits::with([("disposal_sold", 5)]).unwrap();
        let sold = limits
            .all()
            .iter()
            .find(|l| l.kind == "disposal" && l.status == "sold")
            .unwrap();
        assert_eq!(sold.due, WorkingDays(5));
        assert!(Limits::with([("loan_issued", 3)])
            .unwrap_err()
            .contains("loan_issued"));
        assert!(Limits::with([("loan_requested", 0)]).is_err());
        assert!(Limits::with([("loan_requested", 261)]).is_err());
        assert!(Limits::with([("nothing", 1)]).is_err());
    }
}
