-- Readers drive the lifecycle: reader configuration, gates, the engine's facts, alerts,
-- stocktakes and where each tag was last seen.

-- How the engine smooths a zone's reads (see `engine::Smoothing`); null: the defaults.
alter table zones add column smoothing jsonb;

create table readers (
    id           bigint generated always as identity primary key,
    name         text not null,
    -- llrp://HOST[:PORT], uhf18:///dev/ttyUSB0?baud=57600, uhf18+tcp://…, r2000://…, r2000+tcp://…,
    -- or handheld: (reads arrive in batches through the API)
    address      text not null,
    enabled      boolean not null default true,
    created_at   timestamptz not null default now(),
    constraint readers_name_key unique (name),
    constraint readers_name_not_blank check (btrim(name) <> '')
);

-- Which zone each antenna's reads stand for.
create table read_points (
    reader_id bigint not null references readers (id) on delete cascade,
    antenna   integer not null,
    zone_id   bigint not null references zones (id),
    primary key (reader_id, antenna),
    constraint read_points_antenna_range check (antenna between 1 and 64)
);

-- A portal: a pair of zones, inside and outside the door.
create table gates (
    id              bigint generated always as identity primary key,
    name            text not null,
    inside_zone_id  bigint not null references zones (id),
    outside_zone_id bigint not null references zones (id),
    created_at      timestamptz not null default now(),
    constraint gates_name_key unique (name),
    constraint gates_sides_differ check (inside_zone_id <> outside_zone_id)
);

-- What the engine concluded. `key` is stable (kind, EPC, place, time), so a replayed trace or a
-- retried batch never records a fact twice.
create table facts (
    key         text primary key,
    kind        text not null,
    epc         text not null,
    asset_id    bigint references assets (id),
    zone_id     bigint references zones (id),
    gate_id     bigint references gates (id),
    direction   text,
    at          timestamptz not null,
    details     jsonb not null default '{}',
    recorded_at timestamptz not null default now(),
    constraint facts_kind_known check (kind in ('arrived', 'left', 'moved', 'passed')),
    constraint facts_direction_known check (direction is null or direction in ('in', 'out'))
);
create index facts_asset_idx on facts (asset_id, at) where asset_id is not null;
create index facts_gate_idx on facts (gate_id, at) where gate_id is not null;

-- A lifecycle event caused by a fact names it: one fact changes one asset once, so replays and
-- retries cannot double it.
alter table events add column fact_key text;
create unique index events_fact_asset_action_key on events (fact_key, asset_id, action)
    where fact_key is not null and asset_id is not null;

create type alert_kind as enum ('exit_without_order', 'unknown_tag', 'entry_without_order');

create table alerts (
    id              bigint generated always as identity primary key,
    kind            alert_kind not null,
    fact_key        text not null references facts (key),
    epc             text not null,
    asset_id        bigint references assets (id),
    gate_id         bigint references gates (id),
    at              timestamptz not null,
    message         text not null,
    acknowledged_by bigint references users (id),
    acknowledged_at timestamptz,
    note            text not null default '',
    created_at      timestamptz not null default now(),
    constraint alerts_fact_kind_key unique (fact_key, kind)
);
create index alerts_open_idx on alerts (id) where acknowledged_at is null;

create type stocktake_status as enum ('created', 'running', 'finished', 'cancelled');

create table stocktakes (
    id           bigint generated always as identity primary key,
    warehouse_id bigint not null references warehouses (id),
    -- empty: every zone of the warehouse
    zone_ids     bigint[] not null default '{}',
    status       stocktake_status not null default 'created',
    created_by   bigint not null references users (id),
    started_at   timestamptz,
    finished_at  timestamptz,
    expected     integer not null default 0,
    found        integer not null default 0,
    missing      integer not null default 0,
    unexpected   integer not null default 0,
    misplaced    integer not null default 0,
    created_at   timestamptz not null default now()
);

create type stocktake_outcome as enum ('found', 'missing', 'unexpected', 'misplaced');

create table stocktake_results (
    stocktake_id     bigint not null references stocktakes (id) on delete cascade,
    epc              text not null,
    asset_id         bigint references assets (id),
    outcome          stocktake_outcome not null,
    expected_zone_id bigint references zones (id),
    seen_zone_id     bigint references zones (id),
    -- what a keeper did about it: marked_lost, relocated, registered
    resolution       text,
    resolved_by      bigint references users (id),
    resolved_at      timestamptz,
    primary key (stocktake_id, epc)
);

-- Where each tag was last seen, kept current in batches (raw reads are not stored).
create table last_seen (
    epc       text primary key,
    asset_id  bigint references assets (id),
    zone_id   bigint references zones (id),
    reader_id bigint references readers (id) on delete set null,
    seen_at   timestamptz not null
);
create index last_seen_asset_idx on last_seen (asset_id) where asset_id is not null;
