-- Whether a tag is still where it was last decided to be: a `left` fact after that decision
-- marks it gone. An engine that starts (or an instance that takes a zone's readers over)
-- restores the tags still present in its zones from here.
alter table last_seen add column left_at timestamptz;
create index last_seen_zone_idx on last_seen (zone_id);
