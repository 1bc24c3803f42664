-- Reads are no longer accepted when dated ahead of the service's clock; rows that such reads
-- once set in the future (a handheld whose clock said 2100) would otherwise stay there for
-- good, since `seen_at` only ever moves forward. Bring them back to now.
update last_seen set seen_at = now() where seen_at > now() + interval '5 minutes';
