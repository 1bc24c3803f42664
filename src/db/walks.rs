//! Walk tests: the calibration record of a gate — who walked which way when, what the survey
//! found, and who applied its threshold.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, OptionalExt, Result};
use crate::engine::survey::Survey;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct WalkTest {
    pub id: i64,
    pub gate_id: i64,
    /// `in` or `out`: the way the keeper carries the reference tags.
    pub direction: String,
    pub started_by: i64,
    pub started_at: DateTime<Utc>,
    pub finished_by: Option<i64>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Reads of the gate's antennas kept while it ran.
    pub reads: i32,
    /// Reads past the test's bounds (its length, its read cap), not kept.
    pub reads_dropped: i32,
    /// What the gate measured: reads per side, each antenna's RSSI on each side, the
    /// effective front-to-back ratio, the leak, the verdict, the threshold it suggests.
    #[schema(value_type = Option<Object>)]
    pub survey: Option<Json<Survey>>,
    /// good, move_the_antennas, add_a_reader, check_the_wiring, no_reads
    pub verdict: Option<String>,
    pub suggested_min_confidence: Option<f32>,
    pub applied_by: Option<i64>,
    pub applied_at: Option<DateTime<Utc>>,
    /// Who cancelled it and when: its reads were let go and it surveyed nothing.
    pub cancelled_by: Option<i64>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl WalkTest {
    pub fn running(&self) -> bool {
        self.finished_at.is_none() && self.cancelled_at.is_none()
    }
}

pub async fn start(
    conn: &mut PgConnection,
    gate: i64,
    direction: &str,
    by: i64,
) -> Result<WalkTest> {
    Ok(sqlx::query_as(
        "insert into walk_tests (gate_id, direction, started_by) values ($1, $2, $3) returning *",
    )
    .bind(gate)
    .bind(direction)
    .bind(by)
    .fetch_one(conn)
    .await?)
}

/// The walk test.
pub async fn get(conn: &mut PgConnection, id: i64) -> Result<WalkTest> {
    sqlx::query_as("select * from walk_tests where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("walk test {id}"))
}

/// The walk test, locked for a change.
pub async fn lock(conn: &mut PgConnection, id: i64) -> Result<WalkTest> {
    sqlx::query_as("select * from walk_tests where id = $1 for update")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("walk test {id}"))
}

/// The walk test running on a gate, if any.
pub async fn running(conn: &mut PgConnection, gate: i64) -> Result<Option<WalkTest>> {
    Ok(sqlx::query_as(
        "select * from walk_tests
             where gate_id = $1 and finished_at is null and cancelled_at is null",
    )
    .bind(gate)
    .fetch_optional(conn)
    .await?)
}

pub async fn finish(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
    survey: &Survey,
    reads: usize,
    dropped: u64,
) -> Result<WalkTest> {
    sqlx::query_as(
        "update walk_tests set finished_by = $2, finished_at = now(), survey = $3, verdict = $4,
             suggested_min_confidence = $5, reads = $6, reads_dropped = $7
         where id = $1 and finished_at is null and cancelled_at is null returning *",
    )
    .bind(id)
    .bind(by)
    .bind(Json(survey))
    .bind(survey.verdict.as_str())
    .bind(survey.min_confidence)
    .bind(i32::try_from(reads).unwrap_or(i32::MAX))
    .bind(i32::try_from(dropped).unwrap_or(i32::MAX))
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::Conflict(format!("walk test {id} is already finished")))
}

/// Cancel a running walk test.
pub async fn cancel(conn: &mut PgConnection, id: i64, by: i64) -> Result<WalkTest> {
    sqlx::query_as(
        "update walk_tests set cancelled_by = $2, cancelled_at = now()
         where id = $1 and finished_at is null and cancelled_at is null returning *",
    )
    .bind(id)
    .bind(by)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::Conflict(format!("walk test {id} is no longer running")))
}

pub async fn applied(conn: &mut PgConnection, id: i64, by: i64) -> Result<WalkTest> {
    Ok(sqlx::query_as(
        "update walk_tests set applied_by = $2, applied_at = now() where id = $1 returning *",
    )
    .bind(id)
    .bind(by)
    .fetch_one(conn)
    .await?)
}

/// The latest finished walk test of a gate.
pub async fn latest_finished(conn: &mut PgConnection, gate: i64) -> Result<Option<WalkTest>> {
    Ok(sqlx::query_as(
        "select * from walk_tests where gate_id = $1 and finished_at is not null
         order by finished_at desc, id desc limit 1",
    )
    .bind(gate)
    .fetch_optional(conn)
    .await?)
}

/// A gate's walk tests, newest first.
pub async fn of_gate(conn: &mut PgConnection, gate: i64, limit: i64) -> Result<Vec<WalkTest>> {
    Ok(
        sqlx::query_as("select * from walk_tests where gate_id = $1 order by id desc limit $2")
            .bind(gate)
            .bind(limit)
            .fetch_all(conn)
            .await?,
    )
}
