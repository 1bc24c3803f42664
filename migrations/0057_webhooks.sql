-- Webhooks: other systems hear of events. Admins register URLs with the event actions they
-- want (none: all); each event a webhook asks for gets a delivery row in the event's own
-- transaction (a transactional outbox: an event committed is an event delivered, and a
-- rolled-back change sends nothing). The deliverer posts them signed, tries again with
-- backoff, and gives up (dead letter) after the last attempt; an admin may replay.
create table webhooks (
    id         bigint generated always as identity primary key,
    url        text not null,
    -- the HMAC-SHA256 key the receiver checks signatures with; shown once, at creation
    secret     text not null,
    actions    text[] not null default '{}',
    active     boolean not null default true,
    created_by bigint references users (id),
    created_at timestamptz not null default now(),
    constraint webhooks_url_shape check (length(url) <= 2000 and url ~ '^http://[^/?#[:space:]]+'),
    constraint webhooks_actions_bounded check (cardinality(actions) <= 100)
);

create table webhook_deliveries (
    id              bigint generated always as identity primary key,
    webhook_id      bigint not null references webhooks (id) on delete cascade,
    event_id        bigint not null references events (id),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    delivered_at    timestamptz,
    -- given up after the last attempt: a dead letter, until replayed
    dead_at         timestamptz,
    last_status     integer,
    last_error      text not null default '',
    created_at      timestamptz not null default now(),
    constraint webhook_deliveries_once unique (webhook_id, event_id)
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at)
    where delivered_at is null and dead_at is null;
create index webhook_deliveries_hook_idx on webhook_deliveries (webhook_id, id);

-- One statement's events at a time: a batch of gate facts costs one join with the (few)
-- webhooks, and nothing when there are none.
create function webhook_outbox() returns trigger language plpgsql as $$
begin
    insert into webhook_deliveries (webhook_id, event_id)
    select w.id, e.id from inserted e
    join webhooks w on w.active and (cardinality(w.actions) = 0 or e.action = any (w.actions))
    order by e.id, w.id;
    return null;
end $$;
create trigger events_webhook_outbox after insert on events
    referencing new table as inserted for each statement execute function webhook_outbox();
