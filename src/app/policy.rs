//! Who may do what: one table, [`POLICY`], with a row per operation — the roles that may do
//! it at all and the scope rule for which things they may do it to — and one function,
//! [`authorize`], that every operation calls before it touches anything.
//!
//! It sits beside the lifecycle's transition table (`domain::lifecycle`): the lifecycle says
//! what may happen to an asset or an order in its current state, the policy says who may make
//! it happen. The API's operations are named as in the OpenAPI document (`operationId`), so a
//! test walks every operation of the document against this table.

use serde::{Deserialize, Serialize};

use super::{Error, Result, Visibility};
use crate::auth::{Actor, Role};
use crate::db::{self, assets::Asset};
use crate::domain::lifecycle::orders::allows;
use crate::domain::lifecycle::AssetState;

/// One business operation. The API's are named as its `operationId`s; the rest are the pages'
/// own views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    // session
    SignIn,
    Whoami,
    SignOut,
    /// API tokens: one's own, or everyone's.
    ListTokens,
    RevokeToken,
    // departments and users
    ListDepartments,
    CreateDepartment,
    GetDepartment,
    UpdateDepartment,
    DeleteDepartment,
    ListUsers,
    CreateUser,
    GetUser,
    UpdateUser,
    /// Change a user's role, department, or whether they may sign in.
    ChangeAccess,
    DeactivateUser,
    // places and kinds
    ListWarehouses,
    CreateWarehouse,
    GetWarehouse,
    UpdateWarehouse,
    DeleteWarehouse,
    ListZones,
    CreateZone,
    GetZone,
    UpdateZone,
    DeleteZone,
    ListCategories,
    CreateCategory,
    GetCategory,
    UpdateCategory,
    DeleteCategory,
    // assets
    ListAssets,
    RegisterAsset,
    GetAsset,
    UpdateAsset,
    AssetEvents,
    SendAssetToRepair,
    RepairAsset,
    MarkAssetLost,
    RecoverAsset,
    WriteOffAsset,
    ListAsset,
    UnlistAsset,
    TakeInAsset,
    /// A department offers an asset of its own back to the depot (上缴).
    HandInAsset,
    WithdrawHandIn,
    ListHandIns,
    RelocateAsset,
    RetagAsset,
    AddAttachment,
    ListAttachments,
    DownloadAttachment,
    DecodeEpc,
    /// Take a register file in (all or nothing), or only check it.
    ImportAssets,
    ExportAssetsCsv,
    ExportAssetsXlsx,
    // loans
    ListLoans,
    RequestLoan,
    GetLoan,
    LoanEvents,
    ApproveLoan,
    RejectLoan,
    /// The finance approver's step of a loan's approval chain.
    SignOffLoan,
    RefuseLoan,
    /// Loans waiting for the finance approver's sign-off.
    ListSignOffs,
    CancelLoan,
    IssueLoan,
    ReturnLoan,
    InspectLoan,
    /// The bookings whose asset may not be back in time (a late return, a repair, a loss).
    ListCollisions,
    /// Swap a booked asset on a loan for another of its category free for the loan's dates.
    SwapBooking,
    // kits
    ListKits,
    CreateKit,
    GetKit,
    DeleteKit,
    // compensation cases
    ListCompensations,
    GetCompensation,
    RepairCompensation,
    PayCompensation,
    WaiveCompensation,
    // market rentals for a loan's shortfall
    ListRentals,
    /// Record a rental on a loan: what the depot cannot supply, rented from a supplier.
    RecordRental,
    GetRental,
    RentalEvents,
    /// The rented items came in from the supplier.
    ReceiveRental,
    /// The rented items went back to the supplier.
    ReturnRental,
    CancelRental,
    // transfers
    ListTransfers,
    RequestTransfer,
    GetTransfer,
    TransferEvents,
    ApproveTransfer,
    RejectTransfer,
    CancelTransfer,
    IssueTransfer,
    // disposals
    ListDisposals,
    RequestDisposal,
    GetDisposal,
    DisposalEvents,
    AppraiseDisposal,
    ApproveDisposal,
    RejectDisposal,
    CancelDisposal,
    SellDisposal,
    ScrapDisposal,
    RemitDisposal,
    // intakes
    ListIntakes,
    OpenIntake,
    GetIntake,
    IntakeEvents,
    ReceiveIntake,
    CancelIntake,
    CompleteIntake,
    /// An asset's label in ZPL, for an RFID printer.
    AssetLabel,
    /// The labels of an intake's assets: ZPL, or a printable sheet.
    IntakeLabels,
    /// Send an intake's labels to a configured printer.
    PrintIntakeLabels,
    WriteAssetTag,
    // readers, gates, alerts, the live stream
    ListReaders,
    CreateReader,
    UpdateReader,
    DeleteReader,
    ListGates,
    CreateGate,
    DeleteGate,
    UploadReads,
    ListAlerts,
    AcknowledgeAlert,
    /// Confirm an uncertain passage: the lifecycle acts as on a sure one.
    ConfirmPassage,
    /// Dismiss an uncertain passage: nothing happened.
    DismissPassage,
    /// Walk tests: start one on a gate, finish it (the survey), apply its threshold, list.
    StartWalkTest,
    FinishWalkTest,
    CancelWalkTest,
    ApplyWalkTest,
    ListWalkTests,
    /// Follow the live event stream.
    Stream,
    // stocktakes
    ListStocktakes,
    CreateStocktake,
    GetStocktake,
    StartStocktake,
    FinishStocktake,
    CancelStocktake,
    /// Act on one line of a finished stocktake.
    Resolve,
    // notifications and time limits
    /// One's own notifications.
    ListNotifications,
    CountUnreadNotifications,
    MarkNotificationRead,
    MarkAllNotificationsRead,
    /// The time limits per order status.
    ListDeadlines,
    /// Paperwork past its time limit.
    ListOverdueWork,
    // the pages' own views
    /// The catalogue with availability for dates.
    BrowseCatalogue,
    /// A department's own assets, to list in the virtual depot.
    VirtualDepot,
    /// The loans and transfers waiting for a decision, and the transfers desk.
    ApprovalQueue,
    /// What to pick for approved loans.
    PickList,
    /// The loans out, to take back.
    ReturnsDesk,
    /// The intakes, to open and receive.
    IntakeDesk,
    /// The live gate: passages and open alerts.
    GateView,
    /// The stocktakes, to create and run.
    StocktakeDesk,
    /// The readers and gates, with their health, to configure.
    ReaderDesk,
    /// The registers of users, departments, warehouses and zones.
    Registers,
    /// The compensation cases, to settle.
    CompensationDesk,
    /// The dashboard and its CSV exports.
    Dashboard,
    /// Webhooks: other systems told of events.
    ListWebhooks,
    CreateWebhook,
    DeleteWebhook,
    ListWebhookDeliveries,
    ReplayWebhookDelivery,
    /// The figures the seeds publish, by department and period (and their CSV).
    ReadFigures,
    ReadDepreciation,
    /// The service's metrics (`/metrics`), for monitoring.
    ReadMetrics,
    /// The log as EPCIS 2.0 events: a requester's, of the assets their department owns or
    /// holds.
    ReadEpcisEvents,
}

