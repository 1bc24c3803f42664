//! The API against its own OpenAPI document: schemathesis (pinned in `hil/requirements.txt`)
//! generates requests from `/api/openapi.json` and sends them to the real HTTP stack on a real
//! socket, serving the demo world, as an admin with an API token. Every check it has must
//! pass: no 500, every status and content type documented, every response true to its schema,
//! every schema-valid request accepted and every schema-invalid one refused.

use std::process::Command;
use std::time::Instant;

use depot::app::App;
use depot::config::Config;
use depot::server;
use sqlx::PgPool;
use tokio::sync::oneshot;

fn peers_python() -> std::path::PathBuf {
    std::env::var_os("DEPOT_PEERS_PYTHON")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/hil/.venv/bin/python").into())
}

#[sqlx::test(migrations = "./migrations")]
async fn the_api_keeps_to_its_openapi_document(pool: PgPool) {
    let config = Config::for_database(None);
    depot::demo::seed(&pool, &config).await.unwrap();
    // With the reader pipeline (no drivers, no clock), so that reads, walk tests and
    // stocktakes answer as in service rather than 503.
    let ingest = depot::ingest::Ingest::start(
        pool.clone(),
        depot::ingest::Options {
            tick: None,
            connect_readers: false,
            capacity: 16,
            record_latency: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        App::new(pool.clone(), config).with_ingest(ingest),
        async {
            let _ = stopped.await;
        },
    ));

    // Changing a user, deactivating one or revoking a token can take the runner's own
    // credentials away (schemathesis reuses the ids it has seen in answers), after which the
    // rest of a run would only meet 401s. So those operations run last, each in a run of its
    // own with a token of its own; everything else runs first.
    let mut report = String::new();
    let mut failed = false;
    let option = |name: &str, ids: &[&str]| -> Vec<String> {
        ids.iter()
            .flat_map(|id| [name.to_owned(), (*id).to_owned()])
            .collect()
    };
    let mut runs: Vec<(String, Vec<String>)> = vec![
        (
            "everything else".to_owned(),
            [
                option("--exclude-operation-id", &CREDENTIAL_OPERATIONS),
                option("--exclude-operation-id", &BEYOND_SCHEMA),
                option("--exclude-operation-id", &STREAMS),
            ]
            .concat(),
        ),
        (
            "beyond a schema".to_owned(),
            [
                option("--include-operation-id", &BEYOND_SCHEMA),
                vec![
                    "--exclude-checks".to_owned(),
                    "positive_data_acceptance".to_owned(),
                ],
            ]
            .concat(),
        ),
    ];
    for id in CREDENTIAL_OPERATIONS {
        runs.push((id.to_owned(), option("--include-operation-id", &[id])));
    }
    for (run, args) in runs {
        let token = runner_token(&pool, &run).await;
        let (ok, output) = schemathesis(&base, &token, args).await;
        failed |= !ok;
        report.push_str(&format!("=== {run}\n{output}\n"));
    }
    let _ = stop.send(());
    let _ = server.await;
    assert!(!failed, "schemathesis found failures:\n{report}");
    eprintln!("{report}");
}

/// Operations whose inputs have bounds no schema can give; schemathesis runs every check on
/// them but `positive_data_acceptance` (that any request fitting the schema is taken):
/// - `import_assets`: whether a file is a register the depot can take is the answer the
///   operation itself gives (its 422 is the report of the file's faults, line by line);
/// - `upload_reads`: a read is taken only when it is not ahead of the service's clock
///   (beyond the allowed skew), a bound that moves with the time of the request;
/// - `browse_catalogue`, `read_figures`: a window of days, its last day not before its
///   first nor more than a year after it, the first being today when left out (and a month
///   or the days, not both): one parameter's bounds depending on another's and on the date;
/// - `request_loan`, `record_rental`: likewise a first and a last day, the last not before
///   the first (a rental at most 366 days);
/// - `request_transfer` (and `request_loan`): `department_id` is required of a person without
///   a department of their own (an admin) and optional for the rest: who asks decides;
/// - `read_epcis_events`: the page token is opaque, only one the service gave names a page;
/// - `add_attachment`: a document is what its bytes are (a PDF, JPEG, PNG or WebP), which a
///   schema of bytes cannot say.
const BEYOND_SCHEMA: [&str; 9] = [
    "import_assets",
    "add_attachment",
    "upload_reads",
    "browse_catalogue",
    "read_figures",
    "request_loan",
    "record_rental",
    "request_transfer",
    "read_epcis_events",
];

/// Left out: a stream of server-sent events stays open for as long as the client listens, so
/// every request would end only at the timeout. The stream is tested over a real socket in
/// `tests/serve.rs` and its limits in `tests/hardening.rs`.
const STREAMS: [&str; 1] = ["stream"];

/// The operations that can take a user's credentials away.
const CREDENTIAL_OPERATIONS: [&str; 3] = ["update_user", "deactivate_user", "revoke_token"];

/// A new admin of the runner's own and an API token for them.
async fn runner_token(pool: &PgPool, name: &str) -> String {
    use depot::domain::bounds::Known as _;
    let username = format!("contract-{}", name.replace([' ', '_'], "-"));
    let mut conn = pool.acquire().await.unwrap();
    let runner = depot::app::people::NewUser {
        username: username.clone().known(),
        display_name: None,
        password: "contract-password".known(),
        role: depot::auth::Role::Admin,
        department_id: None,
        email: Default::default(),
    };
    depot::app::people::insert_user(&mut conn, &runner)
        .await
        .unwrap();
    depot::auth::create_api_token(&mut conn, &username, "contract", None)
        .await
        .unwrap()
}

/// Run schemathesis against the service at `base` as the token's user; whether it found
/// nothing, and its report.
async fn schemathesis(base: &str, token: &str, extra: Vec<String>) -> (bool, String) {
    let python = peers_python();
    // A directory of its own, so that no `schemathesis.toml` or `.hypothesis` of the
    // checkout changes the run.
    let work = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract");
    std::fs::create_dir_all(&work).unwrap();
    let mut command = Command::new(&python);
    command
        .current_dir(&work)
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{base}/api/openapi.json"))
        .args(["--url", &format!("{base}/api")])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        // The runner brings real credentials; generated ones (a random session cookie beside
        // the token) would only be ignored in favour of the token. Missing and invalid
        // credentials are still tried: `ignored_auth` sends requests without and with bad ones.
        .args(["--generation-with-security-parameters", "false"])
        .args(["--checks", "all"])
        // The stateful phase follows OpenAPI links, which the document does not declare.
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--seed", "1"])
        .args(["--max-examples", "20"])
        // One worker and no example database: the same requests in the same order each run,
        // meeting the same state (they may change or delete the demo's things as they go).
        .args(["--workers", "1"])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "10"])
        .args([
            "--no-color",
            "--output-truncate",
            "false",
            "--output-sanitize",
            "false",
        ])
        .args(extra)
        .env("NO_COLOR", "1");
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (run the test script, which installs the peers): {e}",
                python.display()
            )
        });
    let report = format!(
        "{}{}\n(in {:?})",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        started.elapsed()
    );
    (output.status.success(), report)
}
