-- Depot foundation: people, places, assets, orders and the append-only event log.
-- Money is integer fen (1 yuan = 100 fen). Times are timestamptz.

create extension if not exists btree_gist;

create type user_role as enum ('admin', 'keeper', 'requester', 'auditor');

create type asset_state as enum (
    'registered', 'in_stock', 'reserved', 'on_loan', 'in_repair', 'lost',
    'allocated', 'pending_disposal', 'disposed', 'listed'
);

create type source_class as enum ('event_purchase', 'abolished_body', 'institutional_reform', 'other_idle');

create table departments (
    id         bigint generated always as identity primary key,
    code       text not null,
    name       text not null,
    created_at timestamptz not null default now(),
    constraint departments_code_key unique (code),
    constraint departments_code_not_blank check (btrim(code) <> ''),
    constraint departments_name_not_blank check (btrim(name) <> '')
);

create table users (
    id            bigint generated always as identity primary key,
    username      text not null,
    display_name  text not null,
    password_hash text not null,
    role          user_role not null,
    department_id bigint references departments (id),
    active        boolean not null default true,
    created_at    timestamptz not null default now(),
    constraint users_username_key unique (username),
    constraint users_username_not_blank check (btrim(username) <> ''),
    constraint users_requester_has_department check (role <> 'requester' or department_id is not null)
);

-- Session cookies and API tokens are random; only their SHA-256 is stored.
create table sessions (
    token_hash bytea primary key,
    user_id    bigint not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
);

