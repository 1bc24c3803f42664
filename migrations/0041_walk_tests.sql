-- The walk test: a keeper carries a few reference tags through a gate in a stated direction,
-- Depot surveys the reads and proposes the gate's threshold; an admin applies it.
--
-- `gates.min_confidence`: passages judged less sure than this are asked, not acted on.
-- Null: the engine's default.
alter table gates
    add column min_confidence real,
    add constraint gates_min_confidence_range check (min_confidence is null or (min_confidence > 0 and min_confidence <= 1));

-- One row per walk test, kept as the gate's calibration record: who walked it, which way,
-- when, what the survey found, and who applied its threshold when. Running while
-- `finished_at` is null; at most one runs per gate.
create table walk_tests (
    id                bigint generated always as identity primary key,
    gate_id           bigint not null references gates (id) on delete cascade,
    direction         text not null,
    started_by        bigint not null references users (id),
    started_at        timestamptz not null default now(),
    finished_by       bigint references users (id),
    finished_at       timestamptz,
    -- Reads the tap kept, and those it let go past its bounds.
    reads             integer not null default 0,
    reads_dropped     integer not null default 0,
    survey            jsonb,
    verdict           text,
    suggested_min_confidence real,
    applied_by        bigint references users (id),
    applied_at        timestamptz,
    constraint walk_tests_direction_known check (direction in ('in', 'out')),
    constraint walk_tests_verdict_known check (
        verdict is null or verdict in ('good', 'move_the_antennas', 'add_a_reader', 'check_the_wiring', 'no_reads')),
    constraint walk_tests_finished_whole check (
        (finished_at is null) = (finished_by is null)
        and (finished_at is null) = (verdict is null)
        and (finished_at is null) = (survey is null)),
    constraint walk_tests_applied_after_finish check (
        (applied_at is null) = (applied_by is null) and (applied_at is null or finished_at is not null))
);
create unique index walk_tests_one_running_per_gate on walk_tests (gate_id) where finished_at is null;
create index walk_tests_gate_idx on walk_tests (gate_id, id desc);
