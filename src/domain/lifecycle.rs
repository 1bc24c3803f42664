//! The asset lifecycle as one table of allowed transitions.
//!
//! Every change of an asset's state goes through [`AssetAction::apply`], which looks the
//! action up in [`TRANSITIONS`]. Handlers never compare states themselves.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an asset is in its life. Mirrors the `asset_state` enum in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, ToSchema)]
#[sqlx(type_name = "asset_state", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AssetState {
    /// Known and tagged, not yet received into depot custody.
    Registered,
    /// In depot custody at a zone.
    InStock,
    /// Held for an approved order.
    Reserved,
    /// Lent to a department: possession moved, ownership did not.
    OnLoan,
    /// Damaged, being repaired.
    InRepair,
    /// Missing.
    Lost,
    /// Transferred to a department: ownership moved.
    Allocated,
    /// Approved for disposal, awaiting sale or scrapping.
    PendingDisposal,
    /// Sold, scrapped or written off. Terminal.
    Disposed,
    /// Virtual depot: held by its department and lendable to others.
    Listed,
}

impl AssetState {
    pub const ALL: [AssetState; 10] = [
        AssetState::Registered,
        AssetState::InStock,
        AssetState::Reserved,
        AssetState::OnLoan,
        AssetState::InRepair,
        AssetState::Lost,
        AssetState::Allocated,
        AssetState::PendingDisposal,
        AssetState::Disposed,
        AssetState::Listed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetState::Registered => "registered",
            AssetState::InStock => "in_stock",
            AssetState::Reserved => "reserved",
            AssetState::OnLoan => "on_loan",
            AssetState::InRepair => "in_repair",
            AssetState::Lost => "lost",
            AssetState::Allocated => "allocated",
            AssetState::PendingDisposal => "pending_disposal",
            AssetState::Disposed => "disposed",
            AssetState::Listed => "listed",
        }
    }
}

