-- A stocktake lists an asset the readers place between two zones for a person to check:
-- it is neither found nor misplaced until someone looks.
alter type stocktake_outcome add value 'between';
alter table stocktake_results add column other_zone_id bigint references zones (id);
alter table stocktakes add column between_count integer not null default 0;
