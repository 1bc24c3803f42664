-- Names in two languages. A department, warehouse, zone or category keeps its name as the
-- depot writes it (`name`: what exports, labels and machines use), and may keep it also in
-- 中文 (`name_zh`) and in English (`name_en`): a page says each name in the viewer's
-- language when that language's name is stored, and `name` otherwise.
alter table departments
    add column name_zh text constraint departments_name_zh_not_blank check (btrim(name_zh) <> ''),
    add column name_en text constraint departments_name_en_not_blank check (btrim(name_en) <> '');
alter table warehouses
    add column name_zh text constraint warehouses_name_zh_not_blank check (btrim(name_zh) <> ''),
    add column name_en text constraint warehouses_name_en_not_blank check (btrim(name_en) <> '');
alter table zones
    add column name_zh text constraint zones_name_zh_not_blank check (btrim(name_zh) <> ''),
    add column name_en text constraint zones_name_en_not_blank check (btrim(name_en) <> '');
alter table categories
    add column name_zh text constraint categories_name_zh_not_blank check (btrim(name_zh) <> ''),
    add column name_en text constraint categories_name_en_not_blank check (btrim(name_en) <> '');
