-- Scale: a city's million assets, millions of events, hundreds of thousands of loans.
-- Every filter the API and the pages offer has an index that also yields the list's order;
-- free text has trigram indexes; the dashboard reads tallies kept by triggers and figures
-- refreshed in the background instead of counting a million rows.

create extension if not exists pg_trgm;

-- Free text (`?q=`): `ilike '%…%'` on name and EPC through trigram indexes. Under a UTF-8
-- ctype (the clusters Depot makes use C.UTF-8) a Chinese character is a word character, so
-- 会议桌 is three characters of one word and searches like any other text of three or more.
create index assets_name_trgm_idx on assets using gin (name gin_trgm_ops);
create index assets_epc_trgm_idx on assets using gin (epc gin_trgm_ops);

-- Lists are in id order: each filter's index carries the id, so a page walks it in order
-- and stops after the page instead of sorting every match.
drop index assets_state_idx;
drop index assets_category_idx;
drop index assets_owner_idx;
drop index assets_holder_idx;
drop index assets_zone_idx;
create index assets_state_idx on assets (state, id);
create index assets_category_idx on assets (category_id, id);
create index assets_owner_idx on assets (owner_department_id, id);
create index assets_holder_idx on assets (holder_department_id, id);
create index assets_zone_idx on assets (zone_id, id);
-- the catalogue's typical value per category
create index assets_category_value_idx on assets (category_id, original_value_fen);

drop index loans_department_idx;
create index loans_department_idx on loans (department_id, id);
create index loans_status_idx on loans (status, id);
create index loans_out_idx on loans (ends_on) where status in ('issued', 'partially_issued');
drop index transfers_department_idx;
create index transfers_department_idx on transfers (department_id, id);
create index transfers_status_idx on transfers (status, id);
create index disposals_status_idx on disposals (status, id);
drop index compensations_department_idx;
create index compensations_department_idx on compensations (department_id, id);
create index compensations_status_idx on compensations (status, id);
create index compensations_asset_idx on compensations (asset_id);
create index intakes_source_idx on intakes (source_department_id, id);
create index intake_assets_asset_idx on intake_assets (asset_id);
create index disposal_assets_asset_idx on disposal_assets (asset_id);

-- Reservations by asset, released ones too (the exclusion constraint's index holds only
-- live ones), and live ones by period for the catalogue's availability on a date.
create index reservations_asset_idx on reservations (asset_id, issued_at);
create index reservations_live_period_idx on reservations using gist (period) include (asset_id) where released_at is null;
create index reservations_waiting_idx on reservations (order_kind, order_id) where issued_at is null and released_at is null;

-- When each asset was first received: the start of the time it has been held.
create index events_receive_idx on events (asset_id, at) where action = 'receive';
create index events_actor_idx on events (actor_id, id) where actor_id is not null;

-- When an asset was last issued (on a loan or a transfer), kept by a trigger on
-- reservations, so that idle assets are read from one index instead of a subquery over
-- every reservation of every asset.
alter table assets add column last_issued_at timestamptz;
update assets a set last_issued_at = r.at
  from (select asset_id, max(issued_at) as at from reservations where issued_at is not null group by asset_id) r
  where r.asset_id = a.id;
create index assets_idle_idx on assets (last_issued_at nulls first, original_value_fen desc, id)
  where state in ('in_stock', 'listed');

create function reservations_mark_issued() returns trigger language plpgsql as $$
begin
    update assets a set last_issued_at = n.at
      from (select asset_id, max(issued_at) as at from new_rows where issued_at is not null group by asset_id) n
     where a.id = n.asset_id and (a.last_issued_at is null or a.last_issued_at < n.at);
    return null;
end $$;

create trigger reservations_mark_issued_insert after insert on reservations
    referencing new table as new_rows for each statement execute function reservations_mark_issued();
create trigger reservations_mark_issued_update after update on reservations
    referencing new table as new_rows for each statement execute function reservations_mark_issued();

-- Tallies of assets by category, state and listing: every insert, update or delete of assets
-- appends its net change (one row per group a statement touched, never an update of a
-- shared row, so concurrent transactions neither wait for nor deadlock on each other). A
-- reader sums the rows of a group; `db::reports::compact_tallies` folds them together now
-- and then, in one statement, so the sums never change under a reader.
create table asset_tallies (
    category_id bigint not null,
    state       asset_state not null,
    virtual_depot boolean not null,
    -- the department whose virtual-depot listing these are; null when not listed by one
    listed_by   bigint,
    assets      bigint not null,
    value_fen   numeric not null
);

create function assets_tally() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into asset_tallies
        select category_id, state, virtual_depot, case when virtual_depot then owner_department_id end,
               count(*), sum(original_value_fen)
          from new_rows group by 1, 2, 3, 4;
    elsif tg_op = 'DELETE' then
        insert into asset_tallies
        select category_id, state, virtual_depot, case when virtual_depot then owner_department_id end,
               -count(*), -sum(original_value_fen)
          from old_rows group by 1, 2, 3, 4;
    else
        insert into asset_tallies
        select category_id, state, virtual_depot, listed_by, sum(n), sum(v)
          from (select category_id, state, virtual_depot, case when virtual_depot then owner_department_id end as listed_by,
                       1 as n, original_value_fen::numeric as v from new_rows
                union all
                select category_id, state, virtual_depot, case when virtual_depot then owner_department_id end,
                       -1, -original_value_fen::numeric from old_rows) d
         group by 1, 2, 3, 4
        having sum(n) <> 0 or sum(v) <> 0;
    end if;
    return null;
end $$;

create trigger assets_tally_insert after insert on assets
    referencing new table as new_rows for each statement execute function assets_tally();
create trigger assets_tally_update after update on assets
    referencing old table as old_rows new table as new_rows for each statement execute function assets_tally();
create trigger assets_tally_delete after delete on assets
    referencing old table as old_rows for each statement execute function assets_tally();

create function assets_tally_truncate() returns trigger language plpgsql as $$
begin
    delete from asset_tallies;
    return null;
end $$;
create trigger assets_tally_truncate after truncate on assets
    for each statement execute function assets_tally_truncate();

insert into asset_tallies
select category_id, state, virtual_depot, case when virtual_depot then owner_department_id end,
       count(*), sum(original_value_fen)
  from assets group by 1, 2, 3, 4;

-- Figures per category that move slowly and cost a pass over the loans or the stock to
-- compute (utilisation, money saved by lending, the typical value, how many are idle), refreshed in the background by
-- `db::reports::refresh_figures`; the dashboard says when they were computed.
create table category_figures (
    category_id       bigint primary key references categories (id) on delete cascade,
    typical_value_fen bigint not null,
    utilisation       float8 not null,
    saved_fen         numeric not null,
    -- in stock or listed, and not issued for `app::reports::IDLE_DAYS` (or ever)
    idle_assets       bigint not null,
    computed_at       timestamptz not null
);

-- The virtual depot's listings, by category.
create index assets_listed_idx on assets (category_id, id) where state = 'listed';

-- The pick list: loans waiting to be issued, soonest first.
create index loans_waiting_idx on loans (starts_on, id) where status in ('approved', 'partially_issued');
