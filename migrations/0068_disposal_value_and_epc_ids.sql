-- A disposal's book value: the sum of its assets' original values, kept on the disposal
-- (written when it is requested, moved with any later correction of an asset's original
-- value by the trigger below) instead of summed over its assets on every list row (50
-- look-ups per disposal, 2,500 per page) and every export row.
alter table disposals add column original_value_fen numeric not null default 0;
update disposals d set original_value_fen = coalesce(
    (select sum(a.original_value_fen) from disposal_assets da join assets a on a.id = da.asset_id
     where da.disposal_id = d.id), 0);

create function assets_move_disposal_value() returns trigger language plpgsql as $$
begin
    update disposals d set original_value_fen = d.original_value_fen
                                                + (new.original_value_fen::numeric - old.original_value_fen)
     where d.id in (select da.disposal_id from disposal_assets da where da.asset_id = new.id);
    return null;
end $$;

create trigger assets_move_disposal_value after update of original_value_fen on assets
    for each row when (old.original_value_fen is distinct from new.original_value_fen)
    execute function assets_move_disposal_value();

-- The EPCs that start or end with a pasted fragment are found as ids from their B-trees
-- alone (index-only: the EPC and the id are in the index), not from the assets' rows.
drop index assets_epc_start_idx;
drop index assets_epc_end_idx;
create index assets_epc_start_idx on assets ((epc collate "C")) include (id, epc);
create index assets_epc_end_idx on assets ((reverse(epc) collate "C")) include (id, epc);