impl fmt::Display for AssetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can happen to an asset. Each action is one row of [`TRANSITIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetAction {
    /// Intake: the depot receives a registered asset into a zone.
    Receive,
    /// A register taken over: the asset was already held by its owning department, and
    /// stays there, in that department's custody.
    Hold,
    /// An order was approved: the asset is held for it.
    Reserve,
    /// The order holding the asset was cancelled or completed without it.
    Release,
    /// Handed over on a loan (at the gate or the counter).
    Issue,
    /// Came back from a loan in good order.
    Return,
    /// Came back from a loan damaged.
    ReturnDamaged,
    /// Found damaged in the depot.
    SendToRepair,
    /// Repair finished.
    Repair,
    /// Missing at a return or a stocktake.
    MarkLost,
    /// A lost asset turned up again.
    Recover,
    /// Handed over on a transfer: ownership moves to the department.
    Allocate,
    /// A department lists its idle asset in the virtual depot.
    List,
    /// A department takes its asset off the virtual depot.
    Unlist,
    /// A department hands an asset it holds back to the depot.
    TakeIn,
    /// Put forward for disposal.
    ProposeDisposal,
    /// A disposal was rejected or cancelled.
    WithdrawDisposal,
    /// Sold at auction or scrapped.
    Dispose,
    /// Natural wear or loss, documented and approved.
    WriteOff,
}

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    State(AssetState),
    /// Back where the asset lives when idle: `listed` for a virtual-depot asset, else `in_stock`.
    Home,
}

use AssetAction as A;
use AssetState as S;

/// The lifecycle: for each action, the states it may start from and where it leads.
pub const TRANSITIONS: &[(AssetAction, &[AssetState], Target)] = &[
    (A::Receive, &[S::Registered], Target::State(S::InStock)),
    (A::Hold, &[S::Registered], Target::State(S::Allocated)),
    (
        A::Reserve,
        &[S::InStock, S::Listed],
        Target::State(S::Reserved),
    ),
    (A::Release, &[S::Reserved], Target::Home),
    (A::Issue, &[S::Reserved], Target::State(S::OnLoan)),
    (A::Return, &[S::OnLoan], Target::Home),
    (A::ReturnDamaged, &[S::OnLoan], Target::State(S::InRepair)),
    (
        A::SendToRepair,
        &[S::InStock, S::Listed, S::Reserved],
        Target::State(S::InRepair),
    ),
    (A::Repair, &[S::InRepair], Target::Home),
    (
        A::MarkLost,
        &[S::InStock, S::Reserved, S::OnLoan, S::InRepair, S::Listed],
        Target::State(S::Lost),
    ),
    (A::Recover, &[S::Lost], Target::Home),
    (A::Allocate, &[S::Reserved], Target::State(S::Allocated)),
    (A::List, &[S::Allocated], Target::State(S::Listed)),
    (A::Unlist, &[S::Listed], Target::State(S::Allocated)),
    (A::TakeIn, &[S::Allocated], Target::State(S::InStock)),
    (
        A::ProposeDisposal,
        &[S::InStock, S::InRepair],
        Target::State(S::PendingDisposal),
    ),
    (
        A::WithdrawDisposal,
        &[S::PendingDisposal],
        Target::State(S::InStock),
    ),
    (
        A::Dispose,
        &[S::PendingDisposal],
        Target::State(S::Disposed),
    ),
    (
        A::WriteOff,
        &[S::Lost, S::InRepair],
        Target::State(S::Disposed),
    ),
];

/// An action was asked of an asset in a state it cannot start from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an asset that is {from}; {action} is allowed only from {allowed}", action = self.action.verb(), allowed = join_states(self.allowed))]
pub struct IllegalTransition {
    pub action: AssetAction,
    pub from: AssetState,
    pub allowed: &'static [AssetState],
}

fn join_states(states: &[AssetState]) -> String {
    states
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl AssetAction {
    pub const ALL: [AssetAction; 19] = [
        A::Receive,
        A::Hold,
        A::Reserve,
        A::Release,
        A::Issue,
        A::Return,
        A::ReturnDamaged,
        A::SendToRepair,
        A::Repair,
        A::MarkLost,
        A::Recover,
        A::Allocate,
        A::List,
        A::Unlist,
        A::TakeIn,
        A::ProposeDisposal,
        A::WithdrawDisposal,
        A::Dispose,
        A::WriteOff,
    ];

    fn row(self) -> (&'static [AssetState], Target) {
        TRANSITIONS
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, from, to)| (*from, *to))
            .expect("every action has a row in TRANSITIONS")
    }

    /// The states this action may start from.
    pub fn allowed_from(self) -> &'static [AssetState] {
        self.row().0
    }

    /// The state an asset in `from` reaches by this action, or why it cannot.
    pub fn apply(
        self,
        from: AssetState,
        virtual_depot: bool,
    ) -> Result<AssetState, IllegalTransition> {
        let (allowed, target) = self.row();
        if !allowed.contains(&from) {
            return Err(IllegalTransition {
                action: self,
                from,
                allowed,
            });
        }
        Ok(match target {
            Target::State(s) => s,
            Target::Home if virtual_depot => S::Listed,
            Target::Home => S::InStock,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            A::Receive => "receive",
            A::Hold => "hold",
            A::Reserve => "reserve",
            A::Release => "release",
            A::Issue => "issue",
            A::Return => "return",
            A::ReturnDamaged => "return_damaged",
            A::SendToRepair => "send_to_repair",
            A::Repair => "repair",
            A::MarkLost => "mark_lost",
            A::Recover => "recover",
            A::Allocate => "allocate",
            A::List => "list",
            A::Unlist => "unlist",
            A::TakeIn => "take_in",
            A::ProposeDisposal => "propose_disposal",
            A::WithdrawDisposal => "withdraw_disposal",
            A::Dispose => "dispose",
            A::WriteOff => "write_off",
        }
    }

    /// The action as a person would say it in an error message.
    pub fn verb(self) -> &'static str {
        match self {
            A::Receive => "receive",
            A::Hold => "register as held by its department",
            A::Reserve => "reserve",
            A::Release => "release",
            A::Issue => "issue",
            A::Return => "return",
            A::ReturnDamaged => "return (damaged)",
            A::SendToRepair => "send to repair",
            A::Repair => "finish repairing",
            A::MarkLost => "mark as lost",
            A::Recover => "recover",
            A::Allocate => "allocate",
            A::List => "list in the virtual depot",
            A::Unlist => "unlist",
            A::TakeIn => "take in",
            A::ProposeDisposal => "propose for disposal",
            A::WithdrawDisposal => "withdraw from disposal",
            A::Dispose => "dispose of",
            A::WriteOff => "write off",
        }
    }
}

impl fmt::Display for AssetAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status tables for orders: each action lists the statuses it may start from.
pub mod orders {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// An order action was asked of an order in a status it cannot start from.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("cannot {action} {kind} {id}: it is {status}; {action} is allowed only when it is {allowed}")]
    pub struct IllegalOrderAction {
        pub kind: &'static str,
        pub id: i64,
        pub action: &'static str,
        pub status: String,
        pub allowed: String,
    }

    macro_rules! status_enum {
        ($name:ident, $sql:literal, [$($variant:ident => $text:literal),+ $(,)?]) => {
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, ToSchema)]
            #[sqlx(type_name = $sql, rename_all = "snake_case")]
            #[serde(rename_all = "snake_case")]
            pub enum $name { $($variant),+ }

            impl $name {
                /// Every status, in the order of the type.
                pub const ALL: &'static [$name] = &[$($name::$variant),+];

                pub fn as_str(self) -> &'static str {
                    match self { $($name::$variant => $text),+ }
                }

                /// The status named `text` (as [`Self::as_str`] writes it), if any.
                pub fn named(text: &str) -> Option<$name> {
                    Self::ALL.iter().copied().find(|s| s.as_str() == text)
                }
            }

            impl std::fmt::Display for $name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        };
    }

    status_enum!(LoanStatus, "loan_status", [
        Requested => "requested", AwaitingFinance => "awaiting_finance", Approved => "approved",
        PartiallyIssued => "partially_issued",
        Issued => "issued", Returned => "returned", Rejected => "rejected", Cancelled => "cancelled",
    ]);
    status_enum!(TransferStatus, "transfer_status", [
        Requested => "requested", Approved => "approved", Completed => "completed",
        Rejected => "rejected", Cancelled => "cancelled",
    ]);
    status_enum!(DisposalStatus, "disposal_status", [
        Requested => "requested", Appraised => "appraised", Approved => "approved", Sold => "sold",
        Scrapped => "scrapped", Remitted => "remitted", Rejected => "rejected", Cancelled => "cancelled",
    ]);
    status_enum!(IntakeStatus, "intake_status", [
        Open => "open", Completed => "completed", Cancelled => "cancelled",
    ]);
    status_enum!(CompensationStatus, "compensation_status", [
        Open => "open", Repaired => "repaired", Paid => "paid", Waived => "waived",
    ]);
    status_enum!(RentalStatus, "rental_status", [
        Ordered => "ordered", Received => "received", Returned => "returned", Cancelled => "cancelled",
    ]);

    use DisposalStatus as D;
    use LoanStatus as L;
    use TransferStatus as T;

    pub const LOAN_ACTIONS: &[(&str, &[LoanStatus])] = &[
        ("approve", &[L::Requested]),
        ("reject", &[L::Requested]),
        // The finance approver's step, for loans the approval chain sends there.
        ("sign_off", &[L::AwaitingFinance]),
        ("refuse", &[L::AwaitingFinance]),
        ("cancel", &[L::Requested, L::AwaitingFinance, L::Approved]),
        ("issue", &[L::Approved, L::PartiallyIssued]),
        ("return", &[L::PartiallyIssued, L::Issued]),
        ("swap", &[L::Approved, L::PartiallyIssued]),
        // Record a market rental for what the depot cannot supply: while the loan is open.
        (
            "rent",
            &[L::Requested, L::Approved, L::PartiallyIssued, L::Issued],
        ),
    ];
    pub const TRANSFER_ACTIONS: &[(&str, &[TransferStatus])] = &[
        ("approve", &[T::Requested]),
        ("reject", &[T::Requested]),
        ("cancel", &[T::Requested, T::Approved]),
        ("issue", &[T::Approved]),
    ];
    pub const DISPOSAL_ACTIONS: &[(&str, &[DisposalStatus])] = &[
        ("appraise", &[D::Requested, D::Appraised]),
        ("approve", &[D::Appraised]),
        ("reject", &[D::Requested, D::Appraised]),
        ("cancel", &[D::Requested, D::Appraised]),
        ("sell", &[D::Approved]),
        ("scrap", &[D::Approved]),
        ("remit", &[D::Sold]),
    ];
    pub const INTAKE_ACTIONS: &[(&str, &[IntakeStatus])] = &[
        ("receive", &[IntakeStatus::Open]),
        ("complete", &[IntakeStatus::Open]),
        ("cancel", &[IntakeStatus::Open]),
    ];
    pub const COMPENSATION_ACTIONS: &[(&str, &[CompensationStatus])] = &[
        ("repair", &[CompensationStatus::Open]),
        (
            "pay",
            &[CompensationStatus::Open, CompensationStatus::Repaired],
        ),
        (
            "waive",
            &[CompensationStatus::Open, CompensationStatus::Repaired],
        ),
    ];

    /// A market rental: ordered from the supplier → received by the keeper → returned to the
    /// supplier; or cancelled before anything came.
    pub const RENTAL_ACTIONS: &[(&str, &[RentalStatus])] = &[
        ("receive", &[RentalStatus::Ordered]),
        ("return", &[RentalStatus::Received]),
        ("cancel", &[RentalStatus::Ordered]),
    ];

    /// Whether `action` may start from `status` in an order table.
    pub fn allows<S: PartialEq>(table: &[(&'static str, &[S])], action: &str, status: &S) -> bool {
        table
            .iter()
            .any(|(a, from)| *a == action && from.contains(status))
    }

    /// Check `action` against an order table; the error names the order and what is allowed.
    pub fn check<S: Copy + PartialEq + std::fmt::Display>(
        table: &[(&'static str, &[S])],
        kind: &'static str,
        id: i64,
        action: &'static str,
        status: S,
    ) -> Result<(), IllegalOrderAction> {
        let allowed = table
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, from)| *from)
            .unwrap_or_else(|| panic!("{kind} action {action} missing from its table"));
        if allowed.contains(&status) {
            return Ok(());
        }
        Err(IllegalOrderAction {
            kind,
            id,
            action,
            status: status.to_string(),
            allowed: allowed
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row() {
        for action in AssetAction::ALL {
            assert_eq!(
                TRANSITIONS.iter().filter(|(a, _, _)| *a == action).count(),
                1,
                "{action}"
            );
        }
        assert_eq!(TRANSITIONS.len(), AssetAction::ALL.len());
    }

    #[test]
    fn disposed_is_terminal() {
        for action in AssetAction::ALL {
            assert!(
                action.apply(S::Disposed, false).is_err(),
                "{action} left disposed"
            );
        }
    }

    #[test]
    fn every_state_but_disposed_has_a_way_out_and_every_state_but_registered_a_way_in() {
        for state in AssetState::ALL {
            let out = AssetAction::ALL
                .iter()
                .any(|a| a.apply(state, false).is_ok());
            assert_eq!(out, state != S::Disposed, "{state}");
            let into = AssetAction::ALL.iter().any(|a| {
                AssetState::ALL.iter().any(|&f| {
                    a.apply(f, true).ok() == Some(state) || a.apply(f, false).ok() == Some(state)
                })
            });
            assert_eq!(into, state != S::Registered, "{state}");
        }
    }

    #[test]
    fn home_depends_on_virtual_depot() {
        assert_eq!(A::Return.apply(S::OnLoan, false), Ok(S::InStock));
        assert_eq!(A::Return.apply(S::OnLoan, true), Ok(S::Listed));
    }

    #[test]
    fn illegal_transition_names_state_and_allowed() {
        let err = A::Issue.apply(S::Disposed, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot issue an asset that is disposed; issue is allowed only from reserved"
        );
        let err = A::Return.apply(S::InStock, false).unwrap_err();
        assert!(
            err.to_string().contains("allowed only from on_loan"),
            "{err}"
        );
    }

    #[test]
    fn order_check_names_status() {
        use orders::*;
        let err = check(LOAN_ACTIONS, "loan", 7, "approve", LoanStatus::Returned).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot approve loan 7: it is returned; approve is allowed only when it is requested"
        );
        assert!(check(LOAN_ACTIONS, "loan", 7, "cancel", LoanStatus::Approved).is_ok());
    }
}
