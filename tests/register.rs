//! The asset card as finance keeps it: the finance fields, the useful life and the net value.

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Datelike, Months};
use common::World;
use serde_json::{json, Value};
use sqlx::PgPool;

/// The first day of the month `n` months before this one.
fn months_ago(n: u32) -> chrono::NaiveDate {
    let today = chrono::Local::now().date_naive();
    today.with_day(1).unwrap() - Months::new(n)
}

#[sqlx::test(migrations = "./migrations")]
async fn the_card_carries_finance_fields_and_the_net_value(pool: PgPool) {
    let world = World::new(pool).await;
    let (status, category) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{}", world.tables),
            &world.admin,
            Some(json!({"useful_life_months": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{category}");
    assert_eq!(category["useful_life_months"], 60);

    let acquired = months_ago(12);
    let (status, asset) = world
        .call(
            Method::POST,
            "/api/assets",
            &world.keeper,
            Some(json!({
                "name": "Folding table", "category_id": world.tables, "original_value_fen": 120_000,
                "acquired_on": acquired, "model": "ZD-1200", "serial_number": "SN-0001",
                "supplier": "Mianyang Furniture Co.", "acquisition_method": "purchase",
                "funding_source": "fiscal appropriation", "finance_card_no": "KP-2025-0001",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    assert_eq!(asset["model"], "ZD-1200");
    assert_eq!(asset["acquisition_method"], "purchase");
    assert_eq!(asset["finance_card_no"], "KP-2025-0001");
    // The category's life was taken; 12 of 60 months are gone.
    assert_eq!(asset["useful_life_months"], 60);
    assert_eq!(asset["depreciation"]["months"], 12);
    assert_eq!(asset["depreciation"]["accumulated_fen"], 24_000);
    assert_eq!(asset["depreciation"]["net_value_fen"], 96_000);

    // Its own life overrides the category's; past the life the net value is nil.
    let id = asset["id"].as_i64().unwrap();
    let (status, asset) = world
        .call(
            Method::PATCH,
            &format!("/api/assets/{id}"),
            &world.keeper,
            Some(json!({"useful_life_months": 6, "acquisition_method": "donation"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{asset}");
    assert_eq!(asset["useful_life_months"], 6);
    assert_eq!(asset["acquisition_method"], "donation");
    assert_eq!(asset["depreciation"]["net_value_fen"], 0);

    // A bad method or life is refused and changes nothing.
    for bad in [
        json!({"acquisition_method": "theft"}),
        json!({"useful_life_months": 0}),
        json!({"useful_life_months": 1201}),
    ] {
        let (status, reply) = world
            .call(
                Method::PATCH,
                &format!("/api/assets/{id}"),
                &world.keeper,
                Some(bad),
            )
            .await;
        assert!(status.is_client_error(), "{status} {reply}");
    }

    // Without an acquisition date there is no net value to tell.
    let (_, undated) = world
        .call(
            Method::POST,
            "/api/assets",
            &world.keeper,
            Some(json!({"name": "Chair", "category_id": world.chairs, "original_value_fen": 100})),
        )
        .await;
    assert_eq!(undated["depreciation"], Value::Null);

    // The page shows the card and the net value, in both languages.
    let cookie = common::login(&world, "admin").await;
    let page = common::get(&world, &format!("/assets/{id}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("KP-2025-0001") && page.body.contains("Net value"));
    let zh = common::get(
        &world,
        &format!("/assets/{id}"),
        &format!("{cookie}; lang=zh-CN"),
    )
    .await;
    assert!(
        zh.body.contains("资产卡片号") && zh.body.contains("净值") && zh.body.contains("接受捐赠")
    );
}
