-- Initial schema.
--
-- Conventions:
--   * IDs are TEXT ("prefix_" + ULID, see ward.NewID).
--   * Times are TEXT in UTC with microseconds, fixed width
--     ("2006-01-02T15:04:05.000000Z"), so text order is time order.
--   * Dates are TEXT "YYYY-MM-DD", or '' when unset.
--   * Small lists are JSON arrays in TEXT columns. A list that a filter
--     searches (task tags) and lifecycle history live in child tables.
--   * Optional references are NULL when absent so that foreign keys hold;
--     optional unique keys (external_id) are '' when absent and unique only
--     when set.
--   * Tables are STRICT, so a value of the wrong type is an error.

CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	-- A deployment has one organization.
	singleton  INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1),
	name       TEXT NOT NULL,
	time_zone  TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE vendors (
	id                 TEXT PRIMARY KEY,
	name               TEXT NOT NULL UNIQUE,
	baa_status         TEXT NOT NULL,
	baa_effective      TEXT NOT NULL,
	baa_expires        TEXT NOT NULL,
	approved_countries TEXT NOT NULL,
	contact_email      TEXT NOT NULL,
	created_at         TEXT NOT NULL,
	updated_at         TEXT NOT NULL
) STRICT;

CREATE TABLE sites (
	id           TEXT PRIMARY KEY,
	vendor_id    TEXT NOT NULL REFERENCES vendors (id),
	name         TEXT NOT NULL,
	country      TEXT NOT NULL,
	egress_cidrs TEXT NOT NULL,
	time_zone    TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	UNIQUE (vendor_id, name),
	-- Target of teams' (site_id, vendor_id) key.
	UNIQUE (id, vendor_id)
) STRICT;

CREATE INDEX sites_country ON sites (country);

CREATE TABLE teams (
	id         TEXT PRIMARY KEY,
	vendor_id  TEXT NOT NULL REFERENCES vendors (id),
	site_id    TEXT NOT NULL,
	name       TEXT NOT NULL,
	functions  TEXT NOT NULL,
	clearances TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (vendor_id, name),
	UNIQUE (id, vendor_id),
	-- A team's site belongs to the team's vendor.
	FOREIGN KEY (site_id, vendor_id) REFERENCES sites (id, vendor_id)
) STRICT;

CREATE INDEX teams_site_id ON teams (site_id);

