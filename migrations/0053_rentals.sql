-- Market rental (社会租用, "管理+租用"): what a loan asks for and the depot cannot supply from
-- its stock is rented from a supplier, and the shortfall and what it cost are recorded on the
-- loan. A rental is ordered → received (the keeper takes the rented items in) → returned
-- (back to the supplier), or cancelled while still ordered; each change is in the event log
-- under its own order kind. Money is integer fen.

-- Not used below: a value added to an enum cannot be used in the transaction that adds it.
alter type order_kind add value if not exists 'rental';

create type rental_status as enum ('ordered', 'received', 'returned', 'cancelled');

create table rentals (
    id              bigint generated always as identity primary key,
    loan_id         bigint not null references loans (id),
    -- the loan's department, kept beside it: whose business the rental is
    department_id   bigint not null references departments (id),
    supplier        text not null,
    category_id     bigint not null references categories (id),
    quantity        integer not null,
    starts_on       date not null,
    ends_on         date not null,
    daily_price_fen bigint not null,
    -- quantity × days × daily price unless the supplier's invoice says otherwise
    total_fen       bigint not null,
    note            text not null default '',
    status          rental_status not null default 'ordered',
    created_by      bigint not null references users (id),
    received_at     timestamptz,
    returned_at     timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint rentals_supplier_length check (char_length(supplier) between 1 and 200 and btrim(supplier) <> ''),
    constraint rentals_quantity_range check (quantity between 1 and 10000),
    constraint rentals_dates_ordered check (ends_on >= starts_on),
    constraint rentals_length check (ends_on - starts_on < 366),
    constraint rentals_daily_price_range check (daily_price_fen between 1 and 10000000000000),
    constraint rentals_total_range check (total_fen between 1 and 10000000000000)
);
create index rentals_loan_idx on rentals (loan_id, id);
-- A loan's lines by the loan: what a rental may be for, and every loan's page (there was
-- no index, so each read walked every line of every loan).
create index if not exists loan_lines_loan_idx on loan_lines (loan_id);
create index rentals_department_idx on rentals (department_id, id);
create index rentals_status_idx on rentals (status, id);

-- Savings, honestly: the market's daily rental price of one asset of a category is what
-- lending one for a day saves a department that would otherwise rent it (none: the
-- category's lending counts nothing, and the dashboard names it). The figures keep each
-- category's days lent — every asset issued on a loan, from the day it went out to the day
-- it came back (or today), both counted — and the savings are priced when read, so a new
-- price counts at once; market rentals paid are taken off. The original value summed per
-- loan that they kept before counted a table lent ten times ten times over.
alter table categories add column daily_rent_fen bigint,
    add constraint categories_daily_rent_range
        check (daily_rent_fen is null or daily_rent_fen between 1 and 10000000000000);
alter table category_figures drop column saved_fen,
    add column lent_days bigint not null default 0;

-- The figures the seeds publish, by department and period (`db::reports::figures`): each is
-- read by a range of its own index, never a pass over a big table. Loans' and transfers'
-- items by the moment they were handed over; hand-ins (上缴: intakes from a department) by
-- the receipt of each asset; disposals by each asset's sale or scrapping; proceeds by
-- their remittance; market rentals by their first day.
-- A reservation keeps the category it booked its asset as (set from the asset when it is
-- made), so that the days lent in a period are priced from the reservations alone: pricing
-- them through the assets would make the planner read every asset to join a month's
-- reservations at a million assets.
alter table reservations add column category_id bigint;
update reservations r set category_id = a.category_id from assets a where a.id = r.asset_id;
alter table reservations add constraint reservations_category_id_fkey
    foreign key (category_id) references categories (id) not valid;
create function reservations_category() returns trigger language plpgsql as $$
begin
    new.category_id := (select category_id from assets where id = new.asset_id);
    return new;
end $$;
create trigger reservations_category before insert or update of asset_id on reservations
    for each row execute function reservations_category();
create index reservations_issued_idx on reservations (order_kind, issued_at)
    where issued_at is not null;
-- (an asset's own events: an intake's status change is logged as "receive" too)
create index events_figures_idx on events (order_kind, action, at)
    where asset_id is not null
      and ((order_kind = 'intake' and action = 'receive') or (order_kind = 'disposal' and action = 'dispose'));
create index disposals_remitted_idx on disposals (remitted_at) where remitted_at is not null;
create index rentals_starts_idx on rentals (starts_on) where status <> 'cancelled';
