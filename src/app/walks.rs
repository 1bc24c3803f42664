//! The walk test: a keeper carries a few reference tags through a gate in a stated
//! direction; Depot copies the reads of that gate's antennas while the test runs (bounded:
//! [`ingest::WALK_MAX_READS`], [`ingest::WALK_MAX_DURATION`]), surveys them when the keeper
//! finishes (`engine::survey`), stores the result as the gate's health, and an admin may
//! apply the threshold it suggests — a change of the site like any other gate change.

use serde::Deserialize;
use utoipa::ToSchema;

use super::policy::{authorize, Target};
use super::readers::reconfigure;
use super::{App, Error, Op, Result};
use crate::auth::Actor;
use crate::db::readers;
use crate::db::walks::{self, WalkTest};
use crate::engine::survey::{survey, Verdict};
use crate::engine::Direction;
use crate::ingest;

/// The way the keeper carries the reference tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WalkDirection {
    /// From the outside zone to the inside zone.
    In,
    /// From the inside zone to the outside zone.
    Out,
}

impl WalkDirection {
    fn engine(self) -> Direction {
        match self {
            WalkDirection::In => Direction::In,
            WalkDirection::Out => Direction::Out,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWalkTest {
    pub direction: WalkDirection,
}

/// Start a walk test on a gate: from now on the reads of its inside and outside antennas
/// are copied, until the test finishes. One at a time per gate (409).
pub async fn start(app: &App, actor: &Actor, gate: i64, new: NewWalkTest) -> Result<WalkTest> {
    authorize(actor, Op::StartWalkTest, Target::Nothing)?;
    let ingest = app.ingest()?;
    let test = app
        .change(actor, Op::StartWalkTest, async |tx| {
            let gate = readers::gate(tx, gate).await?;
            if let Some(running) = walks::running(tx, gate.id).await? {
                return Err(Error::Conflict(format!(
                    "walk test {} is already running on gate {:?} since {}: finish it first",
                    running.id,
                    gate.name,
                    running.started_at.format("%H:%M:%S")
                )));
            }
            let direction = new.direction.engine().word();
            Ok(walks::start(tx, gate.id, direction, actor.id).await?)
        })
        .await?;
    ingest.start_walk(test.id, test.gate_id)?;
    tracing::info!(walk_test = test.id, gate = test.gate_id, direction = %test.direction, "walk test started");
    Ok(test)
}

/// Finish a walk test: survey what it read and store the verdict and figures. A test with
/// no reads says so (`no_reads`) and changes nothing else.
pub async fn finish(app: &App, actor: &Actor, id: i64) -> Result<WalkTest> {
    app.change(actor, Op::FinishWalkTest, async |tx| {
        let test = walks::lock(tx, id).await?;
        if !test.running() {
            return Err(not_running(&test));
        }
        let recorded = app
            .ingest
            .as_ref()
            .map(|i| i.finish_walk(id))
            .unwrap_or_default();
        let direction = if test.direction == "in" {
            Direction::In
        } else {
            Direction::Out
        };
        let antennas = &recorded.antennas;
        let found = survey(&recorded.reads, direction, |reader, antenna| {
            antennas.get(&(reader, antenna)).copied()
        });
        tracing::info!(
            walk_test = id,
            gate = test.gate_id,
            verdict = found.verdict.as_str(),
            reads = recorded.reads.len(),
            "walk test finished"
        );
        Ok(walks::finish(
            tx,
            id,
            actor.id,
            &found,
            recorded.reads.len(),
            recorded.dropped,
        )
        .await?)
    })
    .await
}

/// Cancel a running walk test: the reads it copied are let go, it surveys nothing and never
/// becomes the gate's health; the record keeps who cancelled it and when.
pub async fn cancel(app: &App, actor: &Actor, id: i64) -> Result<WalkTest> {
    app.change(actor, Op::CancelWalkTest, async |tx| {
        let test = walks::lock(tx, id).await?;
        if !test.running() {
            return Err(not_running(&test));
        }
        let dropped = app
            .ingest
            .as_ref()
            .map(|i| i.finish_walk(id).reads.len())
            .unwrap_or_default();
        let test = walks::cancel(tx, id, actor.id).await?;
        tracing::info!(
            walk_test = id,
            gate = test.gate_id,
            reads = dropped,
            actor = actor.id,
            "walk test cancelled"
        );
        Ok(test)
    })
    .await
}

/// Why a walk test that is not running cannot be finished or cancelled.
fn not_running(test: &WalkTest) -> Error {
    Error::Conflict(match test.cancelled_at {
        Some(at) => format!(
            "walk test {} was cancelled at {}",
            test.id,
            at.format("%H:%M:%S")
        ),
        None => format!("walk test {} is already finished", test.id),
    })
}

/// Apply a finished walk test's suggested threshold to its gate: a site change, checked and
/// then run by the pipeline. Only the gate's latest finished test, once, and only one that
/// measured the gate (not `no_reads`, not `check_the_wiring`).
pub async fn apply(app: &App, actor: &Actor, id: i64) -> Result<WalkTest> {
    reconfigure(app, actor, Op::ApplyWalkTest, async |tx| {
        let test = walks::lock(tx, id).await?;
        let value = appliable(tx, &test).await?;
        let gate = readers::set_min_confidence(tx, test.gate_id, value).await?;
        tracing::info!(
            walk_test = id,
            gate = gate.id,
            min_confidence = value,
            actor = actor.id,
            "gate threshold set from a walk test"
        );
        Ok(walks::applied(tx, id, actor.id).await?)
    })
    .await
}

/// The threshold walk test `test` would set on its gate, if it may be applied: only the
/// gate's latest finished test, once, and only one that measured the gate.
async fn appliable(conn: &mut sqlx::PgConnection, test: &WalkTest) -> Result<f32> {
    let id = test.id;
    if test.running() {
        return Err(Error::Conflict(format!(
            "walk test {id} is still running: finish it first"
        )));
    }
    if test.cancelled_at.is_some() {
        return Err(Error::Conflict(format!(
            "walk test {id} was cancelled: walk again"
        )));
    }
    if test.applied_at.is_some() {
        return Err(Error::Conflict(format!(
            "walk test {id} was already applied"
        )));
    }
    let verdict = test.survey.as_ref().map(|s| s.verdict);
    if matches!(
        verdict,
        Some(Verdict::NoReads | Verdict::CheckTheWiring) | None
    ) {
        return Err(Error::Conflict(format!(
            "walk test {id} did not measure the gate ({}): walk again",
            test.verdict.as_deref().unwrap_or("no survey")
        )));
    }
    let latest = walks::latest_finished(conn, test.gate_id).await?;
    if latest.as_ref().map(|l| l.id) != Some(id) {
        return Err(Error::Conflict(format!(
            "walk test {id} is not the latest of its gate: apply walk test {}",
            latest.map(|l| l.id).unwrap_or_default()
        )));
    }
    test.suggested_min_confidence
        .ok_or_else(|| Error::Conflict(format!("walk test {id} suggests no threshold")))
}

/// What applying a walk test would change: its gate, the confidence the gate acts at now
/// (its own, else the engine's default) and the one it would act at.
pub struct ThresholdChange {
    pub test: WalkTest,
    pub gate: readers::Gate,
    pub from: f32,
    pub to: f32,
}

/// What [`apply`] would do to walk test `id`'s gate, for the admin to confirm; refused as
/// [`apply`] would be. Changes nothing.
pub async fn apply_plan(app: &App, actor: &Actor, id: i64) -> Result<ThresholdChange> {
    app.read(actor, Op::ApplyWalkTest, async |c| {
        let test = walks::get(c, id).await?;
        let to = appliable(c, &test).await?;
        let gate = readers::gate(c, test.gate_id).await?;
        let from = gate
            .min_confidence
            .unwrap_or(crate::engine::config::DEFAULT_MIN_CONFIDENCE);
        Ok::<_, Error>(ThresholdChange {
            test,
            gate,
            from,
            to,
        })
    })
    .await
}

/// A gate's walk tests, newest first (the latest 50).
pub async fn list(app: &App, actor: &Actor, gate: i64) -> Result<Vec<WalkTest>> {
    app.read(actor, Op::ListWalkTests, async |c| {
        readers::gate(c, gate).await?;
        walks::of_gate(c, gate, 50).await
    })
    .await
}

/// A gate's health for its page: the walk test running on it (with the reads it holds so
/// far) and the latest finished one.
pub struct Health {
    pub running: Option<(WalkTest, usize)>,
    pub latest: Option<WalkTest>,
}

pub async fn health(
    app: &App,
    conn: &mut sqlx::PgConnection,
    gate: i64,
) -> crate::db::Result<Health> {
    let running = walks::running(conn, gate).await?.map(|t| {
        let reads = app
            .ingest
            .as_ref()
            .and_then(|i: &ingest::Ingest| i.walk_reads(t.id))
            .unwrap_or(0);
        (t, reads)
    });
    Ok(Health {
        running,
        latest: walks::latest_finished(conn, gate).await?,
    })
}
