-- A reservation not issued is nearly always not released either (1.5 % and 4.3 % of them
-- alone; 1.5 % together): estimated apart, the planner expected 600 open bookings where a
-- city's depot has 14,000, and chose plans (the pick list, booking collisions) that read
-- them all for a page of 25. The pair's common values, counted together, set that right.
create statistics reservations_open_stats (mcv) on issued_at, released_at from reservations;
analyze reservations;
