-- The monitor: dedupe keys that make raising an alert idempotent, the
-- alert change log the live stream replays, the monitor's position in the
-- ledger with its lease, and webhook deliveries (the dead-letter list).

CREATE TABLE alert_keys (
	key      TEXT PRIMARY KEY,
	alert_id TEXT NOT NULL REFERENCES alerts (id)
) STRICT;

CREATE TABLE alert_changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id   TEXT NOT NULL REFERENCES alerts (id),
	kind       TEXT NOT NULL,
	actor      TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;

CREATE TABLE monitor_state (
	name        TEXT PRIMARY KEY,
	next_index  INTEGER NOT NULL,
	holder      TEXT NOT NULL,
	lease_until TEXT NOT NULL
) STRICT;

CREATE TABLE alert_deliveries (
	id         TEXT PRIMARY KEY,
	alert_id   TEXT NOT NULL REFERENCES alerts (id),
	target     TEXT NOT NULL,
	status     TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	payload    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX alert_deliveries_status ON alert_deliveries (status, created_at);
CREATE INDEX alert_deliveries_alert_id ON alert_deliveries (alert_id);
