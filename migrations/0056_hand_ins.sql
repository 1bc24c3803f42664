-- Hand-ins (上缴 / 交回公物仓): a department offers an asset of its own back to the depot; the
-- keeper takes it in when it arrives, which closes the offer. One open offer per asset.
create table hand_ins (
    asset_id      bigint primary key references assets (id),
    department_id bigint not null references departments (id),
    offered_by    bigint not null references users (id),
    offered_at    timestamptz not null default now(),
    reason        text not null default ''
);
create index hand_ins_department_idx on hand_ins (department_id, offered_at);