/// Which of the things an operation touches a permitted role may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anyone, signed in or not (signing in and out).
    Public,
    /// Every thing.
    Any,
    /// A requester only their own department's (their paperwork, the assets it owns or holds,
    /// and the catalogue); another department's answers 404, as if it did not exist, and lists
    /// hold only their own. Other roles: everything.
    Department,
    /// A requester acts only for their own department (requests for it, listings of its
    /// assets); for another it is refused (403), and an asset they cannot see at all answers
    /// 404. Other roles: for any.
    OnBehalf,
    /// The roles given reach every person; everyone else only themselves, and another person
    /// answers 404.
    Oneself(&'static [Role]),
}

/// One row of the policy.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub op: Op,
    /// The roles that may do it at all; anyone else is refused (403).
    pub roles: &'static [Role],
    pub scope: Scope,
    /// What it is, for the refusal: "only admin may {what}".
    pub what: &'static str,
}

use Role::{Admin, Auditor, Finance, Keeper, Requester};
use Scope::{Any, Department, OnBehalf, Oneself, Public};

const ANYONE: &[Role] = &[Admin, Keeper, Requester, Auditor, Finance];
const ADMIN: &[Role] = &[Admin];
/// The depot's staff, who work the assets.
const STAFF: &[Role] = &[Admin, Keeper];
/// The staff and the finance bureau, who read the depot's own records.
const WATCHERS: &[Role] = &[Admin, Keeper, Auditor, Finance];
/// Who asks for assets: departments, and the admin on a department's behalf.
const REQUESTERS: &[Role] = &[Requester, Admin];
/// Who oversees: the admin and the finance bureau.
const OVERSIGHT: &[Role] = &[Admin, Auditor, Finance];
/// Who signs off loans the approval chain sends to finance.
const FINANCE: &[Role] = &[Finance];
/// Who keeps an asset's papers (photos, invoices, appraisals): the staff and finance.
const BOOKS: &[Role] = &[Admin, Keeper, Finance];
/// No role: with `Oneself`, each person reaches only their own.
const NOBODY: &[Role] = &[];

