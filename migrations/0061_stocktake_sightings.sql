-- A running stocktake as any instance can finish it: what it expects (the register as it
-- started) and the latest sighting of each tag in its scope, by whichever instance's
-- readers (or handheld uploads) saw it.
create table stocktake_expected (
    stocktake_id bigint not null references stocktakes (id) on delete cascade,
    epc          text not null,
    zone_id      bigint not null references zones (id),
    primary key (stocktake_id, epc)
);

create table stocktake_sightings (
    stocktake_id  bigint not null references stocktakes (id) on delete cascade,
    epc           text not null,
    zone_id       bigint not null references zones (id),
    -- seen but not told apart from this zone ("between")
    other_zone_id bigint references zones (id),
    seen_at       timestamptz not null,
    primary key (stocktake_id, epc)
);
