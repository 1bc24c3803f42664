//! Forms as a person meets them: a refusal said where they are, in their language, with what
//! they typed kept; a confirmation before what cannot be undone; a word after each action;
//! four eyes on a disposal; a lost asset found again.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::site::count;
use common::{get, login, post, World};
use depot::auth::Role;
use serde_json::json;
use sqlx::PgPool;

/// The cookie of a person signed in through the page, reading in `lang`.
async fn reading(world: &World, user: &str, lang: &str) -> String {
    format!("{}; lang={lang}", login(world, user).await)
}

/// A disposal of `assets`, proposed by `proposer` through the API; its id.
async fn disposal(world: &World, proposer: &str, assets: &[i64]) -> i64 {
    let (status, d) = world
        .call(
            Method::POST,
            "/api/disposals",
            proposer,
            Some(json!({"asset_ids": assets, "reason": "worn out"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d["id"].as_i64().unwrap()
}

async fn appraise(world: &World, who: &str, id: i64, fen: i64) {
    let (status, d) = world
        .call(
            Method::POST,
            &format!("/api/disposals/{id}/appraise"),
            who,
            Some(json!({"appraised_value_fen": fen, "appraiser": "City Appraisal Co."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_amount_typed_with_its_unit_comes_back_beside_the_field_in_the_pages_language(
    pool: PgPool,
) {
    let world = World::new(pool).await;
    let stock = world.stock(world.chairs, 1).await;
    let id = disposal(&world, &world.keeper, &stock).await;
    let path = format!("/disposals/{id}");
    for (lang, said) in [
        ("zh", "300元 不是以元为单位的金额"),
        ("en", "&#34;300元&#34; is not an amount in yuan"),
    ] {
        let cookie = reading(&world, "keeper", lang).await;
        let token = get(&world, &path, &cookie).await.csrf();
        let reply = post(
            &world,
            &format!("{path}/appraise"),
            &cookie,
            &[
                ("csrf", &token),
                ("value", "300元"),
                ("appraiser", "City Appraisal Co."),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert!(reply.body.contains(said), "{lang}: {}", reply.body);
        assert!(
            reply.body.contains("id=\"appraise-error\""),
            "the message is beside the appraisal form"
        );
        assert!(
            reply.body.contains("value=\"300元\"") && reply.body.contains("City Appraisal Co."),
            "what was typed is kept: {}",
            reply.body
        );
        assert!(
            reply.body.contains("href=\"/keeper/picks\""),
            "the menu is kept"
        );
    }
    let appraised: Option<i64> =
        sqlx::query_scalar("select appraised_value_fen from disposals where id = $1")
            .bind(id)
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert_eq!(appraised, None, "nothing changed");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_error_page_speaks_the_viewers_language_keeps_the_menu_and_goes_back_to_the_form(
    pool: PgPool,
) {
    let world = World::new(pool).await;
    let asset = world.stock(world.chairs, 1).await[0];
    let cookie = reading(&world, "keeper", "zh").await;
    let token = get(&world, &format!("/assets/{asset}"), &cookie)
        .await
        .csrf();
    // An asset in stock cannot be found again: the lifecycle refuses, in Chinese, at the top
    // of the asset's page (which offers no 找回 for an asset in stock).
    let reply = post(
        &world,
        &format!("/assets/{asset}/recover"),
        &cookie,
        &[
            ("csrf", token.as_str()),
            ("reason", "在仓库角落找到"),
            ("zone", &world.shelf.to_string()),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::CONFLICT,
        "asset-error",
        "资产当前为“在库”，不能找回",
        &[],
    );
    assert_eq!(world.asset_state(asset).await, "in_stock");

    // A refusal no page holds a form for: the error page, in Chinese, with the menu, and a
    // Back to the form it came from.
    let cookie = reading(&world, "admin", "zh").await;
    let token = get(&world, "/admin/kits", &cookie).await.csrf();
    let body = serde_urlencoded::to_string([("csrf", token.as_str()), ("confirmed", "1")]).unwrap();
    let req = Request::post("/admin/kits/999999/delete")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "depot.test")
        .header(header::COOKIE, &cookie)
        .header(header::REFERER, "http://depot.test/admin/kits")
        .body(Body::from(body))
        .unwrap();
    let reply = common::send(&world, req).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert!(
        reply.body.contains("<html lang=\"zh-CN\">"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("出错了"), "{}", reply.body);
    assert!(!reply.body.contains("Something went wrong"));
    assert!(reply.body.contains("未找到"), "in Chinese: {}", reply.body);
    assert!(
        reply.body.contains("href=\"/admin/approvals\""),
        "the menu is kept"
    );
    assert!(
        reply.body.contains("<a href=\"/admin/kits\" data-back"),
        "Back goes to the form: {}",
        reply.body
    );

    // A page that does not exist: the same frame, in English for an English reader.
    let cookie = reading(&world, "keeper", "en").await;
    let reply = get(&world, "/orders/999999", &cookie).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("Something went wrong") && reply.body.contains("not found"));
    assert!(reply.body.contains("href=\"/keeper/picks\""));
    assert!(
        reply.body.contains("<a href=\"/\" data-back"),
        "no form: home"
    );
    // Someone not signed in still gets a page, without a menu.
    let reply = get(&world, "/static/nothing-here", "").await;
    assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);

    // An address whose number is no number (typed, or cut short when pasted): the same
    // frame in the reader's language, never a line of axum's English.
    for (lang, path, said) in [
        ("zh", "/orders/abc", "网址：abc 不是有效的编号"),
        (
            "zh",
            "/keeper/intakes/99999999999999999999/labels",
            "网址：99999999999999999999 不是有效的编号",
        ),
        ("en", "/assets/12x", "address: \"12x\" is not a number"),
        ("en", "/transfers/-", "address: \"-\" is not a number"),
    ] {
        let cookie = reading(&world, "keeper", lang).await;
        let reply = get(&world, path, &cookie).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        let shown = reply.body.replace("&quot;", "\"").replace("&#34;", "\"");
        assert!(shown.contains(said), "{path}: {}", reply.body);
        assert!(
            reply.body.contains("href=\"/keeper/picks\""),
            "{path}: the menu"
        );
        assert!(!reply.body.contains("Cannot parse"), "{path}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_request_for_more_than_can_be_borrowed_is_told_so_at_once_and_may_go_ahead(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.tables, 2).await;
    let cookie = reading(&world, "requester", "zh").await;
    let token = get(&world, "/loans/new", &cookie).await.csrf();
    let tables = world.tables.to_string();
    let day = (common::today() + chrono::Duration::days(3)).to_string();
    let form = |accept: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("category", tables.clone()),
            ("quantity", "1000".to_owned()),
            ("from", day.clone()),
            ("to", day.clone()),
            ("purpose", "全体大会".to_owned()),
            ("accept_shortfall", accept.to_owned()),
        ]
    };
    let fields = form("");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = post(&world, "/loans", &cookie, &fields).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("所选日期内仅 2 件可借（申请 1000 件 folding table）"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("value=\"1000\"") && reply.body.contains("全体大会"));
    assert!(
        reply.body.contains("name=\"accept_shortfall\""),
        "{}",
        reply.body
    );
    let requested: i64 = sqlx::query_scalar("select count(*) from loans")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(requested, 0);

    // Knowingly: requested (the depot may approve part, or rent the rest).
    let fields = form("1");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = post(&world, "/loans", &cookie, &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);

    // A start before today is refused in the page's language, the input kept.
    let yesterday = (common::today() - chrono::Duration::days(1)).to_string();
    let reply = post(
        &world,
        "/loans",
        &cookie,
        &[
            ("csrf", &token),
            ("category", &tables),
            ("quantity", "1"),
            ("from", &yesterday),
            ("to", &yesterday),
            ("purpose", "补办"),
        ],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("借用开始日期不能早于今天"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("补办"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_loan_line_naming_no_asset_is_told_so_never_still_referenced(pool: PgPool) {
    let world = World::new(pool).await;
    let cookie = reading(&world, "requester", "zh").await;
    let token = get(&world, "/loans/new", &cookie).await.csrf();
    let reply = post(
        &world,
        "/loans",
        &cookie,
        &[
            ("csrf", &token),
            ("assets", "99999"),
            ("from", "2031-05-01"),
            ("to", "2031-05-02"),
            ("purpose", "会议"),
        ],
    )
    .await;
    assert!(
        reply.status.is_client_error(),
        "{}: {}",
        reply.status,
        reply.body
    );
    assert!(reply.body.contains("没有这项资产"), "{}", reply.body);
    assert!(!reply.body.contains("referenced"));
    assert!(
        reply.body.contains("value=\"99999\""),
        "what was typed is kept"
    );

    let (status, body) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(
                json!({"purpose": "meeting", "starts_on": "2031-05-01", "ends_on": "2031-05-02",
                        "lines": [{"asset_id": 99999, "quantity": 1}]}),
            ),
        )
        .await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(body["error"]["message"], "no such asset", "{body}");
    assert_eq!(body["error"]["message_key"], "no_such_asset", "{body}");
    let (_, body) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(
                json!({"purpose": "meeting", "starts_on": "2031-05-02", "ends_on": "2031-05-01",
                        "lines": [{"category_id": world.tables, "quantity": 1}]}),
            ),
        )
        .await;
    assert_eq!(body["error"]["code"], "unprocessable", "{body}");
    assert_eq!(body["error"]["message_key"], "loan_dates_ordered", "{body}");
}

/// Recording a sale is final (the assets leave the depot for good): asked first even at the
/// appraisal, saying what will be recorded, in the page's language; a price typed wrong
/// comes back beside the form before anything is asked.
#[sqlx::test(migrations = "./migrations")]
async fn a_sale_at_the_appraisal_is_asked_first_too(pool: PgPool) {
    let world = World::new(pool).await;
    let stock = world.stock(world.chairs, 1).await;
    let id = disposal(&world, &world.keeper, &stock).await;
    appraise(&world, &world.keeper, id, 120_000).await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/disposals/{id}/approve"),
            &world.admin,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = reading(&world, "admin", "zh").await;
    let path = format!("/disposals/{id}");
    let token = get(&world, &path, &cookie).await.csrf();
    let fields = [
        ("csrf", token.as_str()),
        ("price", "1200"),
        ("buyer", "拍卖行"),
    ];
    let asked = post(&world, &format!("{path}/sell"), &cookie, &fields).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("确认记录售出？")
            && asked
                .body
                .contains(&format!("处置单 {id} 将记录为以 ¥1,200.00 售予 拍卖行")),
        "{}",
        asked.body
    );
    assert!(asked.body.contains("name=\"price\" value=\"1200\""));
    let status: String = sqlx::query_scalar("select status::text from disposals where id = $1")
        .bind(id)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(status, "approved", "nothing sold before it is confirmed");
    // A price that is no amount is said beside the sale's form, not asked about.
    let typo = [
        ("csrf", token.as_str()),
        ("price", "1200元"),
        ("buyer", "拍卖行"),
    ];
    let refused = post(&world, &format!("{path}/sell"), &cookie, &typo).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"sell-error\""),
        "{}",
        refused.body
    );
    assert!(
        !refused.body.contains("id=\"confirm-form\""),
        "{}",
        refused.body
    );
    let confirmed = [fields.as_slice(), &[("confirmed", "1")]].concat();
    let reply = post(&world, &format!("{path}/sell"), &cookie, &confirmed).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{path}?done=sold"));
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_disposal_is_approved_by_a_second_admin_and_a_cheap_sale_is_confirmed(pool: PgPool) {
    let world = World::new(pool).await;
    let second = world.user("admin2", Role::Admin, None).await;
    let stock = world.stock(world.chairs, 1).await;
    let id = disposal(&world, &world.admin, &stock).await;
    appraise(&world, &world.admin, id, 120_000).await;

    // The admin who proposed and appraised it is refused, through the API and the page.
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/disposals/{id}/approve"),
            &world.admin,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["message_key"], "four_eyes", "{body}");
    let cookie = reading(&world, "admin", "zh").await;
    let path = format!("/disposals/{id}");
    let token = get(&world, &path, &cookie).await.csrf();
    let reply = post(
        &world,
        &format!("{path}/approve"),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert!(reply.body.contains("id=\"confirm-form\""), "asked first");
    let reply = post(
        &world,
        &format!("{path}/approve"),
        &cookie,
        &[("csrf", &token), ("confirmed", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.body.contains("须由另一位管理员批准") && reply.body.contains("approve-error"),
        "{}",
        reply.body
    );
    // One who only appraised it is refused too.
    let third = world.user("admin3", Role::Admin, None).await;
    appraise(&world, &third, id, 120_000).await;
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/disposals/{id}/approve"),
            &third,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/disposals/{id}/approve"),
            &second,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a second admin approves: {body}");

    // A sale below the appraisal asks first and sells nothing.
    let fields = [
        ("csrf", token.as_str()),
        ("price", "800"),
        ("buyer", "拍卖行"),
    ];
    let reply = post(&world, &format!("{path}/sell"), &cookie, &fields).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("成交价 800.00 元 低于评估价 1200.00 元"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("name=\"confirmed\" value=\"1\""));
    assert!(reply.body.contains("name=\"price\" value=\"800\""));
    let status: String = sqlx::query_scalar("select status::text from disposals where id = $1")
        .bind(id)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(status, "approved", "nothing sold before it is confirmed");
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let reply = post(&world, &format!("{path}/sell"), &cookie, &confirmed).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{path}?done=sold"));
    let page = get(&world, reply.location(), &cookie).await;
    assert!(page.body.contains("id=\"flash\"") && page.body.contains("已记录售出"));
    // The API refuses it too unless it says it is meant.
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/disposals/{id}/sell"),
            &world.admin,
            Some(json!({"sale_price_fen": 1, "buyer": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_keeper_marks_an_asset_lost_with_a_reason_and_finds_it_again(pool: PgPool) {
    let world = World::new(pool).await;
    let asset = world.stock(world.chairs, 1).await[0];
    let path = format!("/assets/{asset}");
    let cookie = reading(&world, "keeper", "en").await;
    let page = get(&world, &path, &cookie).await;
    assert!(page.body.contains("id=\"mark-lost-form\""));
    assert!(!page.body.contains("id=\"recover-form\""));
    let token = page.csrf();

    // First the confirmation, which changes nothing.
    let reply = post(
        &world,
        &format!("{path}/mark-lost"),
        &cookie,
        &[
            ("csrf", &token),
            ("reason", "not on its shelf at the count"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("id=\"confirm-form\""));
    assert!(
        reply.body.contains("not on its shelf at the count"),
        "the reason is kept"
    );
    assert_eq!(world.asset_state(asset).await, "in_stock");
    let reply = post(
        &world,
        &format!("{path}/mark-lost"),
        &cookie,
        &[
            ("csrf", &token),
            ("reason", "not on its shelf at the count"),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(world.asset_state(asset).await, "lost");

    // Found again, in Chinese: back in stock on the shelf chosen, the reason logged.
    let cookie = reading(&world, "keeper", "zh").await;
    let page = get(&world, &path, &cookie).await;
    assert!(page.body.contains("id=\"recover-form\""), "{}", page.body);
    let token = page.csrf();
    let shelf2 = world.shelf2.to_string();
    let reply = post(
        &world,
        &format!("{path}/recover"),
        &cookie,
        &[
            ("csrf", &token),
            ("zone", &shelf2),
            ("reason", "在 B 区找到"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{path}?done=recovered"));
    assert_eq!(world.asset_state(asset).await, "in_stock");
    let page = get(&world, reply.location(), &cookie).await;
    assert!(page.body.contains("已找回"), "{}", page.body);
    let (reasons, zone): (Vec<String>, Option<i64>) = (
        sqlx::query_scalar("select reason from events where asset_id = $1 and action in ('mark_lost', 'recover') order by id")
            .bind(asset)
            .fetch_all(&world.pool)
            .await
            .unwrap(),
        sqlx::query_scalar("select zone_id from assets where id = $1")
            .bind(asset)
            .fetch_one(&world.pool)
            .await
            .unwrap(),
    );
    assert_eq!(reasons, ["not on its shelf at the count", "在 B 区找到"]);
    assert_eq!(zone, Some(world.shelf2));

    // A requester is not offered it and is refused.
    let requester = login(&world, "requester").await;
    let token = get(&world, "/catalogue", &requester).await.csrf();
    let reply = post(
        &world,
        &format!("{path}/mark-lost"),
        &requester,
        &[("csrf", &token), ("reason", "x"), ("confirmed", "1")],
    )
    .await;
    assert!(
        matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        reply.status
    );
    assert_eq!(world.asset_state(asset).await, "in_stock");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_asset_list_pages_through_all_it_counts_keeping_its_search(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.chairs, 103).await;
    world.stock(world.tables, 2).await;
    let cookie = login(&world, "keeper").await;
    let first = get(&world, "/assets?q=chair", &cookie).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.body.matches("<tr><td><a href=\"/assets/").count(),
        100
    );
    assert!(first.body.contains("1–100 / 103"), "{}", first.body);
    assert!(!first.body.contains("id=\"page-prev\""));
    assert!(
        first.body.contains("href=\"/assets?q=chair&#38;page=2\""),
        "the next page keeps the search: {}",
        first.body
    );
    let second = get(&world, "/assets?q=chair&page=2", &cookie).await;
    assert_eq!(second.body.matches("<tr><td><a href=\"/assets/").count(), 3);
    assert!(second.body.contains("101–103 / 103"));
    assert!(second.body.contains("href=\"/assets?q=chair&#38;page=1\""));
    assert!(!second.body.contains("id=\"page-next\""));
    for bad in ["abc", "0", "100001"] {
        let reply = get(&world, &format!("/assets?page={bad}"), &cookie).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "page={bad}");
    }
    // Page numbers end at 200; beyond, the bound is named.
    assert_eq!(
        get(&world, "/assets?page=200", &cookie).await.status,
        StatusCode::OK
    );
    let deep = get(&world, "/assets?page=201", &cookie).await;
    assert_eq!(deep.status, StatusCode::BAD_REQUEST);
    assert!(deep.body.contains("1 to 200"), "{}", deep.body);
    // The loans list too.
    let orders = get(&world, "/orders?status=requested", &cookie).await;
    assert!(orders.body.contains("id=\"pager-range\""));
}

#[sqlx::test(migrations = "./migrations")]
async fn the_admin_edits_disables_and_resets_a_user_on_the_web(pool: PgPool) {
    let world = World::new(pool).await;
    let id = world.user_id("requester").await;
    let cookie = reading(&world, "admin", "zh").await;
    let registers = get(&world, "/admin/registers", &cookie).await;
    assert!(registers
        .body
        .contains(&format!("href=\"/admin/users/{id}\"")));
    assert!(
        !registers
            .body
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap()
            .contains('<'),
        "the title is plain text"
    );
    let path = format!("/admin/users/{id}");
    let page = get(&world, &path, &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.csrf();
    let culture = world.culture.to_string();

    // Details: a bad e-mail comes back in Chinese with what was typed.
    let reply = post(
        &world,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("display_name", "王会计"),
            ("email", "not-an-address"),
            ("role", "requester"),
            ("department", &culture),
        ],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("不是电子邮件地址"), "{}", reply.body);
    assert!(reply.body.contains("value=\"王会计\"") && reply.body.contains("not-an-address"));
    // Beside the e-mail field, which says it is the one at fault; the role and department
    // as chosen.
    assert!(
        reply.body.contains("aria-invalid=\"true\" aria-describedby=\"email-error\"><p class=\"error\" role=\"alert\" id=\"email-error\">"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("id=\"form-error\""), "{}", reply.body);
    assert!(
        reply
            .body
            .contains(&format!("<option value=\"{culture}\" selected>")),
        "{}",
        reply.body
    );
    // No role chosen (a forged select): said beside the role, the name as typed.
    let reply = post(
        &world,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("display_name", "王会计"),
            ("email", ""),
            ("role", "superuser"),
            ("department", &culture),
        ],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("id=\"role-error\""), "{}", reply.body);
    assert!(reply.body.contains("请选择角色"), "{}", reply.body);
    assert!(reply.body.contains("value=\"王会计\""), "{}", reply.body);
    let reply = post(
        &world,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("display_name", "王会计"),
            ("email", "wang@example.org"),
            ("role", "requester"),
            ("department", &culture),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{path}?done=user_saved"));
    let (name, department): (String, Option<i64>) =
        sqlx::query_as("select display_name, department_id from users where id = $1")
            .bind(id)
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), department), ("王会计", Some(world.culture)));

    // A new password: too short is refused; ten characters end their sessions.
    let theirs = login(&world, "requester").await;
    let reply = post(
        &world,
        &path,
        &cookie,
        &[("csrf", &token), ("password", "short")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("密码至少 10 个字符"), "{}", reply.body);
    assert!(
        reply.body.contains("id=\"password-error\""),
        "beside the new password, not the details: {}",
        reply.body
    );
    let reply = post(
        &world,
        &path,
        &cookie,
        &[("csrf", &token), ("password", "a-new-one-2030")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page = get(&world, reply.location(), &cookie).await;
    assert!(page.body.contains("密码已重置"), "{}", page.body);
    assert_eq!(
        get(&world, "/catalogue", &theirs).await.status,
        StatusCode::SEE_OTHER,
        "their session ended"
    );
    let signed = common::login_form(&world, "requester", "a-new-one-2030", "/").await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);

    // Disabled: no more sign-in; enabled again.
    let reply = post(
        &world,
        &path,
        &cookie,
        &[("csrf", &token), ("active", "false")],
    )
    .await;
    assert_eq!(reply.location(), format!("{path}?done=user_disabled"));
    let refused = common::login_form(&world, "requester", "a-new-one-2030", "/").await;
    assert_ne!(
        refused.status,
        StatusCode::SEE_OTHER,
        "a disabled user cannot sign in"
    );
    let reply = post(
        &world,
        &path,
        &cookie,
        &[("csrf", &token), ("active", "true")],
    )
    .await;
    assert_eq!(reply.location(), format!("{path}?done=user_enabled"));

    // Only the admin: a keeper is refused the page and the change (the policy hides other
    // people from them: 404).
    let keeper = login(&world, "keeper").await;
    let refused = get(&world, &path, &keeper).await.status;
    assert!(
        matches!(refused, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{refused}"
    );
    let token = get(&world, "/keeper/picks", &keeper).await.csrf();
    let reply = post(
        &world,
        &path,
        &keeper,
        &[("csrf", &token), ("active", "false")],
    )
    .await;
    assert!(matches!(
        reply.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let active: bool = sqlx::query_scalar("select active from users where id = $1")
        .bind(id)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert!(active, "nothing changed");
}

/// A refused form as it comes back: `status`, the page it was posted from (not a redirect,
/// not the error page), the reason in the element `error` beside the form, saying `said`,
/// and each of `kept` (what was typed) in the page again.
#[track_caller]
fn came_back(reply: &common::Reply, status: StatusCode, error: &str, said: &str, kept: &[&str]) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(
        !reply.body.contains("id=\"error-message\""),
        "not the error page: {}",
        reply.body
    );
    let beside = reply
        .body
        .split(&format!("id=\"{error}\">"))
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("no {error}: {}", reply.body));
    assert!(
        beside.contains(said),
        "{error} says {beside:?}, not {said:?}"
    );
    for value in kept {
        assert!(reply.body.contains(value), "{value} kept: {}", reply.body);
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_kit_comes_back_beside_its_form_with_what_was_typed(pool: PgPool) {
    let world = World::new(pool).await;
    let admin = reading(&world, "admin", "zh").await;
    let token = get(&world, "/admin/kits", &admin).await.csrf();
    let chairs = world.chairs.to_string();
    let reply = post(
        &world,
        "/admin/kits",
        &admin,
        &[
            ("csrf", &token),
            ("name", "会议套装"),
            ("description", "for the hall"),
            ("category_1", &chairs),
            ("quantity_1", "20000"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "kit-form-error",
        "部件数量为 1 至 10000",
        &[
            "value=\"会议套装\"",
            "value=\"for the hall\"",
            &format!("<option value=\"{chairs}\" selected>"),
            "value=\"20000\"",
        ],
    );
    assert_eq!(count(&world.pool, "select count(*) from kits").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_reader_or_gate_comes_back_beside_its_form(pool: PgPool) {
    let world = World::new(pool).await;
    let admin = reading(&world, "admin", "en").await;
    let token = get(&world, "/admin/readers", &admin).await.csrf();
    let points = format!("1={}", world.shelf);
    let reply = post(
        &world,
        "/admin/readers",
        &admin,
        &[
            ("csrf", &token),
            ("name", "dock door"),
            ("address", "somewhere over there"),
            ("read_points", &points),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reader-form-error",
        "for a handheld",
        &[
            "value=\"dock door\"",
            "value=\"somewhere over there\"",
            &format!("value=\"{points}\""),
        ],
    );
    assert!(!reply.body.contains("id=\"gate-form-error\""));
    let shelf = world.shelf.to_string();
    let reply = post(
        &world,
        "/admin/gates",
        &admin,
        &[
            ("csrf", &token),
            ("name", "main gate"),
            ("inside", &shelf),
            ("outside", "none"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "gate-form-error",
        "choose both zones of the gate",
        &[
            "value=\"main gate\"",
            &format!("<option value=\"{shelf}\" selected>"),
        ],
    );
    assert!(!reply.body.contains("id=\"reader-form-error\""));
    assert_eq!(count(&world.pool, "select count(*) from readers").await, 0);
    assert_eq!(count(&world.pool, "select count(*) from gates").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_rental_comes_back_on_the_loans_page_with_what_was_typed(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, _) = world.short_loan().await;
    let admin = reading(&world, "admin", "en").await;
    let path = format!("/orders/{loan}");
    let token = get(&world, &path, &admin).await.csrf();
    let category = world.tables.to_string();
    let reply = post(
        &world,
        &format!("{path}/rent"),
        &admin,
        &[
            ("csrf", &token),
            ("supplier", "Chengdu Event Rentals"),
            ("category", &category),
            ("quantity", "3"),
            ("starts_on", "2030-03-05"),
            ("ends_on", "2030-03-02"),
            ("daily_price", "12.50"),
            ("note", "by the back door"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rent-form-error",
        "a rental cannot end (2030-03-02) before it starts (2030-03-05)",
        &[
            "value=\"Chengdu Event Rentals\"",
            &format!("<option value=\"{category}\" selected>"),
            "value=\"2030-03-05\"",
            "value=\"2030-03-02\"",
            "value=\"12.50\"",
            "value=\"by the back door\"",
        ],
    );
    assert_eq!(count(&world.pool, "select count(*) from rentals").await, 0);
}

/// An issued loan of `n` folding tables whose assets all came back through the gate,
/// waiting for inspection: the loan and the assets.
async fn back_through_the_gate(world: &World, n: usize) -> (i64, Vec<i64>) {
    let ids = world.stock(world.tables, n).await;
    let loan = world.approved_loan(&ids).await;
    world.hand_over(loan).await;
    let mut tx = world.pool.begin().await.unwrap();
    for &id in &ids {
        depot::db::loans::return_at_gate(&mut tx, loan, id, world.shelf, &Default::default())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    (loan, ids)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_inspection_comes_back_with_what_was_chosen(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, ids) = back_through_the_gate(&world, 2).await;
    let before = (
        world.asset_state(ids[0]).await,
        world.asset_state(ids[1]).await,
    );
    let keeper = reading(&world, "keeper", "zh").await;
    let token = get(&world, "/keeper/returns", &keeper).await.csrf();
    let (c0, c1, n1) = (
        format!("condition-{loan}-{}", ids[0]),
        format!("condition-{loan}-{}", ids[1]),
        format!("note-{loan}-{}", ids[1]),
    );
    // An asset that is not on the loan: the whole inspection is refused.
    let stranger = format!("condition-{loan}-999999");
    let reply = post(
        &world,
        "/keeper/returns/inspect",
        &keeper,
        &[
            ("csrf", &token),
            (&c0, "fine"),
            (&c1, "damaged"),
            (&n1, "桌腿弯了"),
            (&stranger, "fine"),
            ("confirmed", "1"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::CONFLICT,
        "inspect-form-error",
        "999999",
        &["<option value=\"damaged\" selected>", "value=\"桌腿弯了\""],
    );
    assert_eq!(
        reply
            .body
            .matches("<option value=\"fine\" selected>")
            .count(),
        1,
        "each asset's choice kept: {}",
        reply.body
    );
    assert_eq!(
        (
            world.asset_state(ids[0]).await,
            world.asset_state(ids[1]).await
        ),
        before,
        "nothing changed"
    );
    assert_eq!(
        count(&world.pool, "select count(*) from compensations").await,
        0
    );
    // Nothing chosen: said in Chinese beside the form.
    let reply = post(
        &world,
        "/keeper/returns/inspect",
        &keeper,
        &[("csrf", &token), (&c0, ""), (&n1, "桌腿弯了")],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "inspect-form-error",
        "请说明每项资产归还时的状况",
        &["value=\"桌腿弯了\""],
    );
}

/// A refused re-tag or attachment comes back to the asset's page beside its form, with the
/// EPC, reason and kind as they were typed and chosen; nothing changes.
#[sqlx::test(migrations = "./migrations")]
async fn a_refused_retag_or_attachment_comes_back_beside_its_form(pool: PgPool) {
    let world = World::new(pool).await;
    let stocked = world.stock(world.chairs, 2).await;
    let taken: String = sqlx::query_scalar("select epc from assets where id = $1")
        .bind(stocked[1])
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let asset = stocked[0];
    let keeper = reading(&world, "keeper", "en").await;
    let path = format!("/assets/{asset}");
    let token = get(&world, &path, &keeper).await.csrf();
    let reply = post(
        &world,
        &format!("{path}/retag"),
        &keeper,
        &[
            ("csrf", &token),
            ("epc", &taken),
            ("reason", "label torn"),
            ("confirmed", "1"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::CONFLICT,
        "retag-form-error",
        "EPC",
        &[&format!("value=\"{taken}\""), "value=\"label torn\""],
    );
    let epc: String = sqlx::query_scalar("select epc from assets where id = $1")
        .bind(asset)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_ne!(epc, taken, "not re-tagged");

    let reply = common::post_multipart(
        &world,
        &format!("{path}/attachments"),
        &keeper,
        &[("csrf", &token), ("kind", "invoice")],
        Some(("notes.txt", b"plain text, not a document")),
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "attach-form-error",
        "",
        &["<option value=\"invoice\" selected>"],
    );
    assert_eq!(
        count(&world.pool, "select count(*) from attachments").await,
        0
    );
}

/// A refused approval, return or any action on a loan comes back to the loan's page beside
/// its form, in the viewer's language, with what was ticked, chosen and typed; a refusal
/// whose form the page no longer offers (the loan moved on) is said at the top.
#[sqlx::test(migrations = "./migrations")]
async fn a_refused_action_on_a_loan_comes_back_beside_its_form_as_it_was_ticked(pool: PgPool) {
    let world = World::new(pool).await;
    let tables = world.stock(world.tables, 3).await;
    let loan = world.request_tables(2, "2030-03-01", "2030-03-03").await;
    let admin = reading(&world, "admin", "zh").await;
    let path = format!("/orders/{loan}");
    let page = get(&world, &path, &admin).await;
    let proposed: Vec<i64> = tables
        .iter()
        .copied()
        .filter(|t| page.body.contains(&format!("id=\"pick-{t}\" checked")))
        .collect();
    assert_eq!(proposed.len(), 2, "{}", page.body);
    let (kept, unticked) = (proposed[0].to_string(), proposed[1]);
    let reply = post(
        &world,
        &format!("{path}/approve"),
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("asset", &kept),
            ("extra", "abc"),
            ("confirmed", "1"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "approve-form-error",
        "不是资产编号",
        &[&format!("id=\"pick-{kept}\" checked"), "value=\"abc\""],
    );
    assert!(
        !reply
            .body
            .contains(&format!("id=\"pick-{unticked}\" checked")),
        "unticked as posted"
    );
    let status = || async {
        sqlx::query_scalar::<_, String>("select status::text from loans where id = $1")
            .bind(loan)
            .fetch_one(&world.pool)
            .await
            .unwrap()
    };
    assert_eq!(status().await, "requested", "nothing approved");

    // Cancelled meanwhile: approving is refused, said at the top of the page that no
    // longer offers it.
    let (code, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/cancel"),
            &world.requester,
            Some(json!({"reason": "the event moved"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let reply = post(
        &world,
        &format!("{path}/approve"),
        &admin,
        &[("csrf", &page.csrf()), ("asset", &kept), ("confirmed", "1")],
    )
    .await;
    came_back(&reply, StatusCode::CONFLICT, "order-error", "", &[]);
    assert!(!reply.body.contains("id=\"approve-form\""));

    // Taking back into a zone that is not there: the conditions and notes come back.
    let out = world.stock(world.chairs, 2).await;
    let loan = world.approved_loan(&out).await;
    world.hand_over(loan).await;
    let keeper = reading(&world, "keeper", "en").await;
    let path = format!("/orders/{loan}");
    let page = get(&world, &path, &keeper).await;
    let (fine, damaged) = (
        format!("condition-{}", out[0]),
        format!("condition-{}", out[1]),
    );
    let note = format!("note-{}", out[1]);
    let reply = post(
        &world,
        &format!("{path}/return"),
        &keeper,
        &[
            ("csrf", &page.csrf()),
            ("zone", "999999"),
            (&fine, "fine"),
            (&damaged, "damaged"),
            (&note, "leg bent"),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    came_back(
        &reply,
        reply.status,
        "return-form-error",
        "",
        &["value=\"leg bent\""],
    );
    assert_eq!(
        reply
            .body
            .matches("<option value=\"damaged\" selected>")
            .count(),
        1,
        "{}",
        reply.body
    );
    assert_eq!(
        world.asset_state(out[1]).await,
        "on_loan",
        "nothing taken back"
    );
}

/// With no handheld set up and no reader over the shelves, a keeper still counts: the EPCs
/// typed or scanned at a chosen zone count there (found where the register expects them,
/// misplaced elsewhere); a bad line refuses the whole list beside the form, in Chinese,
/// with what was typed, and counts nothing; a zone the stocktake does not count is refused.
#[sqlx::test(migrations = "./migrations")]
async fn a_keeper_counts_by_typing_epcs_at_a_shelf_without_any_reader(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = depot::ingest::Ingest::start(pool, common::pipeline())
        .await
        .unwrap();
    let world = world.with_ingest(&ingest);
    let stocked = world.stock(world.tables, 3).await;
    let epc = |id: i64| {
        let pool = world.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("select epc from assets where id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (a, b) = (epc(stocked[0]).await, epc(stocked[1]).await);
    let id = world.started_stocktake(world.warehouse).await["id"]
        .as_i64()
        .unwrap();
    let keeper = reading(&world, "keeper", "zh").await;
    let path = format!("/keeper/stocktakes/{id}");
    let page = get(&world, &path, &keeper).await;
    assert!(
        page.body.contains("id=\"count-zone\"")
            && page
                .body
                .contains(&format!("<option value=\"{}\"", world.shelf2))
            && page.body.contains("id=\"typed-epcs\"")
            && page.body.contains("id=\"no-handheld\"")
            && !page.body.contains("id=\"handheld-file\""),
        "typing is offered without a handheld: {}",
        page.body
    );
    assert!(!page.body.contains("/api/reads"), "no developer talk");
    let token = page.csrf();
    let send = |zone: i64, typed: String| {
        let (world, keeper, path, token) = (&world, &keeper, &path, &token);
        async move {
            common::post_multipart(
                world,
                &format!("{path}/count"),
                keeper,
                &[
                    ("csrf", token),
                    ("zone", &zone.to_string()),
                    ("epcs", &typed),
                ],
                None,
            )
            .await
        }
    };

    let reply = send(world.shelf, format!("{a}\nnot-an-epc\n")).await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "count-form-error",
        "第 2 行",
        &[
            &format!("<option value=\"{}\" selected>", world.shelf),
            "not-an-epc</textarea>",
        ],
    );
    let reply = send(1_000_000, a.clone()).await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "count-form-error",
        "不在盘点",
        &[&a],
    );
    assert_eq!(
        count(&world.pool, "select count(*) from stocktake_sightings").await,
        0,
        "nothing counted"
    );

    // One at its own shelf, one scanned at the other shelf, the third not at all.
    let reply = send(world.shelf, format!("  {a}  \n\n")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{path}?done=counted"));
    let reply = send(world.shelf2, b.to_lowercase()).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page = get(&world, &path, &keeper).await;
    assert!(
        page.body.contains("id=\"found\">1<")
            && page.body.contains("id=\"misplaced\">1<")
            && page.body.contains("id=\"missing\">1<"),
        "the count: {}",
        page.body
    );
    ingest.shutdown().await;
}

/// A stocktake of the world's warehouse with a handheld `hh` over the shelf, started, on a
/// world with the reader pipeline; the world and the stocktake.
async fn running_stocktake(pool: PgPool) -> (World, depot::ingest::Ingest, i64) {
    let world = World::new(pool.clone()).await;
    world.handheld("hh").await;
    let ingest = depot::ingest::Ingest::start(pool, common::pipeline())
        .await
        .unwrap();
    let world = world.with_ingest(&ingest);
    world.stock(world.tables, 1).await;
    let id = world.started_stocktake(world.warehouse).await["id"]
        .as_i64()
        .unwrap();
    (world, ingest, id)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_count_by_hand_comes_back_with_the_epcs_typed(pool: PgPool) {
    let (world, ingest, id) = running_stocktake(pool).await;
    let keeper = reading(&world, "keeper", "en").await;
    let path = format!("/keeper/stocktakes/{id}");
    let token = get(&world, &path, &keeper).await.csrf();
    let reply = common::post_multipart(
        &world,
        &format!("{path}/count"),
        &keeper,
        &[("csrf", &token), ("reader", "hh"), ("epcs", "not-an-epc")],
        None,
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "count-form-error",
        "is not an EPC in hex",
        &[
            "<option value=\"hh\" selected>",
            "spellcheck=\"false\">not-an-epc</textarea>",
        ],
    );
    assert_eq!(
        count(&world.pool, "select count(*) from stocktake_sightings").await,
        0,
        "nothing counted"
    );
    ingest.shutdown().await;
}

/// A handheld's file and typed EPCs posted together: which did the keeper mean? Neither is
/// counted, and the page says to send one, with what was typed kept.
#[sqlx::test(migrations = "./migrations")]
async fn a_count_by_file_and_by_typing_at_once_is_refused_not_half_done(pool: PgPool) {
    let (world, ingest, id) = running_stocktake(pool).await;
    let keeper = reading(&world, "keeper", "zh").await;
    let path = format!("/keeper/stocktakes/{id}");
    let token = get(&world, &path, &keeper).await.csrf();
    let typed = "E28011700000020A1B2C3D4E";
    let file = b"epc,antenna,rssi_dbm,at\nE28011700000020A1B2C3D4F,,,\n";
    let reply = common::post_multipart(
        &world,
        &format!("{path}/count"),
        &keeper,
        &[("csrf", &token), ("reader", "hh"), ("epcs", typed)],
        Some(("reads.csv", file)),
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "count-form-error",
        "二者选一",
        &[&format!("spellcheck=\"false\">{typed}</textarea>")],
    );
    assert_eq!(
        count(&world.pool, "select count(*) from stocktake_sightings").await,
        0,
        "nothing counted"
    );
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_registration_of_an_unknown_tag_comes_back_on_its_line(pool: PgPool) {
    let world = World::new(pool).await;
    let keeper_id = world.user_id("keeper").await;
    let id: i64 = sqlx::query_scalar(
        "insert into stocktakes (warehouse_id, status, created_by, started_at, finished_at, unexpected)
         values ($1, 'finished', $2, now(), now(), 1) returning id",
    )
    .bind(world.warehouse)
    .bind(keeper_id)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    let epc = "E28011700000020A1B2C3D4E";
    sqlx::query(
        "insert into stocktake_results (stocktake_id, epc, outcome, seen_zone_id)
         values ($1, $2, 'unexpected', $3)",
    )
    .bind(id)
    .bind(epc)
    .bind(world.shelf)
    .execute(&world.pool)
    .await
    .unwrap();
    let assets = count(&world.pool, "select count(*) from assets").await;
    let keeper = reading(&world, "keeper", "zh").await;
    let path = format!("/keeper/stocktakes/{id}");
    let page = get(&world, &path, &keeper).await;
    assert!(
        page.body.contains(&format!("id=\"name-{epc}\"")),
        "{}",
        page.body
    );
    let chairs = world.chairs.to_string();
    let reply = post(
        &world,
        &format!("{path}/resolve"),
        &keeper,
        &[
            ("csrf", &page.csrf()),
            ("epc", epc),
            ("action", "register"),
            ("name", "角落里的椅子"),
            ("category", &chairs),
            ("value", "12元"),
        ],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("register-{epc}-error"),
        "12元 不是以元为单位的金额",
        &[
            "value=\"角落里的椅子\"",
            &format!("<option value=\"{chairs}\" selected>"),
            "value=\"12元\"",
        ],
    );
    assert_eq!(
        count(&world.pool, "select count(*) from assets").await,
        assets
    );
    let resolved: Option<String> =
        sqlx::query_scalar("select resolution from stocktake_results where stocktake_id = $1")
            .bind(id)
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert_eq!(resolved, None, "nothing changed");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_disposal_proposal_comes_back_with_what_was_typed(pool: PgPool) {
    let world = World::new(pool).await;
    let stock = world.stock(world.chairs, 1).await;
    // Proposed once already: it is pending disposal, and cannot be proposed again.
    disposal(&world, &world.keeper, &stock).await;
    let keeper = reading(&world, "keeper", "en").await;
    let token = get(&world, "/disposals", &keeper).await.csrf();
    let asset = stock[0].to_string();
    let reply = post(
        &world,
        "/disposals",
        &keeper,
        &[
            ("csrf", &token),
            ("assets", &asset),
            ("reason", "broken seat"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    came_back(
        &reply,
        StatusCode::CONFLICT,
        "propose-form-error",
        "pending_disposal",
        &[&format!("value=\"{asset}\""), "value=\"broken seat\""],
    );
    assert_eq!(
        count(&world.pool, "select count(*) from disposals").await,
        1
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refused_repair_or_payment_comes_back_beside_its_case(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, ids) = back_through_the_gate(&world, 1).await;
    let keeper = reading(&world, "keeper", "zh").await;
    let token = get(&world, "/keeper/returns", &keeper).await.csrf();
    let condition = format!("condition-{loan}-{}", ids[0]);
    let reply = post(
        &world,
        "/keeper/returns/inspect",
        &keeper,
        &[
            ("csrf", &token),
            (&condition, "damaged"),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let case: i64 = sqlx::query_scalar("select id from compensations")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let stored = || async {
        sqlx::query_as::<_, (String, i64)>(
            "select status::text, amount_fen from compensations where id = $1",
        )
        .bind(case)
        .fetch_one(&world.pool)
        .await
        .unwrap()
    };
    let before = stored().await;
    let reply = post(
        &world,
        &format!("/compensations/{case}/repair"),
        &keeper,
        &[("csrf", &token), ("cost", "12元")],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("repair-{case}-error"),
        "12元 不是以元为单位的金额",
        &["value=\"12元\""],
    );
    assert!(!reply.body.contains(&format!("id=\"pay-{case}-error\"")));
    assert_eq!(stored().await, before, "nothing changed");
    // Paid, once confirmed, with no receipt: refused beside the payment.
    let admin = reading(&world, "admin", "en").await;
    let token = get(&world, "/compensations", &admin).await.csrf();
    let reply = post(
        &world,
        &format!("/compensations/{case}/pay"),
        &admin,
        &[("csrf", &token), ("receipt", "  "), ("confirmed", "1")],
    )
    .await;
    came_back(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("pay-{case}-error"),
        "give the receipt number of the payment",
        &[],
    );
    assert!(!reply.body.contains(&format!("id=\"repair-{case}-error\"")));
    assert_eq!(stored().await, before, "nothing changed");

    // A repair that is an amount is asked first, its cost said in yuan; only the
    // confirmation records it.
    let token = get(&world, "/compensations", &keeper).await.csrf();
    let reply = post(
        &world,
        &format!("/compensations/{case}/repair"),
        &keeper,
        &[("csrf", &token), ("cost", "1200")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body.contains("id=\"confirm-form\"") && reply.body.contains("¥1,200.00"),
        "{}",
        reply.body
    );
    assert_eq!(
        stored().await,
        before,
        "nothing changed before the confirmation"
    );
    let mut fields = confirm_fields(&reply.body);
    fields.push(("csrf".into(), token.clone()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let reply = post(
        &world,
        &format!("/compensations/{case}/repair"),
        &keeper,
        &fields,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(stored().await, ("repaired".to_owned(), 120_000));
}

/// The hidden fields of the confirmation page's form, as its Confirm button posts them.
fn confirm_fields(body: &str) -> Vec<(String, String)> {
    let form = &body[body
        .find("id=\"confirm-form\"")
        .expect("a confirmation form")..];
    let form = &form[..form.find("</form>").unwrap()];
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|piece| {
            let (name, rest) = piece.split_once('"').unwrap();
            let value = rest
                .split_once("value=\"")
                .unwrap()
                .1
                .split('"')
                .next()
                .unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// Marking an asset missing or damaged opens a compensation case the returns desk cannot
/// undo: the form is confirmed first, naming how many and which; nothing happens until then.
/// "All fine" alone goes ahead at once.
#[sqlx::test(migrations = "./migrations")]
async fn marking_returns_missing_or_damaged_is_confirmed_first(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, ids) = back_through_the_gate(&world, 3).await;
    let states = || async {
        let mut states = Vec::new();
        for &id in &ids {
            states.push(world.asset_state(id).await);
        }
        states
    };
    let before = states().await;
    let keeper = reading(&world, "keeper", "en").await;
    let token = get(&world, "/keeper/returns", &keeper).await.csrf();
    let field = |what: &str, i: usize| format!("{what}-{loan}-{}", ids[i]);
    let (c0, c1, c2, n1) = (
        field("condition", 0),
        field("condition", 1),
        field("condition", 2),
        field("note", 1),
    );
    let asked = post(
        &world,
        "/keeper/returns/inspect",
        &keeper,
        &[
            ("csrf", &token),
            (&c0, "missing"),
            (&c1, "damaged"),
            (&n1, "leg bent"),
            (&c2, ""),
            ("all_fine", "1"),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("1 will be recorded missing and 1 damaged"),
        "{}",
        asked.body
    );
    for (i, said) in [(0, "missing"), (1, "damaged")] {
        assert!(
            asked
                .body
                .contains(&format!("{} · item {i} ({said})", ids[i])),
            "the asset is named: {}",
            asked.body
        );
    }
    assert!(
        !asked.body.contains(&format!("{} · item 2", ids[2])),
        "the fine one is not named: {}",
        asked.body
    );
    assert_eq!(states().await, before, "nothing recorded before confirming");
    assert_eq!(
        count(&world.pool, "select count(*) from compensations").await,
        0
    );
    let uninspected = format!(
        "select count(*) from reservations where order_kind = 'loan' and order_id = {loan} and condition is null"
    );
    assert_eq!(count(&world.pool, &uninspected).await, 3);

    // The confirmation posts every field again, with `confirmed`.
    let fields = confirm_fields(&asked.body);
    for (name, value) in [
        (c0.as_str(), "missing"),
        (c1.as_str(), "damaged"),
        (n1.as_str(), "leg bent"),
        (c2.as_str(), ""),
        ("all_fine", "1"),
        ("confirmed", "1"),
    ] {
        assert!(
            fields.iter().any(|(k, v)| k == name && v == value),
            "{name}={value} is posted again: {fields:?}"
        );
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = post(&world, "/keeper/returns/inspect", &keeper, &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/keeper/returns?done=inspected");
    assert_eq!(world.asset_state(ids[0]).await, "lost");
    assert_eq!(world.asset_state(ids[1]).await, "in_repair");
    assert_eq!(
        world.asset_state(ids[2]).await,
        before[2],
        "fine, back in stock"
    );
    assert_eq!(
        count(&world.pool, "select count(*) from compensations").await,
        2
    );
    assert_eq!(count(&world.pool, &uninspected).await, 0);
    world.assert_log_agrees().await;

    // All fine: recorded at once, nothing asked.
    let (loan, ids) = back_through_the_gate(&world, 1).await;
    let fine = format!("condition-{loan}-{}", ids[0]);
    let reply = post(
        &world,
        "/keeper/returns/inspect",
        &keeper,
        &[("csrf", &token), (&fine, ""), ("all_fine", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let condition: Option<String> = sqlx::query_scalar(
        "select condition from reservations where order_kind = 'loan' and order_id = $1",
    )
    .bind(loan)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    assert_eq!(condition.as_deref(), Some("fine"));

    // Said in Chinese, too; a requester is not asked at all.
    let (loan, ids) = back_through_the_gate(&world, 1).await;
    let lost = format!("condition-{loan}-{}", ids[0]);
    let zh = reading(&world, "keeper", "zh").await;
    let zh_token = get(&world, "/keeper/returns", &zh).await.csrf();
    let asked = post(
        &world,
        "/keeper/returns/inspect",
        &zh,
        &[("csrf", &zh_token), (&lost, "missing")],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("将登记 1 项缺失、0 项损坏"),
        "{}",
        asked.body
    );
    let requester = login(&world, "requester").await;
    let token = get(&world, "/catalogue", &requester).await.csrf();
    let refused = post(
        &world,
        "/keeper/returns/inspect",
        &requester,
        &[("csrf", &token), (&lost, "missing")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(world.asset_state(ids[0]).await, before[2]);
}

/// The pick list pages by loan: a page holds whole loans, each with all its picks, and the
/// next page the loans after them; the CSV holds every pick.
#[sqlx::test(migrations = "./migrations")]
async fn the_pick_list_pages_by_loan_and_exports_every_pick(pool: PgPool) {
    let world = World::new(pool).await;
    let tables = world.stock(world.tables, 27).await;
    // The first loan picks two tables; 25 more pick one each: 26 loans, one more than a page.
    let mut loans = vec![world.approved_loan(&tables[..2]).await];
    for table in &tables[2..] {
        loans.push(world.approved_loan(std::slice::from_ref(table)).await);
    }
    let keeper = login(&world, "keeper").await;
    let first = get(&world, "/keeper/picks", &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("1–25 / 26"), "{}", first.body);
    assert!(!first.body.contains("shown-first"));
    for loan in &loans[..25] {
        assert!(
            first.body.contains(&format!("href=\"/orders/{loan}\"")),
            "loan {loan} on the first page"
        );
    }
    assert!(!first
        .body
        .contains(&format!("href=\"/orders/{}\"", loans[25])));
    // The first loan's two picks, together, its loan said once.
    assert_eq!(
        first
            .body
            .matches(&format!("href=\"/orders/{}\"", loans[0]))
            .count(),
        1
    );
    for table in &tables[..2] {
        assert!(first.body.contains(&format!("href=\"/assets/{table}\"")));
    }
    assert!(
        first
            .body
            .contains("href=\"/keeper/picks?page=2\" rel=\"next\""),
        "{}",
        first.body
    );
    assert!(first.body.contains("href=\"/keeper/picks.csv\""));
    let second = get(&world, "/keeper/picks?page=2", &keeper).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(second.body.contains("26–26 / 26"), "{}", second.body);
    assert!(second
        .body
        .contains(&format!("href=\"/orders/{}\"", loans[25])));
    assert!(second
        .body
        .contains(&format!("href=\"/assets/{}\"", tables[26])));
    assert!(!second
        .body
        .contains(&format!("href=\"/orders/{}\"", loans[0])));
    assert!(!second.body.contains("id=\"page-next\""));

    let csv = get(&world, "/keeper/picks.csv?codes=1", &keeper).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let rows: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        rows[0],
        "loan_id,department,starts_on,place,asset_id,asset,epc"
    );
    assert_eq!(rows.len(), 1 + 27, "{}", csv.body);
    let today = common::today();
    for (row, table, loan) in [
        (1, tables[0], loans[0]),
        (2, tables[1], loans[0]),
        (27, tables[26], loans[25]),
    ] {
        assert!(
            rows[row].starts_with(&format!(
                "{loan},Finance Bureau,{today},Main depot · Aisle A,{table},item "
            )),
            "{}",
            rows[row]
        );
    }
    let people = get(
        &world,
        "/keeper/picks.csv",
        &format!("{keeper}; lang=zh-CN"),
    )
    .await;
    assert!(
        people
            .body
            .contains("借用单号,部门,开始日期,位置,资产编号,资产,EPC"),
        "{}",
        people.body
    );
    let requester = login(&world, "requester").await;
    let refused = get(&world, "/keeper/picks.csv", &requester).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(!refused.body.contains("loan_id"));
}

/// What waits for inspection pages on its own (`returned_page`), beside the loans out.
#[sqlx::test(migrations = "./migrations")]
async fn the_returns_waiting_for_inspection_page_on_their_own(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, ids) = back_through_the_gate(&world, 101).await;
    let keeper = login(&world, "keeper").await;
    let name = |id: i64| format!("name=\"condition-{loan}-{id}\"");
    let first = get(&world, "/keeper/returns", &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body.matches("name=\"condition-").count(), 100);
    assert!(first.body.contains(&name(ids[0])));
    assert!(!first.body.contains(&name(ids[100])));
    assert!(!first.body.contains("shown-first"));
    assert!(
        first
            .body
            .contains("id=\"returned-pager-range\">1–100 / 101"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(
            "href=\"/keeper/returns?returned_page=2\" rel=\"next\" id=\"returned-page-next\""
        ),
        "{}",
        first.body
    );
    let second = get(&world, "/keeper/returns?returned_page=2", &keeper).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body.matches("name=\"condition-").count(), 1);
    assert!(second.body.contains(&name(ids[100])), "{}", second.body);
    assert!(second.body.contains("101–101 / 101"), "{}", second.body);
    assert!(second
        .body
        .contains("href=\"/keeper/returns?returned_page=1\" rel=\"prev\""));
    assert!(
        second.body.contains("id=\"pager-range\""),
        "the loans out keep their own pager"
    );
    let bad = get(&world, "/keeper/returns?returned_page=0", &keeper).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The last one, inspected from the second page.
    let token = second.csrf();
    let last = format!("condition-{loan}-{}", ids[100]);
    let reply = post(
        &world,
        "/keeper/returns/inspect",
        &keeper,
        &[("csrf", &token), ("returned_page", "2"), (&last, "fine")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let first = get(&world, "/keeper/returns", &keeper).await;
    assert!(first.body.contains("1–100 / 100"), "{}", first.body);
}

/// The intake desk's hand-ins page on their own (`hand_ins_page`), and its intakes export as
/// CSV with the page's status filter.
#[sqlx::test(migrations = "./migrations")]
async fn the_intake_desk_pages_its_hand_ins_and_exports_its_intakes(pool: PgPool) {
    let world = World::new(pool).await;
    sqlx::query(
        "with a as (
             insert into assets (epc, name, category_id, original_value_fen, state, owner_department_id)
             select 'DD' || upper(lpad(to_hex(g), 6, '0')), 'handed ' || g, $1, 100, 'allocated', $2
             from generate_series(1, 101) g returning id, name)
         insert into hand_ins (asset_id, department_id, offered_by, offered_at, reason)
         select a.id, $2, (select id from users where username = 'requester'),
                now() - interval '1 day' + substr(a.name, 8)::int * interval '1 minute', 'not needed'
         from a",
    )
    .bind(world.tables)
    .bind(world.finance)
    .execute(&world.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into intakes (source_class, description, status, created_by, source_department_id)
         select 'event_purchase', 'delivery ' || g, case when g <= 2 then 'cancelled' else 'open' end::intake_status,
                (select id from users where username = 'keeper'), $1
         from generate_series(1, 4) g",
    )
    .bind(world.culture)
    .execute(&world.pool)
    .await
    .unwrap();
    let keeper = login(&world, "keeper").await;
    let first = get(&world, "/keeper/intakes", &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body.matches("id=\"take-in-").count(), 100);
    assert!(first.body.contains("handed 1<"), "{}", first.body);
    assert!(!first.body.contains("handed 101<"));
    assert!(!first.body.contains("shown-first"));
    assert!(
        first
            .body
            .contains("id=\"hand_ins-pager-range\">1–100 / 101"),
        "{}",
        first.body
    );
    assert!(
        first
            .body
            .contains("href=\"/keeper/intakes?hand_ins_page=2\" rel=\"next\""),
        "{}",
        first.body
    );
    let second = get(
        &world,
        "/keeper/intakes?status=open&hand_ins_page=2",
        &keeper,
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body.matches("id=\"take-in-").count(), 1);
    assert!(second.body.contains("handed 101<"), "{}", second.body);
    assert!(
        second
            .body
            .contains("href=\"/keeper/intakes?status=open&#38;hand_ins_page=1\" rel=\"prev\""),
        "the filter is kept: {}",
        second.body
    );
    assert!(
        second.body.contains("id=\"pager-range\">1–2 / 2"),
        "the intakes keep their filter: {}",
        second.body
    );
    assert!(
        second
            .body
            .contains("href=\"/keeper/intakes.csv?status=open\""),
        "{}",
        second.body
    );

    let csv = get(&world, "/keeper/intakes.csv?codes=1", &keeper).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let rows: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        rows[0],
        "intake_id,created_at,source_class,department,description,items,awaiting_receipt,status"
    );
    assert_eq!(rows.len(), 1 + 4, "{}", csv.body);
    assert!(
        rows[1].contains(",event_purchase,Culture Bureau,delivery 4,0,0,open"),
        "newest first: {}",
        rows[1]
    );
    let cancelled = get(
        &world,
        "/keeper/intakes.csv?status=cancelled&codes=1",
        &keeper,
    )
    .await;
    let rows: Vec<&str> = cancelled
        .body
        .trim_start_matches('\u{feff}')
        .lines()
        .collect();
    assert_eq!(rows.len(), 1 + 2, "{}", cancelled.body);
    assert!(
        rows[1..].iter().all(|r| r.ends_with(",cancelled")),
        "{rows:?}"
    );
    let people = get(
        &world,
        "/keeper/intakes.csv",
        &format!("{keeper}; lang=zh-CN"),
    )
    .await;
    assert!(
        people
            .body
            .contains("入库单号,开立时间 (UTC+08:00),来源,部门"),
        "{}",
        people.body
    );
    let requester = login(&world, "requester").await;
    let refused = get(&world, "/keeper/intakes.csv", &requester).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(!refused.body.contains("delivery"));
}

/// A finished stocktake's lines page by outcome in SQL, each list on its own: the next page
/// of one keeps the other's place, the counts are the stored totals, the pagers sit in the
/// lists the live page refreshes, and the CSV still holds every line.
#[sqlx::test(migrations = "./migrations")]
async fn a_stocktakes_lines_page_by_outcome_each_keeping_the_others_place(pool: PgPool) {
    let world = World::new(pool).await;
    let id: i64 = sqlx::query_scalar(
        "insert into stocktakes (warehouse_id, zone_ids, status, created_by, started_at, finished_at, expected, found, missing)
         values ($1, array[$2::bigint], 'finished', (select id from users where username = 'keeper'), now(), now(), 255, 150, 105)
         returning id",
    )
    .bind(world.warehouse)
    .bind(world.shelf)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into stocktake_results (stocktake_id, epc, outcome, expected_zone_id, seen_zone_id)
         select $1, 'F0' || lpad(g::text, 22, '0'), 'found'::stocktake_outcome, $2, $2 from generate_series(1, 150) g
         union all
         select $1, 'A0' || lpad(g::text, 22, '0'), 'missing'::stocktake_outcome, $2, null from generate_series(1, 105) g",
    )
    .bind(id)
    .bind(world.shelf)
    .execute(&world.pool)
    .await
    .unwrap();
    let epc = |prefix: &str, n: i32| format!("data-epc=\"{prefix}{n:022}\"");
    let keeper = login(&world, "keeper").await;
    let path = format!("/keeper/stocktakes/{id}");

    let first = get(&world, &path, &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body.matches("data-epc=\"F0").count(), 100);
    assert_eq!(first.body.matches("data-epc=\"A0").count(), 100);
    assert!(first.body.contains(&epc("F0", 100)), "{}", first.body);
    assert!(!first.body.contains(&epc("F0", 101)), "{}", first.body);
    assert!(
        first.body.contains("Found (150)") && first.body.contains("Missing (105)"),
        "the stored totals: {}",
        first.body
    );
    for (list, range) in [("found", "1–100 / 150"), ("missing", "1–100 / 105")] {
        assert!(
            first
                .body
                .contains(&format!("id=\"{list}-pager-range\">{range}<")),
            "{list}: {}",
            first.body
        );
    }
    assert!(
        first
            .body
            .contains(&format!("href=\"{path}?found_page=2\" rel=\"next\"")),
        "{}",
        first.body
    );
    let lists = first.body.find("id=\"lists\"").unwrap();
    assert!(
        first.body.find("id=\"found-pager-range\"").unwrap() > lists,
        "the pagers are in the lists the live page refreshes"
    );

    // The missing list's second page, then the found list's: each keeps the other's place.
    let missing = get(&world, &format!("{path}?missing_page=2"), &keeper).await;
    assert_eq!(missing.body.matches("data-epc=\"A0").count(), 5);
    assert!(missing.body.contains(&epc("A0", 105)), "{}", missing.body);
    assert!(
        missing.body.contains(&format!(
            "href=\"{path}?missing_page=2&#38;found_page=2\" rel=\"next\""
        )),
        "{}",
        missing.body
    );
    let both = get(
        &world,
        &format!("{path}?missing_page=2&found_page=2"),
        &keeper,
    )
    .await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.body);
    assert_eq!(both.body.matches("data-epc=\"F0").count(), 50);
    assert_eq!(both.body.matches("data-epc=\"A0").count(), 5);
    assert!(both.body.contains(&epc("F0", 150)), "{}", both.body);
    assert!(!both.body.contains(&epc("F0", 100)), "{}", both.body);
    assert!(
        both.body
            .contains("id=\"found-pager-range\">101–150 / 150<"),
        "{}",
        both.body
    );
    assert!(
        both.body.contains(&format!(
            "href=\"{path}?missing_page=2&#38;found_page=1\" rel=\"prev\""
        )),
        "{}",
        both.body
    );
    assert!(
        both.body.contains(&format!(
            "href=\"{path}?found_page=2&#38;missing_page=1\" rel=\"prev\""
        )),
        "{}",
        both.body
    );

    let csv = get(&world, &format!("{path}/lines.csv?codes=1"), &keeper).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(
        csv.body.trim_start_matches('\u{feff}').lines().count(),
        1 + 255
    );
}

/// A running stocktake's lines so far page too: its 121 missing assets a hundred at a time,
/// and a refused count by hand comes back on the page it was posted from.
#[sqlx::test(migrations = "./migrations")]
async fn a_running_stocktakes_lines_page_and_a_refusal_keeps_the_page(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    world.handheld("hh").await;
    let ingest = depot::ingest::Ingest::start(pool, common::pipeline())
        .await
        .unwrap();
    let world = world.with_ingest(&ingest);
    sqlx::query(
        "insert into assets (epc, name, category_id, original_value_fen, state, zone_id)
         select 'E2' || lpad(g::text, 22, '0'), 'shelved ' || g, $1, 100, 'in_stock', $2
         from generate_series(1, 121) g",
    )
    .bind(world.tables)
    .bind(world.shelf)
    .execute(&world.pool)
    .await
    .unwrap();
    let id = world.started_stocktake(world.warehouse).await["id"]
        .as_i64()
        .unwrap();
    let keeper = login(&world, "keeper").await;
    let path = format!("/keeper/stocktakes/{id}");
    let epc = |n: i32| format!("data-epc=\"E2{n:022}\"");

    let first = get(&world, &path, &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body.matches("data-epc=\"E2").count(), 100);
    assert!(first.body.contains(&epc(100)) && !first.body.contains(&epc(101)));
    assert!(
        first
            .body
            .contains("id=\"missing-pager-range\">1–100 / 121<"),
        "{}",
        first.body
    );
    assert!(first.body.contains("shelved 100"), "named: {}", first.body);
    let second = get(&world, &format!("{path}?missing_page=2"), &keeper).await;
    assert_eq!(second.body.matches("data-epc=\"E2").count(), 21);
    assert!(second.body.contains(&epc(121)), "{}", second.body);
    assert!(second.body.contains("shelved 121"), "{}", second.body);

    // A refused count comes back on the page of the list it was posted from.
    let reply = common::post_multipart(
        &world,
        &format!("{path}/count"),
        &keeper,
        &[
            ("csrf", &second.csrf()),
            ("missing_page", "2"),
            ("reader", "hh"),
            ("epcs", "not-an-epc"),
        ],
        None,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("id=\"count-form-error\""),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(&epc(121)), "{}", reply.body);
    assert!(
        reply.body.contains("name=\"missing_page\" value=\"2\""),
        "the form keeps the place: {}",
        reply.body
    );
    ingest.shutdown().await;
}

/// Taking in a hand-in is asked first, naming the asset, its department and the zone;
/// nothing changes until it is confirmed, and Back and the redirect return to the page of
/// the list the keeper was on.
#[sqlx::test(migrations = "./migrations")]
async fn taking_in_a_hand_in_is_confirmed_first(pool: PgPool) {
    let world = World::new(pool).await;
    let asset: i64 = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, state, owner_department_id)
         values ('DD0000000000000000000001', 'old projector', $1, 100, 'allocated', $2) returning id",
    )
    .bind(world.tables)
    .bind(world.finance)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into hand_ins (asset_id, department_id, offered_by, reason)
         values ($1, $2, (select id from users where username = 'requester'), 'office closed')",
    )
    .bind(asset)
    .bind(world.finance)
    .execute(&world.pool)
    .await
    .unwrap();
    let offers = || count(&world.pool, "select count(*) from hand_ins");
    let keeper = login(&world, "keeper").await;
    let here = "/keeper/intakes?status=open&hand_ins_page=1";
    let desk = get(&world, here, &keeper).await;
    assert!(
        desk.body
            .contains("name=\"back\" value=\"/keeper/intakes?status=open&#38;hand_ins_page=1\""),
        "{}",
        desk.body
    );
    let take_in = format!("/keeper/hand-ins/{asset}/take-in");
    let zone = world.shelf2.to_string();
    let back = format!("{here}&done=received");
    let fields = [
        ("csrf", desk.csrf()),
        ("back", back.clone()),
        ("zone", zone.clone()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let asked = post(&world, &take_in, &keeper, &fields).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&format!("<h1>Take asset {asset} into the depot?</h1>")),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            "Asset {asset} · old projector (DD0000000000000000000001), handed back by Finance Bureau, becomes the depot&#39;s, in stock at Main depot · Aisle B."
        )),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(
            "<a href=\"/keeper/intakes?status=open&#38;hand_ins_page=1\" id=\"confirm-back\">"
        ),
        "Back to the page it came from, without its old word: {}",
        asked.body
    );
    assert_eq!(world.asset_state(asset).await, "allocated", "nothing yet");
    assert_eq!(offers().await, 1);

    let again = confirm_fields(&asked.body);
    assert!(
        again.iter().any(|(k, v)| k == "zone" && *v == zone),
        "{again:?}"
    );
    assert!(again.iter().any(|(k, v)| k == "confirmed" && v == "1"));
    // As a browser posts them: the page's entities read back.
    let again: Vec<(String, String)> = again
        .into_iter()
        .map(|(k, v)| (k, v.replace("&#38;", "&")))
        .collect();
    let again: Vec<(&str, &str)> = again
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = post(&world, &take_in, &keeper, &again).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        "/keeper/intakes?status=open&hand_ins_page=1&done=received"
    );
    assert_eq!(world.asset_state(asset).await, "in_stock");
    assert_eq!(offers().await, 0);
    let zone_id: Option<i64> = sqlx::query_scalar("select zone_id from assets where id = $1")
        .bind(asset)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(zone_id, Some(world.shelf2));

    // Said in Chinese; taken in once, a second question is refused as not offered.
    let zh = reading(&world, "keeper", "zh").await;
    let token = get(&world, "/keeper/intakes", &zh).await.csrf();
    let refused = post(&world, &take_in, &zh, &[("csrf", &token), ("zone", &zone)]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("未提交交回公物仓"),
        "{}",
        refused.body
    );
}

/// Receiving an intake is asked first: how many assets into which zone; nothing is received
/// until it is confirmed, in either language.
#[sqlx::test(migrations = "./migrations")]
async fn receiving_an_intake_is_confirmed_first(pool: PgPool) {
    let world = World::new(pool).await;
    let keeper = login(&world, "keeper").await;
    let token = get(&world, "/keeper/intakes", &keeper).await.csrf();
    let category = world.tables.to_string();
    let opened = post(
        &world,
        "/keeper/intakes",
        &keeper,
        &[
            ("csrf", &token),
            ("source_class", "event_purchase"),
            ("category", &category),
            ("name", "Folding table"),
            ("quantity", "3"),
            ("value", "450"),
        ],
    )
    .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let path = opened.landed().to_owned();
    let id = path.rsplit('/').next().unwrap().to_owned();
    let received = || async {
        let sql = format!(
            "select count(*) from intake_assets ia join assets a on a.id = ia.asset_id
             where ia.intake_id = {id} and a.state = 'in_stock'"
        );
        count(&world.pool, &sql).await
    };
    let page = get(&world, &path, &keeper).await;
    assert!(page.body.contains("id=\"receive\""), "{}", page.body);
    let zone = world.shelf.to_string();
    let asked = post(
        &world,
        &format!("{path}/receive"),
        &keeper,
        &[("csrf", &page.csrf()), ("zone", &zone)],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&format!("<h1>Receive intake {id}?</h1>")),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            "3 assets of intake {id} go into stock at Main depot · Aisle A."
        )),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains(&format!("<a href=\"{path}\" id=\"confirm-back\">")),
        "{}",
        asked.body
    );
    assert_eq!(received().await, 0, "nothing received yet");
    let zh = reading(&world, "keeper", "zh").await;
    let zh_asked = post(
        &world,
        &format!("{path}/receive"),
        &zh,
        &[
            ("csrf", &get(&world, &path, &zh).await.csrf()),
            ("zone", &zone),
        ],
    )
    .await;
    assert!(
        zh_asked
            .body
            .contains(&format!("收储单 {id} 的 3 项资产将入库到")),
        "{}",
        zh_asked.body
    );
    assert_eq!(received().await, 0, "nothing received yet");

    let again = confirm_fields(&asked.body);
    let again: Vec<(&str, &str)> = again
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = post(&world, &format!("{path}/receive"), &keeper, &again).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), format!("{path}?done=received"));
    assert_eq!(received().await, 3);
    world.assert_log_agrees().await;
}