const fn rule(op: Op, roles: &'static [Role], scope: Scope, what: &'static str) -> Rule {
    Rule {
        op,
        roles,
        scope,
        what,
    }
}

/// The policy: one row per [`Op`], in the order of its variants.
#[rustfmt::skip]
pub const POLICY: &[Rule] = &[
    rule(Op::SignIn,             ANYONE,     Public,     "sign in"),
    rule(Op::Whoami,             ANYONE,     Any,        "see who they are"),
    rule(Op::SignOut,            ANYONE,     Public,     "sign out"),
    rule(Op::ListTokens,         ANYONE,     Oneself(OVERSIGHT), "list API tokens"),
    rule(Op::RevokeToken,        ANYONE,     Oneself(ADMIN), "revoke API tokens"),

    rule(Op::ListDepartments,    ANYONE,     Any,        "list departments"),
    rule(Op::CreateDepartment,   ADMIN,      Any,        "create departments"),
    rule(Op::GetDepartment,      ANYONE,     Any,        "read departments"),
    rule(Op::UpdateDepartment,   ADMIN,      Any,        "change departments"),
    rule(Op::DeleteDepartment,   ADMIN,      Any,        "delete departments"),
    rule(Op::ListUsers,          ANYONE,     Oneself(OVERSIGHT), "list users"),
    rule(Op::CreateUser,         ADMIN,      Any,        "create users"),
    rule(Op::GetUser,            ANYONE,     Oneself(OVERSIGHT), "read users"),
    rule(Op::UpdateUser,         ANYONE,     Oneself(ADMIN), "change users"),
    rule(Op::ChangeAccess,       ADMIN,      Any,        "change roles, departments or who may sign in"),
    rule(Op::DeactivateUser,     ADMIN,      Any,        "deactivate users"),

    rule(Op::ListWarehouses,     ANYONE,     Any,        "list warehouses"),
    rule(Op::CreateWarehouse,    ADMIN,      Any,        "create warehouses"),
    rule(Op::GetWarehouse,       ANYONE,     Any,        "read warehouses"),
    rule(Op::UpdateWarehouse,    ADMIN,      Any,        "change warehouses"),
    rule(Op::DeleteWarehouse,    ADMIN,      Any,        "delete warehouses"),
    rule(Op::ListZones,          ANYONE,     Any,        "list zones"),
    rule(Op::CreateZone,         ADMIN,      Any,        "create zones"),
    rule(Op::GetZone,            ANYONE,     Any,        "read zones"),
    rule(Op::UpdateZone,         ADMIN,      Any,        "change zones"),
    rule(Op::DeleteZone,         ADMIN,      Any,        "delete zones"),
    rule(Op::ListCategories,     ANYONE,     Any,        "list categories"),
    rule(Op::CreateCategory,     ADMIN,      Any,        "create categories"),
    rule(Op::GetCategory,        ANYONE,     Any,        "read categories"),
    rule(Op::UpdateCategory,     ADMIN,      Any,        "change categories"),
    rule(Op::DeleteCategory,     ADMIN,      Any,        "delete categories"),

    rule(Op::ListAssets,         ANYONE,     Department, "list assets"),
    rule(Op::RegisterAsset,      STAFF,      Any,        "register assets"),
    rule(Op::GetAsset,           ANYONE,     Department, "read assets"),
    rule(Op::UpdateAsset,        STAFF,      Any,        "change assets"),
    rule(Op::AssetEvents,        ANYONE,     Department, "read asset timelines"),
    rule(Op::SendAssetToRepair,  STAFF,      Any,        "send assets to repair"),
    rule(Op::RepairAsset,        STAFF,      Any,        "record repairs"),
    rule(Op::MarkAssetLost,      STAFF,      Any,        "mark assets lost"),
    rule(Op::RecoverAsset,       STAFF,      Any,        "recover lost assets"),
    rule(Op::WriteOffAsset,      ADMIN,      Any,        "write off assets"),
    rule(Op::ListAsset,          REQUESTERS, OnBehalf,   "list assets in the virtual depot"),
    rule(Op::UnlistAsset,        REQUESTERS, OnBehalf,   "unlist assets from the virtual depot"),
    rule(Op::TakeInAsset,        STAFF,      Any,        "take assets into the depot"),
    rule(Op::HandInAsset,        REQUESTERS, OnBehalf,   "hand assets in to the depot"),
    rule(Op::WithdrawHandIn,     REQUESTERS, OnBehalf,   "withdraw hand-ins"),
    rule(Op::ListHandIns,        ANYONE,     Department, "list hand-ins"),
    rule(Op::RelocateAsset,      STAFF,      Any,        "relocate assets"),
    rule(Op::RetagAsset,         STAFF,      Any,        "re-tag assets"),
    rule(Op::AddAttachment,      BOOKS,      Any,        "attach documents to assets"),
    rule(Op::ListAttachments,    ANYONE,     OnBehalf,   "read an asset's documents"),
    rule(Op::DownloadAttachment, ANYONE,     OnBehalf,   "read an asset's documents"),
    rule(Op::DecodeEpc,          ANYONE,     Department, "decode EPCs"),
    rule(Op::ImportAssets,       STAFF,      Any,        "import the register"),
    rule(Op::ExportAssetsCsv,    STAFF,      Any,        "export the register"),
    rule(Op::ExportAssetsXlsx,   STAFF,      Any,        "export the register"),

    rule(Op::ListLoans,          ANYONE,     Department, "list loans"),
    rule(Op::RequestLoan,        REQUESTERS, OnBehalf,   "request loans"),
    rule(Op::GetLoan,            ANYONE,     Department, "read loans"),
    rule(Op::LoanEvents,         ANYONE,     Department, "read loan histories"),
    rule(Op::ApproveLoan,        ADMIN,      Any,        "approve loans"),
    rule(Op::RejectLoan,         ADMIN,      Any,        "reject loans"),
    rule(Op::SignOffLoan,        FINANCE,    Any,        "sign off loans for finance"),
    rule(Op::RefuseLoan,         FINANCE,    Any,        "refuse loans for finance"),
    rule(Op::ListSignOffs,       OVERSIGHT,  Any,        "list loans waiting for finance"),
    rule(Op::CancelLoan,         REQUESTERS, Department, "cancel loans"),
    rule(Op::IssueLoan,          STAFF,      Any,        "issue loans"),
    rule(Op::ReturnLoan,         STAFF,      Any,        "take returns"),
    rule(Op::InspectLoan,        STAFF,      Any,        "inspect returns"),
    rule(Op::ListCollisions,     ANYONE,     Department, "list booking collisions"),
    rule(Op::SwapBooking,        ADMIN,      Any,        "swap booked assets"),

    rule(Op::ListKits,           ANYONE,     Any,        "list kits"),
    rule(Op::CreateKit,          ADMIN,      Any,        "create kits"),
    rule(Op::GetKit,             ANYONE,     Any,        "read kits"),
    rule(Op::DeleteKit,          ADMIN,      Any,        "delete kits"),

    rule(Op::ListCompensations,  ANYONE,     Department, "list compensation cases"),
    rule(Op::GetCompensation,    ANYONE,     Department, "read compensation cases"),
    rule(Op::RepairCompensation, STAFF,      Any,        "record repairs"),
    rule(Op::PayCompensation,    ADMIN,      Any,        "record payments"),
    rule(Op::WaiveCompensation,  ADMIN,      Any,        "waive compensation"),

    // A rental is its loan's department's business: they read it, the depot acts on it.
    rule(Op::ListRentals,        ANYONE,     Department, "list market rentals"),
    rule(Op::RecordRental,       ADMIN,      Any,        "record market rentals"),
    rule(Op::GetRental,          ANYONE,     Department, "read market rentals"),
    rule(Op::RentalEvents,       ANYONE,     Department, "read market rental histories"),
    rule(Op::ReceiveRental,      STAFF,      Any,        "receive rented items"),
    rule(Op::ReturnRental,       STAFF,      Any,        "return rented items"),
    rule(Op::CancelRental,       ADMIN,      Any,        "cancel market rentals"),

    rule(Op::ListTransfers,      ANYONE,     Department, "list transfers"),
    rule(Op::RequestTransfer,    REQUESTERS, OnBehalf,   "request transfers"),
    rule(Op::GetTransfer,        ANYONE,     Department, "read transfers"),
    rule(Op::TransferEvents,     ANYONE,     Department, "read transfer histories"),
    rule(Op::ApproveTransfer,    ADMIN,      Any,        "approve transfers"),
    rule(Op::RejectTransfer,     ADMIN,      Any,        "reject transfers"),
    rule(Op::CancelTransfer,     REQUESTERS, Department, "cancel transfers"),
    rule(Op::IssueTransfer,      STAFF,      Any,        "hand over transfers"),

    // Disposals are the depot's own paperwork: a requester reads none (404 on one).
    rule(Op::ListDisposals,      WATCHERS,   Any,        "read disposals"),
    rule(Op::RequestDisposal,    STAFF,      Any,        "propose disposals"),
    rule(Op::GetDisposal,        ANYONE,     Department, "read disposals"),
    rule(Op::DisposalEvents,     ANYONE,     Department, "read disposal histories"),
    rule(Op::AppraiseDisposal,   STAFF,      Any,        "record appraisals"),
    rule(Op::ApproveDisposal,    ADMIN,      Any,        "approve disposals"),
    rule(Op::RejectDisposal,     ADMIN,      Any,        "reject disposals"),
    rule(Op::CancelDisposal,     ADMIN,      Any,        "cancel disposals"),
    rule(Op::SellDisposal,       ADMIN,      Any,        "record sales"),
    rule(Op::ScrapDisposal,      ADMIN,      Any,        "scrap assets"),
    rule(Op::RemitDisposal,      ADMIN,      Any,        "record remittances"),

    // An intake is its source department's paperwork too.
    rule(Op::ListIntakes,        ANYONE,     Department, "list intakes"),
    rule(Op::OpenIntake,         STAFF,      Any,        "open intakes"),
    rule(Op::GetIntake,          ANYONE,     Department, "read intakes"),
    rule(Op::IntakeEvents,       ANYONE,     Department, "read intake histories"),
    rule(Op::ReceiveIntake,      STAFF,      Any,        "receive intakes"),
    rule(Op::CancelIntake,       STAFF,      Any,        "cancel intakes"),
    rule(Op::CompleteIntake,     STAFF,      Any,        "close intakes"),
    rule(Op::AssetLabel,         ANYONE,     Department, "read asset labels"),
    rule(Op::IntakeLabels,       ANYONE,     Department, "read intake labels"),
    rule(Op::PrintIntakeLabels,  STAFF,      Any,        "print labels"),
    rule(Op::WriteAssetTag,      STAFF,      Any,        "write tags"),

    rule(Op::ListReaders,        WATCHERS,   Any,        "see readers"),
    rule(Op::CreateReader,       ADMIN,      Any,        "configure readers"),
    rule(Op::UpdateReader,       ADMIN,      Any,        "configure readers"),
    rule(Op::DeleteReader,       ADMIN,      Any,        "configure readers"),
    rule(Op::ListGates,          ANYONE,     Any,        "list gates"),
    rule(Op::CreateGate,         ADMIN,      Any,        "configure gates"),
    rule(Op::DeleteGate,         ADMIN,      Any,        "configure gates"),
    rule(Op::UploadReads,        STAFF,      Any,        "upload reads"),
    rule(Op::ListAlerts,         WATCHERS,   Any,        "see alerts"),
    rule(Op::AcknowledgeAlert,   STAFF,      Any,        "acknowledge alerts"),
    // Gates are the depot's own, as their alerts are: any keeper decides at any gate.
    rule(Op::ConfirmPassage,     STAFF,      Any,        "confirm uncertain passages"),
    rule(Op::DismissPassage,     STAFF,      Any,        "dismiss uncertain passages"),
    // Keepers are at the door with the reference tags: they walk and read the verdict. The
    // threshold decides when the depot issues and returns on its own, so setting it is the
    // admin's, as configuring the gate is.
    rule(Op::StartWalkTest,      STAFF,      Any,        "walk-test gates"),
    rule(Op::FinishWalkTest,     STAFF,      Any,        "walk-test gates"),
    rule(Op::CancelWalkTest,     STAFF,      Any,        "walk-test gates"),
    rule(Op::ApplyWalkTest,      ADMIN,      Any,        "set a gate's threshold"),
    rule(Op::ListWalkTests,      WATCHERS,   Any,        "see walk tests"),
    rule(Op::Stream,             WATCHERS,   Department, "watch the live stream"),

    rule(Op::ListStocktakes,     WATCHERS,   Any,        "see stocktakes"),
    rule(Op::CreateStocktake,    STAFF,      Any,        "create stocktakes"),
    rule(Op::GetStocktake,       WATCHERS,   Any,        "see stocktakes"),
    rule(Op::StartStocktake,     STAFF,      Any,        "run stocktakes"),
    rule(Op::FinishStocktake,    STAFF,      Any,        "run stocktakes"),
    rule(Op::CancelStocktake,    STAFF,      Any,        "run stocktakes"),
    rule(Op::Resolve,            STAFF,      Any,        "act on stocktake results"),

    // A notification is its reader's alone: nobody reads or marks another's.
    rule(Op::ListNotifications,  ANYONE,     Oneself(NOBODY), "read their notifications"),
    rule(Op::CountUnreadNotifications, ANYONE, Oneself(NOBODY), "read their notifications"),
    rule(Op::MarkNotificationRead, ANYONE,   Oneself(NOBODY), "read their notifications"),
    rule(Op::MarkAllNotificationsRead, ANYONE, Oneself(NOBODY), "read their notifications"),
    rule(Op::ListDeadlines,      ANYONE,     Any,        "read the time limits"),
    rule(Op::ListOverdueWork,    ANYONE,     Department, "see overdue work"),

    rule(Op::BrowseCatalogue,    ANYONE,     Department, "browse the catalogue"),
    rule(Op::VirtualDepot,       &[Requester], Department, "list their department's assets"),
    rule(Op::ApprovalQueue,      ADMIN,      Any,        "decide requests"),
    rule(Op::PickList,           STAFF,      Any,        "pick loans"),
    rule(Op::ReturnsDesk,        STAFF,      Any,        "take returns"),
    rule(Op::IntakeDesk,         STAFF,      Any,        "work intakes"),
    rule(Op::GateView,           STAFF,      Any,        "watch the gates"),
    rule(Op::StocktakeDesk,      STAFF,      Any,        "run stocktakes"),
    rule(Op::ReaderDesk,         ADMIN,      Any,        "configure readers"),
    rule(Op::Registers,          ADMIN,      Any,        "keep the registers"),
    rule(Op::CompensationDesk,   ANYONE,     Department, "see compensation cases"),
    rule(Op::Dashboard,          OVERSIGHT,  Department, "read the dashboard"),
    rule(Op::ListWebhooks,       ADMIN,      Any,        "list webhooks"),
    rule(Op::CreateWebhook,      ADMIN,      Any,        "register webhooks"),
    rule(Op::DeleteWebhook,      ADMIN,      Any,        "delete webhooks"),
    rule(Op::ListWebhookDeliveries, ADMIN,   Any,        "read webhook deliveries"),
    rule(Op::ReplayWebhookDelivery, ADMIN,   Any,        "replay webhook deliveries"),
    rule(Op::ReadFigures,        OVERSIGHT,  Department, "read the published figures"),
    rule(Op::ReadDepreciation,   OVERSIGHT,  Department, "read the depreciation by month"),
    rule(Op::ReadMetrics,        OVERSIGHT,  Any,        "read the service's metrics"),
    rule(Op::ReadEpcisEvents,    ANYONE,     Department, "read EPCIS events"),
];

