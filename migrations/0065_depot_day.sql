-- The depot's day. A loan is late, a booking starts and a report's day begins by the
-- depot's calendar (its `time_zone`, a UTC offset), not by the database server's: at
-- 07:00 in Beijing it is still yesterday in UTC. The service sets `depot.utc_offset` on
-- each connection (e.g. '+08:00'); without it (a psql session, a test's own pool) the
-- offset is the service's default, +08:00.
create function depot_utc_offset() returns interval language sql stable parallel safe as $$
    select coalesce(nullif(current_setting('depot.utc_offset', true), '')::interval, interval '08:00')
$$;

-- The depot's calendar day of a moment.
create function depot_date(at timestamptz) returns date language sql stable parallel safe as $$
    select ((at at time zone 'UTC') + depot_utc_offset())::date
$$;

-- Today in the depot.
create function depot_today() returns date language sql stable parallel safe as $$
    select depot_date(now())
$$;

-- The moment a depot day begins.
create function depot_day_start(day date) returns timestamptz language sql stable parallel safe as $$
    select (day::timestamp - depot_utc_offset()) at time zone 'UTC'
$$;
