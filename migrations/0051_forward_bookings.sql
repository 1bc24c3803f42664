-- Forward bookings: a loan may book an asset for a later period whatever the asset does now
-- (out on an earlier loan, held for one); the exclusion constraint on `reservations` already
-- keeps two live bookings of one asset from overlapping. A late return that collides with
-- the next booking raises an alert naming that booking's reservation, once per reservation.
alter type alert_kind add value if not exists 'booking_collision';

-- A collision's alert comes from no reader fact: its key is `booking:RESERVATION`, unique
-- with its kind like every alert's, and the reservation it is about is named.
alter table alerts drop constraint if exists alerts_fact_key_fkey;
alter table alerts add column reservation_id bigint references reservations (id);
alter table alerts add constraint alerts_fact_or_booking check (
    reservation_id is null or fact_key = 'booking:' || reservation_id::text);

-- The waiting bookings of one asset, soonest first: what a return holds it for, what a gate
-- passage out issues it on.
create index reservations_waiting_asset_idx on reservations (asset_id, lower(period))
    where issued_at is null and released_at is null;

-- Kits (套装): named sets of category quantities and specific assets, kept by admins and
-- requested as one loan line; approval books each part. A kit a loan names is not deleted.
create table kits (
    id          bigint generated always as identity primary key,
    name        text not null,
    description text not null default '',
    created_at  timestamptz not null default now(),
    constraint kits_name_key unique (name),
    constraint kits_name_length check (char_length(name) between 1 and 200)
);

create table kit_parts (
    id          bigint generated always as identity primary key,
    kit_id      bigint not null references kits (id) on delete cascade,
    category_id bigint references categories (id),
    asset_id    bigint references assets (id),
    quantity    integer not null default 1,
    constraint kit_parts_what check ((category_id is null) <> (asset_id is null)),
    constraint kit_parts_quantity check (quantity between 1 and 10000),
    constraint kit_parts_specific_is_one check (asset_id is null or quantity = 1)
);
create index kit_parts_kit_idx on kit_parts (kit_id);

alter table loan_lines add column kit_id bigint references kits (id);
alter table loan_lines drop constraint loan_lines_what;
alter table loan_lines add constraint loan_lines_what check (num_nonnulls(category_id, asset_id, kit_id) = 1);
create index loan_lines_kit_idx on loan_lines (kit_id) where kit_id is not null;

-- The catalogue's virtual-depot listings for a window: a listed asset stays offered for
-- other periods while it is held for, or out on, a booking.
create index assets_listing_idx on assets (category_id, id)
    where virtual_depot and state in ('listed', 'reserved', 'on_loan');

-- The loan line an asset was booked for (a kit line's parts share it), so that a kit is
-- issued as a unit; null for transfers and bookings made before.
alter table reservations add column line_id bigint references loan_lines (id);