// The table has one row per operation, in order: `Op::rule` indexes it.
const _: () = {
    let mut i = 0;
    while i < POLICY.len() {
        assert!(POLICY[i].op as usize == i, "POLICY rows follow Op's order");
        i += 1;
    }
    assert!(
        POLICY.len() == Op::ReadEpcisEvents as usize + 1,
        "every Op has a row"
    );
};

impl Op {
    pub fn rule(self) -> &'static Rule {
        &POLICY[self as usize]
    }

    /// Every operation, in table order.
    pub fn all() -> impl Iterator<Item = Op> {
        POLICY.iter().map(|r| r.op)
    }
}

/// What an operation is about to touch, as far as the policy cares.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Nothing in particular: a list (limited by [`department_filter`]), a register entry, a
    /// new thing.
    Nothing,
    /// Paperwork that is a department's business (`None`: the depot's own), named for a 404.
    Paper {
        kind: &'static str,
        id: i64,
        department: Option<i64>,
    },
    /// An asset: anyone may see one in the catalogue; otherwise it is the business of the
    /// departments that own and hold it.
    Asset(&'a Asset),
    /// Acting for a department.
    For(Option<i64>),
    /// A person.
    Person(i64),
    /// A person's credential (an API token), named for a 404.
    Credential {
        kind: &'static str,
        id: i64,
        owner: i64,
    },
}

