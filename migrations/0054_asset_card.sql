-- The asset card as finance keeps it (资产卡片): model, serial number, supplier, how the
-- asset was acquired, its funding source, the finance card number and its useful life.
-- Depreciation is straight-line by month with no residual value (government accounting);
-- it is computed when an asset is read, never stored.

create type acquisition_method as enum ('purchase', 'transfer', 'donation', 'other');

-- A category's usual useful life, in months: what a new asset of it takes unless given.
alter table categories add column useful_life_months integer;
alter table categories add constraint categories_useful_life_range
    check (useful_life_months is null or useful_life_months between 1 and 1200);

alter table assets
    add column model              text not null default '',
    add column serial_number      text not null default '',
    add column supplier           text not null default '',
    add column acquisition_method acquisition_method,
    add column funding_source     text not null default '',
    add column finance_card_no    text not null default '',
    -- null: the category's useful life applies
    add column useful_life_months integer;
alter table assets add constraint assets_useful_life_range
    check (useful_life_months is null or useful_life_months between 1 and 1200);
-- Finance looks an asset up by its card number.
create index assets_finance_card_idx on assets (finance_card_no) where finance_card_no <> '';
