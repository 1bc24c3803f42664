-- A stocktake lists an asset the readers place between two zones for a person to check:
-- it is neither found nor misplaced until someone looks.
alter type stocktake_outcome add value 'between';
alter table stocktake_results add column other_zone_id bigint references zones (id);
alter table stocktakes add column between_count integer not null default 0;

-- The register keeps the decided location: "between" and "settled" are stored facts, and
-- where a tag was last seen says when it is between two zones.
alter table facts drop constraint facts_kind_known;
alter table facts add constraint facts_kind_known
    check (kind in ('arrived', 'left', 'moved', 'passed', 'between', 'settled'));
alter table last_seen add column between_zone_id bigint references zones (id);
