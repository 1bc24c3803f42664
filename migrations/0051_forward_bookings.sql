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
