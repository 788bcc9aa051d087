-- The monitor: dedupe keys that make raising an alert idempotent, the
-- alert change log the live stream replays, the monitor's position in the
-- ledger with its lease, and webhook deliveries (the dead-letter list).

CREATE TABLE alert_keys (
	key      text PRIMARY KEY,
	alert_id text NOT NULL REFERENCES alerts (id)
);

-- Writers take an advisory transaction lock before inserting, so that seq
-- order is commit order and a reader polling "seq > n" misses nothing.
CREATE TABLE alert_changes (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	alert_id   text NOT NULL REFERENCES alerts (id),
	kind       text NOT NULL,
	actor      text NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE monitor_state (
	name        text PRIMARY KEY,
	next_index  bigint NOT NULL,
	holder      text NOT NULL,
	lease_until timestamptz NOT NULL
);

CREATE TABLE alert_deliveries (
	id         text PRIMARY KEY,
	alert_id   text NOT NULL REFERENCES alerts (id),
	target     text NOT NULL,
	status     text NOT NULL,
	attempts   integer NOT NULL,
	last_error text NOT NULL,
	payload    jsonb NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE INDEX alert_deliveries_status_idx ON alert_deliveries (status, created_at DESC);
CREATE INDEX alert_deliveries_alert_id_idx ON alert_deliveries (alert_id);
