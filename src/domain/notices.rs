//! Notices: what happened to a loan or a transfer, or what fell due, told to whoever must
//! know — the approvers, the department that asked. Each says it in 中文 and English: the
//! inbox shows the reader's language, an e-mail carries both.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a notice tells of. Mirrors `notices_kind_known` in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NoticeKind)]
pub enum Kind {
    /// A request waits for a decision: to the approvers.
    ApprovalWaiting,
    /// A loan the depot approved waits for finance's sign-off: to the finance approvers.
    SignOffWaiting,
    /// The request was approved: to the requesting department.
    Approved,
    /// The request was rejected: to the requesting department.
    Rejected,
    /// A loan is due back on the next working day: to the borrowing department.
    DueTomorrow,
    /// A loan is past its last day and not all back: to the borrowing department.
    Overdue,
    /// Everything lent came back: to the borrowing department.
    Returned,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::ApprovalWaiting,
        Kind::SignOffWaiting,
        Kind::Approved,
        Kind::Rejected,
        Kind::DueTomorrow,
        Kind::Overdue,
        Kind::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApprovalWaiting => "approval_waiting",
            Kind::SignOffWaiting => "sign_off_waiting",
            Kind::Approved => "approved",
            Kind::Rejected => "rejected",
            Kind::DueTomorrow => "due_tomorrow",
            Kind::Overdue => "overdue",
            Kind::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a notice names, as stored with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Details {
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub starts_on: Option<String>,
    #[serde(default)]
    pub ends_on: Option<String>,
}

/// A notice in words: a short title and one line more, in English and in 中文.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Words {
    pub title_en: String,
    pub title_zh: String,
    pub text_en: String,
    pub text_zh: String,
}

/// The words of a notice of `kind` about `order_kind` `id` (loan or transfer).
pub fn words(kind: Kind, order_kind: &str, id: i64, d: &Details) -> Words {
    let (en, zh) = match order_kind {
        "transfer" => ("Transfer", "调配单"),
        _ => ("Loan", "出借单"),
    };
    let ends = d.ends_on.as_deref().unwrap_or("");
    let dates = match (&d.starts_on, &d.ends_on) {
        (Some(s), Some(e)) => format!(" ({s} – {e})"),
        _ => String::new(),
    };
    let dates_zh = match (&d.starts_on, &d.ends_on) {
        (Some(s), Some(e)) => format!("（{s} 至 {e}）"),
        _ => String::new(),
    };
    let (title_en, title_zh) = match kind {
        Kind::ApprovalWaiting => (
            format!("{en} {id} waits for approval"),
            format!("{zh} {id} 待审批"),
        ),
        Kind::SignOffWaiting => (
            format!("{en} {id} waits for finance's sign-off"),
            format!("{zh} {id} 待财务审批"),
        ),
        Kind::Approved => (format!("{en} {id} approved"), format!("{zh} {id} 已批准")),
        Kind::Rejected => (format!("{en} {id} rejected"), format!("{zh} {id} 未获批准")),
        Kind::DueTomorrow => (
            format!("{en} {id} is due back {ends}"),
            format!("{zh} {id} 应于 {ends} 归还"),
        ),
        Kind::Overdue => (
            format!("{en} {id} is overdue"),
            format!("{zh} {id} 已逾期未还"),
        ),
        Kind::Returned => (
            format!("{en} {id}: everything is back"),
            format!("{zh} {id} 的资产已全部归还"),
        ),
    };
    let (text_en, text_zh) = match kind {
        Kind::ApprovalWaiting | Kind::SignOffWaiting => (
            format!("{} asks for: {}{dates}.", d.department, d.purpose),
            format!("{} 申请：{}{dates_zh}。", d.department, d.purpose),
        ),
        Kind::Overdue => (
            format!(
                "{}{dates}: it was due back on {ends}; please return it.",
                d.purpose
            ),
            format!("{}{dates_zh}：应于 {ends} 归还，请尽快归还。", d.purpose),
        ),
        _ => (
            format!("{}{dates}.", d.purpose),
            format!("{}{dates_zh}。", d.purpose),
        ),
    };
    Words {
        title_en,
        title_zh,
        text_en,
        text_zh,
    }
}

impl Words {
    /// An e-mail's subject: both titles.
    pub fn subject(&self) -> String {
        format!("{} · {}", self.title_zh, self.title_en)
    }

    /// An e-mail's body: both languages, 中文 first.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n\n{}\n{}\n\n— 公物仓 Depot\n",
            self.title_zh, self.text_zh, self.title_en, self.text_en
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_named_as_the_schema_names_it() {
        // The latest definition of `notices_kind_known`.
        let schema = include_str!("../../migrations/0055_approval_chain.sql");
        for kind in Kind::ALL {
            assert!(schema.contains(&format!("'{}'", kind.as_str())), "{kind:?}");
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn words_in_both_languages() {
        let d = Details {
            purpose: "Tuesday conference".into(),
            department: "Finance Bureau".into(),
            starts_on: Some("2030-01-08".into()),
            ends_on: Some("2030-01-09".into()),
        };
        let w = words(Kind::Overdue, "loan", 12, &d);
        assert_eq!(w.subject(), "出借单 12 已逾期未还 · Loan 12 is overdue");
        assert!(w.body().contains("2030-01-09"), "{}", w.body());
        let w = words(Kind::ApprovalWaiting, "transfer", 3, &d);
        assert_eq!(w.title_en, "Transfer 3 waits for approval");
        assert!(w.text_en.starts_with("Finance Bureau asks for"));
    }
}