CREATE TABLE schedules (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	time_zone  TEXT NOT NULL,
	windows    TEXT NOT NULL,
	exceptions TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE workers (
	id          TEXT PRIMARY KEY,
	-- Unique for ever: offboarded workers keep their row.
	username    TEXT NOT NULL UNIQUE,
	email       TEXT NOT NULL,
	given_name  TEXT NOT NULL,
	family_name TEXT NOT NULL,
	address     TEXT NOT NULL,
	vendor_id   TEXT REFERENCES vendors (id),
	team_id     TEXT REFERENCES teams (id),
	role        TEXT NOT NULL,
	schedule_id TEXT REFERENCES schedules (id),
	external_id TEXT NOT NULL,
	max_tasks   INTEGER NOT NULL,
	status      TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	-- A worker's team belongs to the worker's vendor.
	FOREIGN KEY (team_id, vendor_id) REFERENCES teams (id, vendor_id)
) STRICT;

CREATE UNIQUE INDEX workers_external_id ON workers (external_id) WHERE external_id <> '';
CREATE INDEX workers_vendor_id ON workers (vendor_id);
CREATE INDEX workers_team_id ON workers (team_id);
CREATE INDEX workers_schedule_id ON workers (schedule_id);
CREATE INDEX workers_status ON workers (status);

CREATE TABLE worker_transitions (
	worker_id   TEXT NOT NULL REFERENCES workers (id),
	seq         INTEGER NOT NULL,
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	at          TEXT NOT NULL,
	actor       TEXT NOT NULL,
	reason      TEXT NOT NULL,
	PRIMARY KEY (worker_id, seq)
) STRICT;

CREATE TABLE queues (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	function    TEXT NOT NULL,
	description TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE tasks (
	id            TEXT PRIMARY KEY,
	queue_id      TEXT NOT NULL REFERENCES queues (id),
	type          TEXT NOT NULL,
	patient_ref   TEXT NOT NULL,
	encounter_ref TEXT NOT NULL,
	status        TEXT NOT NULL,
	complexity    INTEGER NOT NULL,
	priority      INTEGER NOT NULL,
	due_at        TEXT,
	assignee_id   TEXT REFERENCES workers (id),
	external_id   TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX tasks_external_id ON tasks (external_id) WHERE external_id <> '';
CREATE INDEX tasks_queue_id_status ON tasks (queue_id, status);
CREATE INDEX tasks_status ON tasks (status);
CREATE INDEX tasks_assignee_id ON tasks (assignee_id);
CREATE INDEX tasks_patient_ref ON tasks (patient_ref);

-- A task's sensitivity tags, in order. A table rather than JSON because
-- FindTasks filters on a tag.
CREATE TABLE task_tags (
	task_id  TEXT NOT NULL REFERENCES tasks (id),
	position INTEGER NOT NULL,
	tag      TEXT NOT NULL,
	PRIMARY KEY (task_id, position),
	UNIQUE (task_id, tag)
) STRICT;

CREATE INDEX task_tags_tag ON task_tags (tag, task_id);

CREATE TABLE task_transitions (
	task_id     TEXT NOT NULL REFERENCES tasks (id),
	seq         INTEGER NOT NULL,
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	at          TEXT NOT NULL,
	actor       TEXT NOT NULL,
	reason      TEXT NOT NULL,
	PRIMARY KEY (task_id, seq)
) STRICT;

CREATE TABLE grants (
	id             TEXT PRIMARY KEY,
	worker_id      TEXT NOT NULL REFERENCES workers (id),
	task_id        TEXT NOT NULL REFERENCES tasks (id),
	patient_ref    TEXT NOT NULL,
	resource_types TEXT NOT NULL,
	interactions   TEXT NOT NULL,
	not_before     TEXT NOT NULL,
	expires_at     TEXT NOT NULL,
	revoked_at     TEXT,
	revoke_reason  TEXT NOT NULL,
	created_at     TEXT NOT NULL
) STRICT;

CREATE INDEX grants_worker_id ON grants (worker_id, expires_at);
CREATE INDEX grants_task_id ON grants (task_id);
CREATE INDEX grants_patient_ref ON grants (patient_ref);

CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	worker_id     TEXT NOT NULL REFERENCES workers (id),
	token_hash    BLOB NOT NULL UNIQUE,
	device_id     TEXT NOT NULL,
	client_addr   TEXT NOT NULL,
	country       TEXT NOT NULL,
	site_id       TEXT REFERENCES sites (id),
	user_agent    TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	last_seen_at  TEXT NOT NULL,
	expires_at    TEXT NOT NULL,
	revoked_at    TEXT,
	revoke_reason TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_worker_id ON sessions (worker_id, expires_at);

CREATE TABLE alerts (
	id          TEXT PRIMARY KEY,
	rule        TEXT NOT NULL,
	severity    TEXT NOT NULL,
	status      TEXT NOT NULL,
	title       TEXT NOT NULL,
	explanation TEXT NOT NULL,
	worker_id   TEXT REFERENCES workers (id),
	vendor_id   TEXT REFERENCES vendors (id),
	patient_ref TEXT NOT NULL,
	evidence    TEXT NOT NULL,
	note        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

-- FindAlerts lists newest first.
CREATE INDEX alerts_created_at ON alerts (created_at, id);
CREATE INDEX alerts_status ON alerts (status, created_at);
CREATE INDEX alerts_worker_id ON alerts (worker_id);
CREATE INDEX alerts_vendor_id ON alerts (vendor_id);

CREATE TABLE submissions (
	id              TEXT PRIMARY KEY,
	task_id         TEXT REFERENCES tasks (id),
	worker_id       TEXT REFERENCES workers (id),
	patient_ref     TEXT NOT NULL,
	encounter_ref   TEXT NOT NULL,
	date_of_service TEXT NOT NULL,
	patient_age     INTEGER NOT NULL,
	patient_sex     TEXT NOT NULL,
	diagnoses       TEXT NOT NULL,
	procedures      TEXT NOT NULL,
	status          TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
) STRICT;

CREATE INDEX submissions_task_id ON submissions (task_id);
CREATE INDEX submissions_worker_id ON submissions (worker_id);
CREATE INDEX submissions_status ON submissions (status);
