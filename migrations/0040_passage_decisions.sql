-- An uncertain passage carries what confirming it needs, and how a person decided it.
--
-- `direction` and `confidence` are the gate's judgment; `order_kind`/`order_id` the order
-- confirming would act on as the alert was raised (null: none). Confirming or dismissing
-- closes the alert (`acknowledged_by`, `acknowledged_at`) and records the `decision`.
alter table alerts
    add column direction  text,
    add column confidence real,
    add column order_kind order_kind,
    add column order_id   bigint,
    add column decision   text,
    add constraint alerts_direction_known check (direction is null or direction in ('in', 'out')),
    add constraint alerts_order_whole check ((order_kind is null) = (order_id is null)),
    add constraint alerts_decision_closes check (
        decision is null
        or (decision in ('confirmed', 'dismissed') and kind = 'uncertain_passage' and acknowledged_at is not null));

-- Alerts raised before: their passage fact still says which way and how sure.
update alerts a set direction = f.direction, confidence = (f.details ->> 'confidence')::real
from facts f
where f.key = a.fact_key and f.kind = 'passed';