/// What a stored thing is to the policy.
pub trait Scoped {
    fn target(&self) -> Target<'_>;
}

impl Scoped for Asset {
    fn target(&self) -> Target<'_> {
        Target::Asset(self)
    }
}

macro_rules! paperwork {
    ($($type:ty => $kind:literal, |$it:ident| $department:expr;)+) => {$(
        impl Scoped for $type {
            fn target(&self) -> Target<'_> {
                let $it = self;
                Target::Paper { kind: $kind, id: $it.id, department: $department }
            }
        }
    )+};
}

impl Scoped for db::credentials::ApiToken {
    fn target(&self) -> Target<'_> {
        Target::Credential {
            kind: "API token",
            id: self.id,
            owner: self.user_id,
        }
    }
}

paperwork! {
    db::loans::Loan => "loan", |it| Some(it.department_id);
    db::transfers::Transfer => "transfer", |it| Some(it.department_id);
    db::compensations::Compensation => "compensation case", |it| Some(it.department_id);
    db::intakes::Intake => "intake", |it| it.source_department_id;
    db::disposals::Disposal => "disposal", |_it| None;
    db::rentals::Rental => "rental", |it| Some(it.department_id);
}

/// Four eyes: a decision on paperwork is taken by someone other than whoever put it
/// forward or valued it (`involved`: their user ids, and what each did). Refused: 403.
pub fn four_eyes(actor: &Actor, what: &str, involved: &[(Option<i64>, &str)]) -> Result<()> {
    match involved.iter().find(|(who, _)| *who == Some(actor.id)) {
        Some((_, did)) => Err(Error::Forbidden(format!(
            "{what} was {did} by you: another admin approves it"
        ))),
        None => Ok(()),
    }
}

