//! Approval chains: which loans need a second step, the finance approver's sign-off, after
//! the depot's approval. The rule is one comparison per limit; the configuration sets them
//! (`[approvals]`: `finance_from_yuan`, `finance_over_days`).

use serde::Serialize;
use utoipa::ToSchema;

/// The steps of a loan's approval, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The depot's admin: chooses and reserves the assets.
    Depot,
    /// The finance approver: signs off a loan of great value or length.
    Finance,
}

/// When a loan also needs the finance approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Chain {
    /// Reserved assets worth this much or more (original value, fen) need finance.
    pub finance_from_fen: i64,
    /// Loans longer than this many days (first and last day counted) need finance.
    pub finance_over_days: i64,
}

/// ¥50,000.
pub const DEFAULT_FINANCE_FROM_FEN: i64 = 5_000_000;
pub const DEFAULT_FINANCE_OVER_DAYS: i64 = 30;

impl Default for Chain {
    fn default() -> Self {
        Chain {
            finance_from_fen: DEFAULT_FINANCE_FROM_FEN,
            finance_over_days: DEFAULT_FINANCE_OVER_DAYS,
        }
    }
}

impl Chain {
    /// The steps a loan of `value_fen` (its reserved assets' original value) lasting `days`
    /// days goes through.
    pub fn steps(&self, value_fen: i64, days: i64) -> &'static [Step] {
        if value_fen >= self.finance_from_fen || days > self.finance_over_days {
            &[Step::Depot, Step::Finance]
        } else {
            &[Step::Depot]
        }
    }

    /// Why finance must sign off, in English and 中文; `None`: it need not.
    pub fn why(&self, value_fen: i64, days: i64) -> Option<(String, String)> {
        let yuan = self.finance_from_fen / 100;
        if value_fen >= self.finance_from_fen {
            Some((
                format!("worth ¥{} (¥{yuan} or more)", value_fen / 100),
                format!("价值 ¥{}（达 ¥{yuan}）", value_fen / 100),
            ))
        } else if days > self.finance_over_days {
            let over = self.finance_over_days;
            Some((
                format!("{days} days (more than {over})"),
                format!("{days} 天（超过 {over} 天）"),
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_or_length_sends_a_loan_to_finance() {
        let chain = Chain::default();
        assert_eq!(chain.steps(4_999_999, 30), &[Step::Depot]);
        assert_eq!(chain.steps(5_000_000, 1), &[Step::Depot, Step::Finance]);
        assert_eq!(chain.steps(0, 31), &[Step::Depot, Step::Finance]);
        assert!(chain.why(100, 3).is_none());
        assert_eq!(chain.why(0, 31).unwrap().0, "31 days (more than 30)");
        assert_eq!(
            chain.why(6_000_000, 1).unwrap().0,
            "worth ¥60000 (¥50000 or more)"
        );
    }
}
