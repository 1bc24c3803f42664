-- Free text (`?q=`) matches an asset's name, model and serial number through one trigram
-- index over the three (one index scan where three would be or-ed), and its EPC by its
-- first or last digits through B-trees in byte order: every EPC of a site shares its first
-- digits (header, filter, company prefix), so a trigram scan for a long hex fragment reads
-- nearly the whole trigram index. Short hex fragments still use the EPC's trigram index.
drop index assets_name_trgm_idx;
create index assets_text_trgm_idx on assets
    using gin ((name || ' ' || model || ' ' || serial_number) gin_trgm_ops);
create index assets_epc_start_idx on assets ((epc collate "C"));
create index assets_epc_end_idx on assets ((reverse(epc) collate "C"));

-- Overdue loans in the list's order (newest first): the loans out, by id, so a page of
-- them is the first rows of this index whose end date has passed, not all of them sorted.
create index loans_out_id_idx on loans (id) where status in ('issued', 'partially_issued');
