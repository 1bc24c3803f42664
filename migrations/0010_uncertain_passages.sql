-- A passage the gate could not judge surely is asked, not acted on: it raises an alert a
-- keeper confirms (the lifecycle then acts as for a sure passage) or dismisses.
alter type alert_kind add value 'uncertain_passage';
