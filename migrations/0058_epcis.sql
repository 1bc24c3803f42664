-- The EPCIS export reads the log, the gate's passages and the stocktakes' counts in time order,
-- from a time on: each from a range of its own index.
create index events_at_idx on events (at, id) where asset_id is not null;
create index facts_passed_at_idx on facts (at, key) where kind = 'passed' and asset_id is not null;
create index stocktakes_finished_idx on stocktakes (finished_at, id) where status = 'finished';