create table api_tokens (
    id           bigint generated always as identity primary key,
    token_hash   bytea not null unique,
    user_id      bigint not null references users (id) on delete cascade,
    name         text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

create table warehouses (
    id         bigint generated always as identity primary key,
    code       text not null,
    name       text not null,
    address    text not null default '',
    created_at timestamptz not null default now(),
    constraint warehouses_code_key unique (code)
);

create table zones (
    id           bigint generated always as identity primary key,
    warehouse_id bigint not null references warehouses (id),
    code         text not null,
    name         text not null,
    -- storage: shelves; staging: where picked items wait; gate_inside / gate_outside: portal sides
    kind         text not null default 'storage',
    created_at   timestamptz not null default now(),
    constraint zones_warehouse_code_key unique (warehouse_id, code),
    constraint zones_kind_known check (kind in ('storage', 'staging', 'gate_inside', 'gate_outside'))
);

create table categories (
    id         bigint generated always as identity primary key,
    code       text not null,
    name       text not null,
    created_at timestamptz not null default now(),
    constraint categories_code_key unique (code)
);

-- GIAI-96 asset references are handed out in order, never reused.
create sequence giai_asset_reference;

create table assets (
    id                  bigint generated always as identity primary key,
    epc                 text not null,
    name                text not null,
    category_id         bigint not null references categories (id),
    original_value_fen  bigint not null,
    acquired_on         date,
    source_class        source_class not null default 'other_idle',
    -- who owns it (ownership moves on transfer); null while the depot itself holds title
    owner_department_id bigint references departments (id),
    -- who has it (possession moves on loan)
    holder_department_id bigint references departments (id),
    zone_id             bigint references zones (id),
    state               asset_state not null default 'registered',
    -- listed in the virtual depot: lent out from, and returned to, its department
    virtual_depot       boolean not null default false,
    notes               text not null default '',
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    constraint assets_epc_key unique (epc),
    constraint assets_epc_hex check (epc ~ '^([0-9A-F]{2}){1,62}$'),
    constraint assets_original_value_not_negative check (original_value_fen >= 0),
    constraint assets_name_not_blank check (btrim(name) <> '')
);
create index assets_state_idx on assets (state);
create index assets_category_idx on assets (category_id);
create index assets_owner_idx on assets (owner_department_id);
create index assets_holder_idx on assets (holder_department_id);
create index assets_zone_idx on assets (zone_id);

create type order_kind as enum ('intake', 'loan', 'transfer', 'disposal', 'compensation');

create type loan_status as enum (
    'requested', 'approved', 'partially_issued', 'issued', 'returned', 'rejected', 'cancelled'
);

create table loans (
    id            bigint generated always as identity primary key,
    department_id bigint not null references departments (id),
    requested_by  bigint not null references users (id),
    purpose       text not null,
    starts_on     date not null,
    ends_on       date not null,
    status        loan_status not null default 'requested',
    decided_by    bigint references users (id),
    decided_at    timestamptz,
    reason        text not null default '',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint loans_dates_ordered check (ends_on >= starts_on),
    constraint loans_purpose_not_blank check (btrim(purpose) <> '')
);
create index loans_department_idx on loans (department_id);

-- What was asked for: a number of a category, or one specific asset.
create table loan_lines (
    id          bigint generated always as identity primary key,
    loan_id     bigint not null references loans (id) on delete cascade,
    category_id bigint references categories (id),
    asset_id    bigint references assets (id),
    quantity    integer not null default 1,
    constraint loan_lines_what check ((category_id is null) <> (asset_id is null)),
    constraint loan_lines_quantity_positive check (quantity > 0),
    constraint loan_lines_specific_is_one check (asset_id is null or quantity = 1)
);

create type transfer_status as enum ('requested', 'approved', 'completed', 'rejected', 'cancelled');

create table transfers (
    id            bigint generated always as identity primary key,
    department_id bigint not null references departments (id),
    requested_by  bigint not null references users (id),
    purpose       text not null,
    status        transfer_status not null default 'requested',
    decided_by    bigint references users (id),
    decided_at    timestamptz,
    reason        text not null default '',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint transfers_purpose_not_blank check (btrim(purpose) <> '')
);
create index transfers_department_idx on transfers (department_id);

create table transfer_lines (
    id          bigint generated always as identity primary key,
    transfer_id bigint not null references transfers (id) on delete cascade,
    category_id bigint references categories (id),
    asset_id    bigint references assets (id),
    quantity    integer not null default 1,
    constraint transfer_lines_what check ((category_id is null) <> (asset_id is null)),
    constraint transfer_lines_quantity_positive check (quantity > 0),
    constraint transfer_lines_specific_is_one check (asset_id is null or quantity = 1)
);

-- A reservation holds one asset for one order over a period. Two live reservations of one
-- asset never overlap: the database refuses it, so concurrent approvals cannot double-book.
create table reservations (
    id          bigint generated always as identity primary key,
    asset_id    bigint not null references assets (id),
    order_kind  order_kind not null,
    order_id    bigint not null,
    period      tstzrange not null,
    created_at  timestamptz not null default now(),
    issued_at   timestamptz,
    returned_at timestamptz,
    -- fine | damaged | missing, set at return inspection
    condition   text,
    released_at timestamptz,
    constraint reservations_period_not_empty check (not isempty(period)),
    constraint reservations_condition_known check (condition is null or condition in ('fine', 'damaged', 'missing')),
    constraint reservations_no_double_booking exclude using gist (asset_id with =, period with &&) where (released_at is null)
);
create index reservations_order_idx on reservations (order_kind, order_id);

create type intake_status as enum ('open', 'completed', 'cancelled');

create table intakes (
    id                   bigint generated always as identity primary key,
    source_department_id bigint references departments (id),
    source_class         source_class not null,
    description          text not null default '',
    status               intake_status not null default 'open',
    created_by           bigint not null references users (id),
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now()
);

create table intake_assets (
    intake_id bigint not null references intakes (id) on delete cascade,
    asset_id  bigint not null references assets (id),
    primary key (intake_id, asset_id)
);

create type disposal_status as enum (
    'requested', 'appraised', 'approved', 'sold', 'scrapped', 'remitted', 'rejected', 'cancelled'
);

create table disposals (
    id                 bigint generated always as identity primary key,
    reason             text not null,
    status             disposal_status not null default 'requested',
    requested_by       bigint not null references users (id),
    appraised_value_fen bigint,
    appraiser          text,
    method             text,
    sale_price_fen     bigint,
    buyer              text,
    receipt_number     text,
    remitted_at        timestamptz,
    decided_by         bigint references users (id),
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    constraint disposals_method_known check (method is null or method in ('auction', 'scrap')),
    constraint disposals_money_not_negative check (coalesce(appraised_value_fen, 0) >= 0 and coalesce(sale_price_fen, 0) >= 0),
    constraint disposals_reason_not_blank check (btrim(reason) <> '')
);

create table disposal_assets (
    disposal_id bigint not null references disposals (id) on delete cascade,
    asset_id    bigint not null references assets (id),
    primary key (disposal_id, asset_id)
);

create type compensation_kind as enum ('damage', 'loss');
create type compensation_status as enum ('open', 'repaired', 'paid', 'waived');

create table compensations (
    id            bigint generated always as identity primary key,
    asset_id      bigint not null references assets (id),
    department_id bigint not null references departments (id),
    loan_id       bigint references loans (id),
    kind          compensation_kind not null,
    status        compensation_status not null default 'open',
    -- original value unless repaired, then the repair cost
    amount_fen    bigint not null,
    receipt_number text,
    note          text not null default '',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint compensations_amount_not_negative check (amount_fen >= 0)
);
create index compensations_department_idx on compensations (department_id);

-- The append-only log: every state change of an asset or an order, with who, when, why and
-- the order it belongs to. Nothing updates or deletes a row (enforced below).
create table events (
    id         bigint generated always as identity primary key,
    at         timestamptz not null default now(),
    actor_id   bigint references users (id),
    asset_id   bigint references assets (id),
    order_kind order_kind,
    order_id   bigint,
    action     text not null,
    from_state text,
    to_state   text,
    reason     text not null default '',
    details    jsonb not null default '{}',
    constraint events_has_subject check (asset_id is not null or order_id is not null)
);
create index events_asset_idx on events (asset_id, id) where asset_id is not null;
create index events_order_idx on events (order_kind, order_id, id) where order_id is not null;

create function events_are_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the event log is append-only: % is not allowed', tg_op
        using errcode = 'restrict_violation';
end $$;

create trigger events_append_only before update or delete or truncate on events
    for each statement execute function events_are_append_only();
