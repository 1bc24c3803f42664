//! `depot tag write` as a keeper runs it, against llrpkit's reader emulator (which keeps each
//! tag's memory) and the register: a blank tag is commissioned with an asset's EPC and read
//! back; a tag carrying one asset's EPC is never given another's.

mod common;

use common::World;
use depot_hil::Peer;
use sqlx::PgPool;

const BLANK: &str = "E20000170110B01621000001";

/// The EPCs the emulated tags carry now, sorted.
async fn tags(peer: &mut Peer) -> Vec<String> {
    let line = peer.ask("epcs").await;
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

/// `depot tag write` against the test's database: (succeeded, what it said).
fn tag_write(pool: &PgPool, args: &[&str]) -> (bool, String) {
    let url = common::site::database_url(pool);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depot"))
        .args(["tag", "write"])
        .args(args)
        .args(["--seconds", "20"])
        .env("DATABASE_URL", url)
        .env("DEPOT_LOG", "warn")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

async fn epc_of(pool: &PgPool, asset: i64) -> String {
    sqlx::query_scalar("select epc from assets where id = $1")
        .bind(asset)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_blank_tag_is_commissioned_and_another_assets_epc_is_refused(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ids = world.stock(world.tables, 2).await;
    let (first, second) = (epc_of(&pool, ids[0]).await, epc_of(&pool, ids[1]).await);

    let mut peer = Peer::start("llrp_emulator.py", &["--epcs", BLANK, "--rate", "200"]).await;
    let reader = format!("llrp://127.0.0.1:{}", peer.endpoint());

    // A blank tag takes the first asset's EPC, read back through the reader.
    let (ok, said) = tag_write(&pool, &[&reader, "--epc", &first]);
    assert!(ok, "{said}");
    assert!(said.contains("read back"), "{said}");
    assert_eq!(tags(&mut peer).await, [first.to_uppercase()]);

    // Now it is the first asset's tag: the second asset's EPC is refused, the tag unchanged.
    let (ok, said) = tag_write(&pool, &[&reader, "--epc", &second, "--from", &first]);
    assert!(!ok, "{said}");
    assert!(said.contains("refused"), "{said}");
    assert!(said.contains(&format!("asset #{}", ids[1])), "{said}");
    assert_eq!(tags(&mut peer).await, [first.to_uppercase()]);

    // Bad input is refused before the reader is touched.
    let (ok, said) = tag_write(&pool, &[&reader, "--epc", "12345"]);
    assert!(!ok);
    assert!(said.contains("24 hex digits"), "{said}");
    let (ok, said) = tag_write(&pool, &[&reader, "--epc", &second, "--password", "xyz"]);
    assert!(!ok);
    assert!(said.contains("hex"), "{said}");
    assert_eq!(tags(&mut peer).await, [first.to_uppercase()]);
}