/// May `actor` do `op` to `target`? Refused by role: 403. Out of scope: 404 for what they may
/// not see, 403 for what they see but may not act for.
pub fn authorize(actor: &Actor, op: Op, target: Target<'_>) -> Result<()> {
    let rule = op.rule();
    if !rule.roles.contains(&actor.role) {
        let roles: Vec<_> = rule.roles.iter().map(|r| role_name(*r)).collect();
        return Err(Error::Forbidden(format!(
            "only {} may {}",
            roles.join(" or "),
            rule.what
        )));
    }
    let sees = Visibility::of(actor);
    let on_behalf = |department| {
        if sees.sees(department) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "a {} may {} for their own department only",
                role_name(actor.role),
                rule.what
            )))
        }
    };
    match (rule.scope, target) {
        (Public | Any, _) | (_, Target::Nothing) => Ok(()),
        (
            Department,
            Target::Paper {
                kind,
                id,
                department,
            },
        ) => {
            if sees.sees(department) {
                Ok(())
            } else {
                Err(Error::NotFound(format!("{kind} {id}")))
            }
        }
        (Department, Target::Asset(asset)) => seen(sees, asset),
        (OnBehalf, Target::For(department)) => on_behalf(department),
        // An asset they cannot see does not exist for them; one they see is not theirs.
        (OnBehalf, Target::Asset(asset)) => {
            seen(sees, asset).and_then(|()| on_behalf(asset.owner_department_id))
        }
        (Oneself(anyone), Target::Person(id)) => {
            if anyone.contains(&actor.role) || actor.id == id {
                Ok(())
            } else {
                Err(Error::NotFound(format!("user {id}")))
            }
        }
        (Oneself(anyone), Target::Credential { kind, id, owner }) => {
            if anyone.contains(&actor.role) || actor.id == owner {
                Ok(())
            } else {
                Err(Error::NotFound(format!("{kind} {id}")))
            }
        }
        (scope, target) => Err(Error::Internal(anyhow::anyhow!(
            "the policy of {op:?} ({scope:?}) cannot judge {target:?}"
        ))),
    }
}

