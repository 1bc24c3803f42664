-- Notices and deadlines: who is told what happened or what is due, in the app and by e-mail.

-- Where a person is e-mailed; none: the inbox only.
alter table users add column email text;
alter table users add constraint users_email_shape
    check (email is null or (length(email) <= 254 and email ~ '^[^@[:space:]<>",;]+@[^@[:space:]<>",;]+$'));

-- One notice per thing that happened or fell due: (kind, order) once, whoever it reaches.
-- The notifier makes them from the orders as they are, so every front end (pages, API,
-- the gate) is covered and a notice is never made twice.
create table notices (
    id            bigint generated always as identity primary key,
    kind          text not null,
    order_kind    order_kind not null,
    order_id      bigint not null,
    -- whose business: the order's department (none: the depot's own)
    department_id bigint references departments (id),
    -- what the texts name: the purpose, the dates
    details       jsonb not null default '{}',
    created_at    timestamptz not null default now(),
    constraint notices_once unique (kind, order_kind, order_id),
    constraint notices_kind_known check (kind in
        ('approval_waiting', 'approved', 'rejected', 'due_tomorrow', 'overdue', 'returned'))
);

-- A notice in one person's inbox: (kind, order, recipient) once.
create table notifications (
    id         bigint generated always as identity primary key,
    notice_id  bigint not null references notices (id) on delete cascade,
    user_id    bigint not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    read_at    timestamptz,
    constraint notifications_once unique (notice_id, user_id)
);
create index notifications_inbox_idx on notifications (user_id, id);
create index notifications_unread_idx on notifications (user_id) where read_at is null;

-- E-mail waiting to be sent, or sent: one per notification, tried again with backoff.
create table mail_outbox (
    id              bigint generated always as identity primary key,
    notification_id bigint not null references notifications (id) on delete cascade,
    address         text not null,
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    sent_at         timestamptz,
    -- given up after the last attempt
    failed_at       timestamptz,
    last_error      text not null default '',
    created_at      timestamptz not null default now(),
    constraint mail_outbox_once unique (notification_id)
);
create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where sent_at is null and failed_at is null;
-- Sent or given up: forgotten after a while.
create index mail_outbox_done_idx on mail_outbox ((coalesce(sent_at, failed_at)));

-- From when the notifier tells of decisions and returns: not of those made before it ran.
create table notifier (
    id    integer primary key default 1,
    since timestamptz not null default now(),
    constraint notifier_one_row check (id = 1)
);
insert into notifier default values;

-- Deadlines: the orders in a status, by how long they have been in it.
create index transfers_status_since_idx on transfers (status, updated_at);
create index disposals_status_since_idx on disposals (status, updated_at);
create index loans_status_since_idx on loans (status, updated_at);
create index intakes_status_since_idx on intakes (status, updated_at);
create index compensations_status_since_idx on compensations (status, updated_at);
-- The returns desk: what came back through a gate and waits for its inspection.
create index reservations_uninspected_idx on reservations (returned_at, asset_id)
    where order_kind = 'loan' and returned_at is not null and condition is null;
-- The notifier finds recent decisions by when they were made.
create index loans_decided_idx on loans (decided_at) where decided_at is not null;
create index transfers_decided_idx on transfers (decided_at) where decided_at is not null;
