-- The gate page and its export list passages newest first, at one gate or at all, paged by
-- keyset on (at, key). The indexes on facts so far hold only passages of known assets
-- (`facts_passed_at_idx`) or order one gate's facts by time alone; a gate's unknown tags
-- and every page of all gates would read the facts whole.
create index facts_passages_idx on facts (at, key) where kind = 'passed';
create index facts_gate_passages_idx on facts (gate_id, at, key) where kind = 'passed';
