-- The last day of the loan an asset is out on (null when it is not out on a loan), kept by
-- the reservations trigger (and by a loan's last day, should it change), so that what is
-- kept from a period for being late is counted per category from one index, instead of
-- joining every out reservation to its loan and its asset on each look at the catalogue.
alter table assets add column out_until date;
update assets a set out_until = o.until
  from (select r.asset_id, max(l.ends_on) as until
          from reservations r join loans l on r.order_kind = 'loan' and l.id = r.order_id
         where r.issued_at is not null and r.returned_at is null and r.released_at is null
         group by r.asset_id) o
 where o.asset_id = a.id;
create index assets_out_until_idx on assets (out_until, category_id)
    include (virtual_depot, owner_department_id, state) where out_until is not null;

-- An asset's `out_until` from its reservations: the latest last day of the loans it is out on.
create function asset_out_until(asset bigint) returns date language sql stable as $$
    select max(l.ends_on) from reservations r join loans l on l.id = r.order_id
     where r.asset_id = asset and r.order_kind = 'loan'
       and r.issued_at is not null and r.returned_at is null and r.released_at is null
$$;

create or replace function reservations_mark_issued() returns trigger language plpgsql as $$
begin
    update assets a set last_issued_at = n.at
      from (select asset_id, max(issued_at) as at from new_rows where issued_at is not null group by asset_id) n
     where a.id = n.asset_id and (a.last_issued_at is null or a.last_issued_at < n.at);
    update assets a set out_until = o.until
      from (select n.asset_id, asset_out_until(n.asset_id) as until
              from (select distinct asset_id from new_rows) n) o
     where a.id = o.asset_id and a.out_until is distinct from o.until;
    return null;
end $$;

create function loans_mark_out_until() returns trigger language plpgsql as $$
begin
    update assets a set out_until = asset_out_until(a.id)
     where a.id in (select r.asset_id from reservations r
                     where r.order_kind = 'loan' and r.order_id = new.id
                       and r.issued_at is not null and r.returned_at is null and r.released_at is null);
    return null;
end $$;

create trigger loans_mark_out_until after update of ends_on on loans
    for each row when (old.ends_on is distinct from new.ends_on) execute function loans_mark_out_until();
