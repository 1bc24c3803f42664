-- Depot instances sharing one database: each names itself and beats. Which instance drives
-- which reader is not stored: it is the advisory lock the instance holds on its reader
-- connection, which PostgreSQL releases the moment that connection dies.
create table instances (
    name text primary key check (name ~ '^[A-Za-z0-9._-]{1,50}$'),
    host text not null,
    pid integer not null,
    started_at timestamptz not null default now(),
    heartbeat_at timestamptz not null default now()
);
