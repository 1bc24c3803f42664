-- A walk test started by mistake, or walked wrong, is cancelled: its reads are let go, it
-- surveys nothing and never becomes the gate's health, and the record says who cancelled it
-- and when. Running while neither finished nor cancelled; at most one runs per gate.
alter table walk_tests
    add column cancelled_by bigint references users (id),
    add column cancelled_at timestamptz,
    add constraint walk_tests_cancelled_whole check ((cancelled_at is null) = (cancelled_by is null)),
    add constraint walk_tests_finished_or_cancelled check (finished_at is null or cancelled_at is null);
drop index walk_tests_one_running_per_gate;
create unique index walk_tests_one_running_per_gate on walk_tests (gate_id)
    where finished_at is null and cancelled_at is null;