/// An asset is seen by everyone while it is in the catalogue (in stock, or listed in the
/// virtual depot), otherwise by the departments that own or hold it.
fn seen(sees: Visibility, asset: &Asset) -> Result<()> {
    let catalogue = matches!(asset.state, AssetState::InStock | AssetState::Listed);
    if catalogue || sees.sees(asset.owner_department_id) || sees.sees(asset.holder_department_id) {
        Ok(())
    } else {
        Err(Error::NotFound(format!("asset {}", asset.id)))
    }
}

/// Whether `actor`'s role may do `op` at all (to offer it on a page).
pub fn permits(actor: &Actor, op: Op) -> bool {
    op.rule().roles.contains(&actor.role)
}

/// What a page offers: a name, the operation it takes, and the action of the order's status
/// table it is.
pub type Offer = (&'static str, Op, &'static str);

/// Of `offers`, those `actor` may take on an order in `status` now: the policy permits the
/// operation and the status table the action.
pub fn offered<S: PartialEq>(
    actor: &Actor,
    offers: &[Offer],
    table: &[(&'static str, &[S])],
    status: S,
) -> Vec<&'static str> {
    offers
        .iter()
        .filter(|(_, op, action)| permits(actor, *op) && allows(table, action, &status))
        .map(|(name, ..)| *name)
        .collect()
}

/// The department a list of `op` is limited to for `actor`; `None`: every department's.
pub fn department_filter(actor: &Actor, op: Op) -> Option<i64> {
    match op.rule().scope {
        Department | OnBehalf => Visibility::of(actor).department_filter(),
        Public | Any | Oneself(_) => None,
    }
}

/// The person a list of `op` is limited to for `actor`; `None`: everyone.
pub fn person_filter(actor: &Actor, op: Op) -> Option<i64> {
    match op.rule().scope {
        Oneself(anyone) if !anyone.contains(&actor.role) => Some(actor.id),
        _ => None,
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Admin => "admin",
        Keeper => "keeper",
        Requester => "requester",
        Auditor => "auditor",
        Finance => "finance",
    }
}

/// The role a form or a file names by [`role_name`].
pub fn role_named(name: &str) -> Option<Role> {
    [Admin, Keeper, Requester, Auditor, Finance]
        .into_iter()
        .find(|r| role_name(*r) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, department_id: Option<i64>) -> Actor {
        Actor {
            id: 1,
            username: "someone".into(),
            display_name: "someone".into(),
            role,
            department_id,
        }
    }

    #[test]
    fn operations_are_named_as_the_api_names_them() {
        assert_eq!(
            serde_json::to_value(Op::ApproveLoan).unwrap(),
            "approve_loan"
        );
        let op: Op = serde_json::from_value("write_off_asset".into()).unwrap();
        assert_eq!(op.rule().roles, ADMIN);
        assert_eq!(Op::all().count(), POLICY.len());
    }

    #[test]
    fn role_first_then_scope() {
        let finance = actor(Requester, Some(1));
        let paper = |department| Target::Paper {
            kind: "loan",
            id: 7,
            department,
        };
        assert!(authorize(&finance, Op::GetLoan, paper(Some(1))).is_ok());
        assert!(matches!(
            authorize(&finance, Op::GetLoan, paper(Some(2))),
            Err(Error::NotFound(m)) if m == "loan 7"
        ));
        assert!(matches!(
            authorize(&finance, Op::GetDisposal, paper(None)),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            authorize(&finance, Op::ApproveLoan, paper(Some(1))),
            Err(Error::Forbidden(m)) if m == "only admin may approve loans"
        ));
        assert!(matches!(
            authorize(&finance, Op::RequestLoan, Target::For(Some(2))),
            Err(Error::Forbidden(_))
        ));
        let keeper = actor(Keeper, None);
        assert!(authorize(&keeper, Op::GetLoan, paper(Some(2))).is_ok());
        assert!(matches!(
            authorize(&keeper, Op::GetUser, Target::Person(2)),
            Err(Error::NotFound(_))
        ));
        assert!(authorize(&keeper, Op::GetUser, Target::Person(1)).is_ok());
        assert_eq!(department_filter(&finance, Op::ListLoans), Some(1));
        assert_eq!(department_filter(&keeper, Op::ListLoans), None);
        assert_eq!(person_filter(&keeper, Op::ListUsers), Some(1));
    }
}
