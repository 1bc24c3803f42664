//! Straight-line depreciation by month with no residual value, as government accounting
//! keeps it (政府会计准则: 年限平均法, 不考虑预计净残值): each month takes the same share of
//! the original value until the useful life is used up.
//!
//! Months count from the month of acquisition: an asset acquired on any day of March has
//! depreciated one month at the start of April. The accumulated depreciation is rounded down
//! to the fen, so the net value never goes below what the rule says; it ends at zero.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

/// Where an asset stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Depreciation {
    /// Whole months since the month of acquisition, at most the useful life.
    pub months: i64,
    /// In fen.
    pub accumulated_fen: i64,
    /// Original value less accumulated depreciation, in fen; never below 0.
    pub net_value_fen: i64,
}

/// Months from the month of `from` to the month of `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    (index(to) - index(from)).max(0)
}

/// The depreciation of `original_fen` acquired on `acquired_on` with a useful life of
/// `life_months` (≥ 1), as it stands on `on`.
pub fn straight_line(
    original_fen: i64,
    acquired_on: NaiveDate,
    life_months: i64,
    on: NaiveDate,
) -> Depreciation {
    let life = life_months.max(1);
    let months = months_between(acquired_on, on).min(life);
    let original = original_fen.max(0);
    // original ≤ 10¹³ and months ≤ 1200: the product fits in i128 with room to spare.
    let accumulated = (i128::from(original) * i128::from(months) / i128::from(life)) as i64;
    Depreciation {
        months,
        accumulated_fen: accumulated,
        net_value_fen: (original - accumulated).max(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn each_month_takes_an_equal_share_until_nothing_is_left() {
        let bought = day("2024-03-15");
        let at = |on: &str| straight_line(120_000, bought, 60, day(on));
        assert_eq!(at("2024-03-31").net_value_fen, 120_000);
        assert_eq!(at("2024-04-01").net_value_fen, 118_000);
        assert_eq!(at("2025-03-15").accumulated_fen, 24_000);
        assert_eq!(at("2029-02-28").net_value_fen, 2_000);
        assert_eq!(at("2029-03-01").net_value_fen, 0);
        assert_eq!(at("2040-01-01").net_value_fen, 0);
        assert_eq!(at("2040-01-01").months, 60);
        assert_eq!(at("2020-01-01").net_value_fen, 120_000);
    }

    #[test]
    fn odd_amounts_round_the_depreciation_down() {
        // 100 fen over 3 months: 33, 66, then 100.
        let d = |m: u32| {
            straight_line(
                100,
                day("2024-01-01"),
                3,
                day("2024-01-01") + chrono::Months::new(m),
            )
        };
        assert_eq!(d(1).net_value_fen, 67);
        assert_eq!(d(2).net_value_fen, 34);
        assert_eq!(d(3).net_value_fen, 0);
    }
}
