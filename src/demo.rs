//! `depot serve --demo`: a small demo world, seeded once into an empty database.
//!
//! Everything goes through the same functions the API uses, so the demo's event log is as
//! real as any: departments, the five demo users (password `demo`), two warehouses with
//! zones, a few hundred assets, and orders in every state.

use anyhow::Context as _;
use chrono::{Duration, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::app::App;
use crate::auth::Role;
use crate::config::Config;
use crate::db::assets::{self, NewAsset, SourceClass};
use crate::db::compensations;
use crate::db::disposals::{self, NewDisposal};
use crate::db::events::{self, Context};
use crate::db::intakes::{self, NewIntake};
use crate::db::loans::{self, Condition, NewLoan, ReturnedItem};
use crate::db::orders::Line;
use crate::db::people::{self, NewDepartment, NewUserRow};
use crate::db::places::{self, NewCategory, NewWarehouse, NewZone};
use crate::db::transfers::{self, NewTransfer};
use crate::db::Window;
use crate::domain::bounds::{Day, Fen, Known as _, Months, Text};
use crate::domain::lifecycle::AssetAction;

pub const PASSWORD: &str = "demo";

/// The demo's gate reader: the trace synthesizer's trolley of exhibition panels pushed out
/// through the main gate, brought back in a minute later, and so on (`ingest::sim`).
pub const GATE_READER: &str = "sim://gate?scenario=gate-cycle&every=60s&tags=51&seed=11";
/// The panels the gate scenario's trolley carries; the loan is for all but the last.
const PANELS: u32 = 51;
const PANEL_SEED: u64 = 11;
/// The panels are lent again only once the gate has not seen them for this long: their
/// trolley is through and its last facts are stored (the loan's reservations would
/// otherwise contend with them for the same rows).
const QUIET: Duration = Duration::seconds(20);
/// How often the demo's people look whether the panels are back.
const LEND_AGAIN_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// (code, name, value in fen, how many, the market's daily rental price of one in fen: what
/// lending one for a day saves; the filing cabinets have none, so the dashboard shows a
/// category whose lending counts nothing)
const CATEGORIES: &[(&str, &str, i64, usize, Option<i64>)] = &[
    ("TBL", "Folding table 折叠桌", 45_000, 60, Some(1_500)),
    ("CHR", "Conference chair 会议椅", 28_000, 90, Some(800)),
    ("PRJ", "Projector 投影仪", 620_000, 12, Some(18_000)),
    ("LAP", "Laptop 笔记本电脑", 780_000, 20, Some(12_000)),
    ("TNT", "Event tent 活动帐篷", 360_000, 10, Some(25_000)),
    ("PAS", "PA system 音响设备", 950_000, 6, Some(60_000)),
    ("DSK", "Office desk 办公桌", 160_000, 40, Some(2_000)),
    ("CAB", "Filing cabinet 文件柜", 120_000, 30, None),
];

/// Seed the demo world unless the database already has users.
pub async fn seed(pool: &PgPool, config: &Config) -> anyhow::Result<()> {
    let users = people::count_users(&mut *pool.acquire().await?).await?;
    if users > 0 {
        tracing::info!("the database already has users: demo not seeded");
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    World::build(&mut tx, config)
        .await
        .context("building the demo world")?;
    tx.commit().await?;
    crate::cli::say(&format!("demo seeded: sign in as admin, keeper, requester, requester2, auditor or finance with password `{PASSWORD}`"));
    Ok(())
}

struct World {
    finance: i64,
    culture: i64,
    admin: i64,
    keeper: i64,
    requester: i64,
    requester2: i64,
    approver: i64,
    chain: crate::domain::approvals::Chain,
    zones: Vec<i64>,
    categories: Vec<i64>,
    /// Today on the depot's calendar: the demo's loans are dated from it.
    today: NaiveDate,
}

/// A demo name written in both languages, "Folding table 折叠桌": the register keeps the
/// English as its name and the 中文 beside it, so each page says it in one language.
fn bilingual(written: &str) -> (Text, Option<Text>) {
    match written.find(|c: char| c as u32 >= 0x2E80) {
        Some(at) => (
            written[..at].trim().known(),
            Some(written[at..].trim().known()),
        ),
        None => (written.known(), None),
    }
}

async fn department(conn: &mut PgConnection, code: &str, name: &str) -> anyhow::Result<i64> {
    let (name, name_zh) = bilingual(name);
    let new = NewDepartment {
        code: code.known(),
        name,
        name_zh,
        name_en: None,
    };
    Ok(people::create_department(conn, &new).await?.id)
}

async fn warehouse(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
    address: &str,
) -> anyhow::Result<i64> {
    let (name, name_zh) = bilingual(name);
    let new = NewWarehouse {
        code: code.known(),
        name,
        address: address.known(),
        name_zh,
        name_en: None,
    };
    Ok(places::create_warehouse(conn, &new).await?.id)
}

impl World {
    async fn build(conn: &mut PgConnection, config: &Config) -> anyhow::Result<()> {
        let finance = department(conn, "FIN", "Finance Bureau 财政局").await?;
        let culture = department(conn, "CUL", "Culture and Tourism Bureau 文化和旅游局").await?;
        department(conn, "EDU", "Education Bureau 教育局").await?;
        department(conn, "OAB", "Offices Administration 机关事务管理局").await?;

        let mut ids = Vec::new();
        let hash = crate::auth::hash_password(PASSWORD);
        for (username, display, role, department_id) in [
            ("admin", "Depot manager 仓库主任", Role::Admin, None),
            ("keeper", "Keeper Wang 保管员王", Role::Keeper, None),
            (
                "requester",
                "Clerk Li 李科员 (Finance)",
                Role::Requester,
                Some(finance),
            ),
            (
                "requester2",
                "Clerk Zhao 赵科员 (Culture)",
                Role::Requester,
                Some(culture),
            ),
            ("auditor", "Auditor Chen 审计陈", Role::Auditor, None),
            ("finance", "Approver Wu 财务吴", Role::Finance, None),
        ] {
            // Demo users share a short, well-known password: seeded with its hash directly,
            // since the password policy (10 characters) is for people choosing their own.
            // Their addresses are under the reserved `.example` domain: with an SMTP relay
            // configured, the demo's notifications are e-mailed to it and go nowhere else.
            let email = format!("{username}@depot.example");
            let row = NewUserRow {
                username,
                display_name: display,
                password_hash: &hash,
                role,
                department_id,
                email: Some(&email),
            };
            ids.push(people::insert_user(conn, &row).await?.id);
        }

        let central = warehouse(conn, "W1", "Central depot 中心公物仓", "1 Depot Road").await?;
        let east = warehouse(conn, "W2", "East depot 东区公物仓", "88 East Street").await?;
        let mut zones = Vec::new();
        for (warehouse, code, name, kind) in [
            (central, "A", "Aisle A 甲区", "storage"),
            (central, "B", "Aisle B 乙区", "storage"),
            (central, "STG", "Staging 待发区", "staging"),
            (central, "GIN", "Gate, inside 门禁内侧", "gate_inside"),
            (central, "GOUT", "Gate, outside 门禁外侧", "gate_outside"),
            (east, "A", "Aisle A 甲区", "storage"),
        ] {
            let (name, name_zh) = bilingual(name);
            let new = NewZone {
                code: code.known(),
                name,
                kind: kind.known(),
                name_zh,
                name_en: None,
            };
            zones.push(places::create_zone(conn, warehouse, &new).await?.id);
        }
        let mut categories = Vec::new();
        for (code, name, _, _, rent) in CATEGORIES {
            // Useful lives as government accounting usually sets them: furniture 15
            // years, computers and projectors 6, sound and event equipment 5.
            let years = match *code {
                "TBL" | "CHR" | "DSK" | "CAB" => 15,
                "PRJ" | "LAP" => 6,
                _ => 5,
            };
            let (name, name_zh) = bilingual(name);
            let new = NewCategory {
                code: code.known(),
                name,
                name_zh,
                useful_life_months: Some(Months::known(years * 12)),
                daily_rent_fen: rent.map(Fen::known),
                ..Default::default()
            };
            categories.push(places::create_category(conn, &new).await?.id);
        }
        let world = World {
            finance,
            culture,
            admin: ids[0],
            keeper: ids[1],
            requester: ids[2],
            requester2: ids[3],
            approver: ids[5],
            chain: config.approvals,
            zones,
            categories,
            today: Utc::now().with_timezone(&config.time_zone).date_naive(),
        };
        world.readers(conn).await?;
        world.kits(conn).await?;
        world.stock(conn, config).await?;
        world.orders(conn).await?;
        world.gate_scenario(conn, config).await?;
        Ok(())
    }

    /// The admin's approval, and the finance approver's sign-off where the chain asks for it.
    async fn approve(&self, conn: &mut PgConnection, id: i64) -> crate::db::Result<loans::Loan> {
        let loan = loans::approve(conn, id, None, &self.chain, &Context::by(self.admin)).await?;
        if loan.status == crate::domain::lifecycle::orders::LoanStatus::AwaitingFinance {
            return loans::sign_off(conn, id, &Context::by(self.approver)).await;
        }
        Ok(loan)
    }

    /// The kit most meetings ask for: chairs, tables and a projector for fifty people.
    async fn kits(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        use crate::db::kits::{self, NewKit, NewPart};
        let part = |category_id: i64, quantity: i32| NewPart {
            category_id: Some(category_id),
            asset_id: None,
            quantity,
        };
        let (tables, chairs, projectors) =
            (self.categories[0], self.categories[1], self.categories[2]);
        kits::create(
            conn,
            &NewKit {
                name: "Conference for 50 五十人会议套装".known(),
                description: "50 chairs, 5 tables, 1 projector".known(),
                parts: vec![part(chairs, 50), part(tables, 5), part(projectors, 1)],
            },
        )
        .await?;
        Ok(())
    }

    /// The central depot's gate: one simulated reader ([`GATE_READER`]: antennas 1–2 inside,
    /// 3–4 outside, as the synthesizer's dock door has them) and a keeper's handheld for
    /// aisle A.
    async fn readers(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        use crate::db::readers::{self, NewGate, NewReader, ReadPoint, HANDHELD};
        let (aisle_a, gate_in, gate_out) = (self.zones[0], self.zones[3], self.zones[4]);
        let point = |antenna: i32, zone_id: i64| ReadPoint { antenna, zone_id };
        readers::create(
            conn,
            &NewReader {
                name: "gate-1".known(),
                address: GATE_READER.known(),
                enabled: true,
                read_points: vec![
                    point(1, gate_in),
                    point(2, gate_in),
                    point(3, gate_out),
                    point(4, gate_out),
                ],
            },
        )
        .await?;
        readers::create(
            conn,
            &NewReader {
                name: "handheld-1".known(),
                address: HANDHELD.known(),
                enabled: true,
                read_points: vec![point(1, aisle_a)],
            },
        )
        .await?;
        readers::create_gate(
            conn,
            &NewGate {
                name: "Main gate 正门".known(),
                inside_zone_id: gate_in,
                outside_zone_id: gate_out,
            },
        )
        .await?;
        Ok(())
    }

    /// A few hundred assets, handed over in one intake per category from the four source
    /// classes and received into the storage zones; the filing cabinets' intake is still open
    /// with two items to come, and one intake was cancelled.
    async fn stock(&self, conn: &mut PgConnection, config: &Config) -> anyhow::Result<()> {
        let sources = [
            SourceClass::EventPurchase,
            SourceClass::AbolishedBody,
            SourceClass::InstitutionalReform,
            SourceClass::OtherIdle,
        ];
        let storage = [self.zones[0], self.zones[1], self.zones[5]];
        let ctx = Context::by(self.keeper);
        for (c, (_, name, value, count, _)) in CATEGORIES.iter().enumerate() {
            let english = name.rsplit_once(' ').map_or(*name, |(english, _)| english);
            let items = (0..*count)
                .map(|n| NewAsset {
                    epc: None,
                    name: format!("{english} #{:03}", n + 1).known(),
                    category_id: self.categories[c],
                    original_value_fen: Fen::known(*value),
                    acquired_on: NaiveDate::from_ymd_opt(
                        2019 + (n % 6) as i32,
                        1 + (n % 12) as u32,
                        1 + (n % 28) as u32,
                    )
                    .map(Day::known),
                    source_class: sources[c % sources.len()],
                    owner_department_id: None,
                    notes: Default::default(),
                    ..Default::default()
                })
                .collect();
            let new = NewIntake {
                source_department_id: Some(if c % 2 == 0 {
                    self.finance
                } else {
                    self.culture
                }),
                source_class: sources[c % sources.len()],
                description: format!("{english}: idle after the provincial games").known(),
                items,
            };
            let intake = intakes::create(conn, &config.company_prefix, &new, &ctx).await?;
            let ids: Vec<i64> = intake.assets.iter().map(|a| a.id).collect();
            let keep_waiting = if c + 1 == CATEGORIES.len() { 2 } else { 0 };
            let to_receive = &ids[..ids.len() - keep_waiting];
            for (z, zone) in storage.iter().enumerate() {
                let share: Vec<i64> = to_receive
                    .iter()
                    .copied()
                    .skip(z)
                    .step_by(storage.len())
                    .collect();
                if !share.is_empty() {
                    intakes::receive(conn, intake.id, *zone, Some(&share), &ctx).await?;
                }
            }
        }
        let cancelled = NewIntake {
            source_department_id: Some(self.culture),
            source_class: SourceClass::OtherIdle,
            description: "Duplicate delivery note".known(),
            items: vec![NewAsset {
                epc: None,
                name: "Whiteboard #001".known(),
                category_id: self.categories[6],
                original_value_fen: Fen::known(30_000),
                acquired_on: None,
                source_class: SourceClass::OtherIdle,
                owner_department_id: None,
                notes: Default::default(),
                ..Default::default()
            }],
        };
        let cancelled = intakes::create(conn, &config.company_prefix, &cancelled, &ctx).await?;
        intakes::cancel(conn, cancelled.id, &ctx.clone().reason("entered twice")).await?;
        // The Culture bureau's own idle desks, listed in the virtual depot.
        let desks = self.in_stock(conn, 6, 3).await?;
        for desk in desks {
            let ctx = Context::by(self.admin)
                .reason("transferred to the Culture bureau before the depot existed");
            events::transition(conn, desk, AssetAction::Reserve, &ctx).await?;
            events::transition(conn, desk, AssetAction::Allocate, &ctx).await?;
            assets::hand_over(conn, desk, self.culture).await?;
            let ctx = Context::by(self.requester2).reason("idle after the office move");
            assets::set_listed(conn, desk, true, &ctx).await?;
        }
        Ok(())
    }

    /// The assets of the `loan-gate-out` reader trace (`tests/traces/`, the simulated gate's
    /// first run): 50 reserved on an approved loan and one with no order, waiting inside the
    /// gate. When the trolley goes out the gate issues the loan and raises one alert, live.
    async fn gate_scenario(&self, conn: &mut PgConnection, config: &Config) -> anyhow::Result<()> {
        use crate::engine::synth::{synthesize, Options, Scenario};
        let trace = synthesize(&Options::new(Scenario::GateOut, PANELS, PANEL_SEED));
        let inside = self.zones[3];
        let ctx = Context::by(self.keeper).reason("exhibition panels back from the framer");
        let panels = NewCategory {
            code: "PNL".known(),
            name: "Exhibition panel".known(),
            name_zh: Some("展板".known()),
            useful_life_months: Some(Months::known(5 * 12)),
            daily_rent_fen: Some(Fen::known(1_000)),
            ..Default::default()
        };
        let category_id = places::create_category(conn, &panels).await?.id;
        let mut ids = Vec::new();
        for (n, epc) in trace.truth.passed.iter().enumerate() {
            let new = NewAsset {
                epc: Some(epc.to_hex().known()),
                name: format!("Exhibition panel 展板 #{:02}", n + 1).known(),
                category_id,
                original_value_fen: Fen::known(32_000),
                acquired_on: None,
                source_class: SourceClass::EventPurchase,
                owner_department_id: None,
                notes: Default::default(),
                ..Default::default()
            };
            let asset = assets::register(conn, &config.company_prefix, &new, &ctx).await?;
            events::transition(conn, asset.id, AssetAction::Receive, &ctx).await?;
            assets::put(conn, asset.id, Some(inside)).await?;
            ids.push(asset.id);
        }
        let today = self.today;
        let new = exhibition_loan(today, &ids[..ids.len() - 1]);
        let loan = loans::create(conn, self.culture, &new, &Context::by(self.requester2)).await?;
        self.approve(conn, loan.id).await?;
        Ok(())
    }

    /// The newest `n` assets of category `c` still in stock.
    async fn in_stock(
        &self,
        conn: &mut PgConnection,
        c: usize,
        n: i64,
    ) -> crate::db::Result<Vec<i64>> {
        assets::newest_in_stock(conn, self.categories[c], n).await
    }

    async fn finance_loan(
        &self,
        conn: &mut PgConnection,
        new: NewLoan,
    ) -> crate::db::Result<loans::Loan> {
        loans::create(conn, self.finance, &new, &Context::by(self.requester)).await
    }

    /// Loans in every state, with a damaged and a missing return behind compensation cases.
    async fn orders(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let today = self.today;
        let days = |n: i64| today + Duration::days(n);
        let loan =
            |purpose: &str, start: NaiveDate, end: NaiveDate, lines: Vec<(usize, i32)>| NewLoan {
                department_id: None,
                purpose: purpose.known(),
                starts_on: Day::known(start),
                ends_on: Day::known(end),
                accept_shortfall: false,
                lines: lines
                    .into_iter()
                    .map(|(c, quantity)| Line {
                        id: 0,
                        category_id: Some(self.categories[c]),
                        asset_id: None,
                        kit_id: None,
                        quantity,
                    })
                    .collect(),
            };
        let by = |actor: i64| Context::by(actor);

        // requested: waiting for approval
        self.finance_loan(
            conn,
            loan(
                "Budget meeting 预算会议",
                days(7),
                days(8),
                vec![(0, 12), (1, 40)],
            ),
        )
        .await?;
        let culture_request = loan(
            "Spring festival gala 春节联欢会",
            days(20),
            days(22),
            vec![(4, 2), (5, 1)],
        );
        let gala =
            loans::create(conn, self.culture, &culture_request, &by(self.requester2)).await?;
        // awaiting finance: the depot approved it, and at ¥50,200 finance must sign off too
        let heritage = loan(
            "Heritage exhibition 非遗展",
            days(12),
            days(14),
            vec![(3, 4), (5, 2)],
        );
        let heritage = loans::create(conn, self.culture, &heritage, &by(self.requester2)).await?;
        loans::approve(conn, heritage.id, None, &self.chain, &by(self.admin)).await?;
        // approved: assets reserved, waiting at the gate
        let approved = self
            .finance_loan(
                conn,
                loan(
                    "Training week 培训周",
                    days(2),
                    days(6),
                    vec![(3, 8), (2, 1)],
                ),
            )
            .await?;
        self.approve(conn, approved.id).await?;
        // partially issued
        let partial = self
            .finance_loan(
                conn,
                loan("Audit fieldwork 审计外勤", days(0), days(10), vec![(3, 4)]),
            )
            .await?;
        let partial = self.approve(conn, partial.id).await?;
        let first_two: Vec<i64> = partial.assets.iter().take(2).map(|a| a.asset_id).collect();
        loans::issue(conn, partial.id, Some(&first_two), &by(self.keeper)).await?;
        // issued, on time
        let issued = loans::create(
            conn,
            self.culture,
            &loan("Exhibition 展览", days(-2), days(5), vec![(0, 10), (1, 20)]),
            &by(self.requester2),
        )
        .await?;
        self.approve(conn, issued.id).await?;
        loans::issue(conn, issued.id, None, &by(self.keeper)).await?;
        // issued and overdue
        let overdue = self
            .finance_loan(
                conn,
                loan(
                    "Year-end review 年终总结",
                    days(-14),
                    days(-3),
                    vec![(2, 2)],
                ),
            )
            .await?;
        self.approve(conn, overdue.id).await?;
        loans::issue(conn, overdue.id, None, &by(self.keeper)).await?;
        // returned, with one damaged and one missing: two compensation cases
        let returned = self
            .finance_loan(
                conn,
                loan("Sports meeting 运动会", days(-30), days(-25), vec![(4, 3)]),
            )
            .await?;
        let returned = self.approve(conn, returned.id).await?;
        loans::issue(conn, returned.id, None, &by(self.keeper)).await?;
        let items: Vec<ReturnedItem> = returned
            .assets
            .iter()
            .zip([Condition::Fine, Condition::Damaged, Condition::Missing])
            .map(|(a, condition)| ReturnedItem {
                asset_id: a.asset_id,
                condition,
                zone_id: Some(self.zones[0]),
                note: Default::default(),
            })
            .collect();
        loans::return_items(conn, returned.id, Some(&items), &by(self.keeper)).await?;
        // returned in good order, borrowing from the virtual depot
        let virtual_loan = self
            .finance_loan(
                conn,
                loan(
                    "Temporary office 临时办公",
                    days(-12),
                    days(-9),
                    vec![(6, 2)],
                ),
            )
            .await?;
        let mut virtual_loan = self.approve(conn, virtual_loan.id).await?;
        loans::issue(conn, virtual_loan.id, None, &by(self.keeper)).await?;
        virtual_loan = loans::return_items(conn, virtual_loan.id, None, &by(self.keeper)).await?;
        debug_assert_eq!(virtual_loan.status.as_str(), "returned");
        // rejected and cancelled
        let rejected = self
            .finance_loan(conn, loan("Private party", days(3), days(3), vec![(5, 2)]))
            .await?;
        loans::reject(
            conn,
            rejected.id,
            &by(self.admin).reason("not an official event"),
        )
        .await?;
        let cancelled = self
            .finance_loan(
                conn,
                loan(
                    "Postponed seminar 延期研讨会",
                    days(9),
                    days(9),
                    vec![(2, 1)],
                ),
            )
            .await?;
        self.approve(conn, cancelled.id).await?;
        loans::cancel(
            conn,
            cancelled.id,
            &by(self.requester).reason("seminar postponed"),
        )
        .await?;

        // compensation cases: the sports meeting's damaged tent repaired and paid for, its
        // lost tent still open; one more case waived
        let (cases, _) =
            compensations::list(conn, Some(self.finance), None, Window::first(100)).await?;
        if let Some(damage) = cases.iter().find(|c| c.kind == compensations::Kind::Damage) {
            compensations::repaired(conn, damage.id, Fen::known(42_000), &by(self.keeper)).await?;
            compensations::paid(conn, damage.id, "CZ-2026-0117", &by(self.admin)).await?;
        }
        let waived_loan = self
            .finance_loan(
                conn,
                loan("Flood relief 防汛救灾", days(-40), days(-35), vec![(1, 2)]),
            )
            .await?;
        let waived_loan = self.approve(conn, waived_loan.id).await?;
        loans::issue(conn, waived_loan.id, None, &by(self.keeper)).await?;
        let items: Vec<ReturnedItem> = waived_loan
            .assets
            .iter()
            .zip([Condition::Damaged, Condition::Fine])
            .map(|(a, condition)| ReturnedItem {
                asset_id: a.asset_id,
                condition,
                zone_id: Some(self.zones[1]),
                note: "soaked in the flood".known(),
            })
            .collect();
        loans::return_items(conn, waived_loan.id, Some(&items), &by(self.keeper)).await?;
        let (cases, _) = compensations::list(
            conn,
            Some(self.finance),
            Some(crate::domain::lifecycle::orders::CompensationStatus::Open),
            Window::first(100),
        )
        .await?;
        if let Some(case) = cases.iter().find(|c| c.loan_id == Some(waived_loan.id)) {
            compensations::waived(
                conn,
                case.id,
                &by(self.admin).reason("damage by force majeure"),
            )
            .await?;
        }

        // transfers in every state
        let transfer = |purpose: &str, c: usize, quantity: i32| NewTransfer {
            department_id: None,
            purpose: purpose.known(),
            lines: vec![Line {
                id: 0,
                category_id: Some(self.categories[c]),
                asset_id: None,
                kit_id: None,
                quantity,
            }],
        };
        transfers::create(
            conn,
            self.finance,
            &transfer("New audit office 新设审计办公室", 7, 4),
            &by(self.requester),
        )
        .await?;
        let approved = transfers::create(
            conn,
            self.culture,
            &transfer("Library reading room 图书馆阅览室", 6, 5),
            &by(self.requester2),
        )
        .await?;
        transfers::approve(conn, approved.id, None, &by(self.admin)).await?;
        let completed = transfers::create(
            conn,
            self.finance,
            &transfer("Service hall counters 服务大厅", 6, 3),
            &by(self.requester),
        )
        .await?;
        transfers::approve(conn, completed.id, None, &by(self.admin)).await?;
        transfers::issue(conn, completed.id, None, &by(self.keeper)).await?;
        let rejected = transfers::create(
            conn,
            self.culture,
            &transfer("Spare projectors", 2, 4),
            &by(self.requester2),
        )
        .await?;
        transfers::reject(
            conn,
            rejected.id,
            &by(self.admin).reason("projectors are kept for loans"),
        )
        .await?;
        let cancelled = transfers::create(
            conn,
            self.finance,
            &transfer("Archive room 档案室", 7, 2),
            &by(self.requester),
        )
        .await?;
        transfers::cancel(
            conn,
            cancelled.id,
            &by(self.requester).reason("archive moved instead"),
        )
        .await?;

        // disposals in every state
        let propose = |ids: Vec<i64>, reason: &str| NewDisposal {
            asset_ids: ids,
            reason: reason.known(),
        };
        let ids = self.in_stock(conn, 3, 2).await?;
        disposals::create(
            conn,
            &propose(ids, "Batteries no longer hold a charge"),
            &by(self.keeper),
        )
        .await?;
        let ids = self.in_stock(conn, 3, 2).await?;
        let d = disposals::create(
            conn,
            &propose(ids, "Obsolete: Windows 7 only"),
            &by(self.keeper),
        )
        .await?;
        disposals::appraise(
            conn,
            d.id,
            Fen::known(90_000),
            "Mianyang Appraisal Co. 绵阳评估公司",
            &by(self.keeper),
        )
        .await?;
        let ids = self.in_stock(conn, 1, 10).await?;
        let d = disposals::create(conn, &propose(ids, "Worn upholstery"), &by(self.keeper)).await?;
        disposals::appraise(
            conn,
            d.id,
            Fen::known(20_000),
            "Mianyang Appraisal Co. 绵阳评估公司",
            &by(self.keeper),
        )
        .await?;
        disposals::approve(conn, d.id, &by(self.admin)).await?;
        for (c, n, price, remit) in [(2usize, 2i64, 110_000i64, false), (7, 3, 48_000, true)] {
            let ids = self.in_stock(conn, c, n).await?;
            let d = disposals::create(
                conn,
                &propose(ids, "Surplus after the office merger"),
                &by(self.keeper),
            )
            .await?;
            disposals::appraise(
                conn,
                d.id,
                Fen::known(price),
                "Mianyang Appraisal Co. 绵阳评估公司",
                &by(self.keeper),
            )
            .await?;
            disposals::approve(conn, d.id, &by(self.admin)).await?;
            disposals::sell(
                conn,
                d.id,
                Fen::known(price + 15_000),
                "Public auction lot 公开拍卖",
                &by(self.admin),
            )
            .await?;
            if remit {
                disposals::remit(conn, d.id, "GK-2026-00931", &by(self.admin)).await?;
            }
        }
        let ids = self.in_stock(conn, 4, 1).await?;
        let d = disposals::create(
            conn,
            &propose(ids, "Frame broken beyond repair"),
            &by(self.keeper),
        )
        .await?;
        disposals::appraise(conn, d.id, Fen::known(0), "Depot keeper", &by(self.keeper)).await?;
        disposals::approve(conn, d.id, &by(self.admin)).await?;
        disposals::scrap(conn, d.id, &by(self.admin)).await?;
        let ids = self.in_stock(conn, 0, 1).await?;
        let d = disposals::create(conn, &propose(ids, "Thought broken"), &by(self.keeper)).await?;
        disposals::reject(
            conn,
            d.id,
            &by(self.admin).reason("works fine after cleaning"),
        )
        .await?;
        let ids = self.in_stock(conn, 0, 1).await?;
        let d =
            disposals::create(conn, &propose(ids, "Duplicate request"), &by(self.keeper)).await?;
        disposals::cancel(conn, d.id, &by(self.admin).reason("entered twice")).await?;
        self.rentals(conn, gala.id).await
    }

    /// Market rentals (管理+租用): a conference that asked for more projectors than the depot
    /// had free, lent what there was and rented the rest (received and returned to the
    /// supplier); and two tents for the gala beyond the depot's, ordered and not yet come.
    async fn rentals(&self, conn: &mut PgConnection, gala: i64) -> anyhow::Result<()> {
        use crate::db::rentals::{self, NewRental};
        let today = self.today;
        let days = |n: i64| Day::known(today + Duration::days(n));
        let by = |actor: i64| Context::by(actor);
        let (projectors, tents) = (self.categories[2], self.categories[4]);
        let asked = 10;
        let conference = self
            .finance_loan(
                conn,
                NewLoan {
                    department_id: None,
                    purpose: "Provincial work conference 全省工作会议".known(),
                    starts_on: days(-6),
                    ends_on: days(-4),
                    accept_shortfall: false,
                    lines: vec![Line {
                        id: 0,
                        category_id: Some(projectors),
                        asset_id: None,
                        kit_id: None,
                        quantity: asked,
                    }],
                },
            )
            .await?;
        // The depot lends every projector it has free, and rents the rest.
        let free = assets::newest_in_stock(conn, projectors, i64::from(asked)).await?;
        let shortfall = asked - free.len() as i32;
        let approval = by(self.admin).reason("the depot's projectors, the rest rented");
        let approved =
            loans::approve(conn, conference.id, Some(&free), &self.chain, &approval).await?;
        if approved.status == crate::domain::lifecycle::orders::LoanStatus::AwaitingFinance {
            loans::sign_off(conn, conference.id, &by(self.approver)).await?;
        }
        let new = NewRental {
            supplier: "Chengdu Huicheng Event Rentals 成都会成会展租赁".known(),
            category_id: projectors,
            quantity: shortfall.max(1),
            starts_on: days(-6),
            ends_on: days(-4),
            daily_price_fen: Fen::known(18_000),
            total_fen: None,
            note: "delivered to the conference hall 送至会场".known(),
        };
        let rented = rentals::create(conn, conference.id, &new, &by(self.admin)).await?;
        rentals::receive(conn, rented.id, &by(self.keeper)).await?;
        loans::issue(conn, conference.id, None, &by(self.keeper)).await?;
        loans::return_items(conn, conference.id, None, &by(self.keeper)).await?;
        rentals::give_back(conn, rented.id, &by(self.keeper)).await?;
        let tents_for_gala = NewRental {
            supplier: "Mianyang Tent Hire 绵阳帐篷租赁".known(),
            category_id: tents,
            quantity: 2,
            starts_on: days(20),
            ends_on: days(21),
            daily_price_fen: Fen::known(25_000),
            total_fen: Some(Fen::known(90_000)),
            note: "quoted with set-up, less 10% 含搭建，九折".known(),
        };
        rentals::create(conn, gala, &tents_for_gala, &by(self.admin)).await?;
        Ok(())
    }
}

/// The Culture bureau's loan of the exhibition panels, from `today` for two weeks.
fn exhibition_loan(today: NaiveDate, panels: &[i64]) -> NewLoan {
    NewLoan {
        department_id: None,
        purpose: "Provincial exhibition 省级展览 (leaves through the main gate)".known(),
        starts_on: Day::known(today),
        ends_on: Day::known(today + Duration::days(14)),
        accept_shortfall: false,
        lines: panels
            .iter()
            .map(|&asset_id| Line {
                id: 0,
                category_id: None,
                asset_id: Some(asset_id),
                kit_id: None,
                quantity: 1,
            })
            .collect(),
    }
}

/// `serve --demo` keeps its gate meaningful run after run: the simulated trolley takes the
/// exhibition panels out (the loan is issued) and brings them back (returned, pending
/// inspection); once the panels are back in stock with no order waiting, the
/// Culture bureau's clerk asks for them again and the manager approves, through the same
/// operations as the pages, so the next trolley out is issued again and the panel with no
/// order raises its alert again. Runs until the task is dropped.
pub async fn keep_lending(app: App) {
    use crate::engine::synth::{synthesize, Options, Scenario};
    let trace = synthesize(&Options::new(Scenario::GateOut, PANELS, PANEL_SEED));
    let mut epcs: Vec<String> = trace.truth.passed.iter().map(|e| e.to_hex()).collect();
    epcs.pop();
    let mut every = tokio::time::interval(LEND_AGAIN_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match lend_again(&app, &epcs).await {
            Ok(Some(loan)) => tracing::info!(
                loan,
                "demo: the exhibition panels are back; the Culture bureau borrows them again"
            ),
            Ok(None) => {}
            // The database away for a moment, or a person acting on the panels meanwhile.
            Err(e) => tracing::debug!(error = %e, "demo: the panels are not lent again yet"),
        }
    }
}

/// A new approved loan of the panels back in stock, once the gate has not seen them for a
/// while and none is waiting for an order.
async fn lend_again(app: &App, epcs: &[String]) -> anyhow::Result<Option<i64>> {
    use crate::app::{loans as lending, Approval};
    use crate::db::{credentials, facts, orders};
    let mut conn = app.pool.acquire().await?;
    if facts::last_seen_at(&mut conn, epcs)
        .await?
        .is_some_and(|at| Utc::now() - at < QUIET)
    {
        return Ok(None);
    }
    let ids: Vec<i64> = assets::ids_by_epc(&mut conn, epcs)
        .await?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    if ids.len() != epcs.len() {
        return Ok(None);
    }
    // Those back on the shelf; one a keeper marked lost or sent to repair stays out of it
    // (passing the gate with no order, it raises its alert).
    let ids: Vec<i64> = assets::by_ids(&mut conn, &ids)
        .await?
        .iter()
        .filter(|a| a.state == crate::domain::lifecycle::AssetState::InStock)
        .map(|a| a.id)
        .collect();
    if ids.is_empty() || orders::any_waiting(&mut conn, &ids).await? {
        return Ok(None);
    }
    let (Some(clerk), Some(manager)) = (
        people::user_id(&mut conn, "requester2").await?,
        people::user_id(&mut conn, "admin").await?,
    ) else {
        return Ok(None);
    };
    let clerk = credentials::actor(&mut conn, clerk).await?;
    let manager = credentials::actor(&mut conn, manager).await?;
    drop(conn);
    let mut ids = ids;
    ids.sort_unstable();
    let loan = lending::request(app, &clerk, exhibition_loan(app.today(), &ids)).await?;
    let approval = Approval {
        asset_ids: None,
        reason: Default::default(),
    };
    lending::approve(app, &manager, loan.id, approval).await?;
    Ok(Some(loan.id))
}
