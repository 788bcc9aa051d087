-- The initial schema. Optional references and optional unique keys are NULL
-- when unset (the Go side uses ""), so that UNIQUE and FOREIGN KEY
-- constraints ignore them. Constraint names are referenced by the driver to
-- turn violations into ward errors naming the field: keep them in step with
-- the constraints map in postgres.go.

CREATE TABLE organizations (
	id         text PRIMARY KEY,
	-- A deployment serves one organization: at most one row.
	singleton  boolean NOT NULL DEFAULT true CONSTRAINT organizations_singleton_key UNIQUE CHECK (singleton),
	name       text NOT NULL,
	time_zone  text NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE vendors (
	id                 text PRIMARY KEY,
	name               text NOT NULL CONSTRAINT vendors_name_key UNIQUE,
	baa_status         text NOT NULL,
	baa_effective      date,
	baa_expires        date,
	approved_countries text[] NOT NULL,
	contact_email      text NOT NULL,
	created_at         timestamptz NOT NULL,
	updated_at         timestamptz NOT NULL
);
CREATE INDEX vendors_baa_status_idx ON vendors (baa_status);

CREATE TABLE sites (
	id           text PRIMARY KEY,
	vendor_id    text NOT NULL CONSTRAINT sites_vendor_id_fkey REFERENCES vendors (id),
	name         text NOT NULL,
	country      text NOT NULL,
	egress_cidrs text[] NOT NULL,
	time_zone    text NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	CONSTRAINT sites_vendor_id_name_key UNIQUE (vendor_id, name)
);

CREATE TABLE teams (
	id         text PRIMARY KEY,
	vendor_id  text NOT NULL CONSTRAINT teams_vendor_id_fkey REFERENCES vendors (id),
	site_id    text NOT NULL CONSTRAINT teams_site_id_fkey REFERENCES sites (id),
	name       text NOT NULL,
	functions  text[] NOT NULL,
	clearances text[] NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	CONSTRAINT teams_vendor_id_name_key UNIQUE (vendor_id, name)
);
CREATE INDEX teams_site_id_idx ON teams (site_id);
CREATE INDEX teams_functions_idx ON teams USING gin (functions);

CREATE TABLE schedules (
	id         text PRIMARY KEY,
	name       text NOT NULL CONSTRAINT schedules_name_key UNIQUE,
	time_zone  text NOT NULL,
	windows    jsonb NOT NULL,
	exceptions jsonb NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE workers (
	id          text PRIMARY KEY,
	-- Unique for ever: workers are never deleted, so offboarded usernames stay taken.
	username    text NOT NULL CONSTRAINT workers_username_key UNIQUE,
	email       text NOT NULL,
	given_name  text NOT NULL,
	family_name text NOT NULL,
	address     text NOT NULL,
	vendor_id   text CONSTRAINT workers_vendor_id_fkey REFERENCES vendors (id),
	team_id     text CONSTRAINT workers_team_id_fkey REFERENCES teams (id),
	role        text NOT NULL,
	schedule_id text CONSTRAINT workers_schedule_id_fkey REFERENCES schedules (id),
	external_id text CONSTRAINT workers_external_id_key UNIQUE,
	max_tasks   integer NOT NULL,
	status      text NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX workers_vendor_id_idx ON workers (vendor_id);
CREATE INDEX workers_team_id_idx ON workers (team_id);
CREATE INDEX workers_schedule_id_idx ON workers (schedule_id);
CREATE INDEX workers_status_idx ON workers (status);

CREATE TABLE worker_transitions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	worker_id   text NOT NULL REFERENCES workers (id),
	from_status text NOT NULL,
	to_status   text NOT NULL,
	at          timestamptz NOT NULL,
	actor       text NOT NULL,
	reason      text NOT NULL
);
CREATE INDEX worker_transitions_worker_id_idx ON worker_transitions (worker_id, id);

CREATE TABLE queues (
	id          text PRIMARY KEY,
	name        text NOT NULL CONSTRAINT queues_name_key UNIQUE,
	function    text NOT NULL,
	description text NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);

CREATE TABLE tasks (
	id            text PRIMARY KEY,
	queue_id      text NOT NULL CONSTRAINT tasks_queue_id_fkey REFERENCES queues (id),
	type          text NOT NULL,
	patient_ref   text NOT NULL,
	encounter_ref text NOT NULL,
	status        text NOT NULL,
	complexity    integer NOT NULL,
	priority      integer NOT NULL,
	due_at        timestamptz,
	assignee_id   text CONSTRAINT tasks_assignee_id_fkey REFERENCES workers (id),
	external_id   text CONSTRAINT tasks_external_id_key UNIQUE,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL
);
CREATE INDEX tasks_queue_id_idx ON tasks (queue_id);
CREATE INDEX tasks_status_idx ON tasks (status);
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id);
CREATE INDEX tasks_patient_ref_idx ON tasks (patient_ref);

-- A task's sensitivity tags, in their order, as rows so that the Tag filter
-- uses an index.
CREATE TABLE task_tags (
	task_id  text NOT NULL REFERENCES tasks (id),
	position integer NOT NULL,
	tag      text NOT NULL,
	PRIMARY KEY (task_id, position),
	UNIQUE (task_id, tag)
);
CREATE INDEX task_tags_tag_idx ON task_tags (tag, task_id);

CREATE TABLE task_transitions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	task_id     text NOT NULL REFERENCES tasks (id),
	from_status text NOT NULL,
	to_status   text NOT NULL,
	at          timestamptz NOT NULL,
	actor       text NOT NULL,
	reason      text NOT NULL
);
CREATE INDEX task_transitions_task_id_idx ON task_transitions (task_id, id);

CREATE TABLE grants (
	id             text PRIMARY KEY,
	worker_id      text NOT NULL CONSTRAINT grants_worker_id_fkey REFERENCES workers (id),
	task_id        text NOT NULL CONSTRAINT grants_task_id_fkey REFERENCES tasks (id),
	patient_ref    text NOT NULL,
	resource_types text[] NOT NULL,
	interactions   text[] NOT NULL,
	not_before     timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	revoked_at     timestamptz,
	revoke_reason  text NOT NULL,
	created_at     timestamptz NOT NULL
);
CREATE INDEX grants_worker_id_idx ON grants (worker_id);
CREATE INDEX grants_task_id_idx ON grants (task_id);
CREATE INDEX grants_patient_ref_idx ON grants (patient_ref);
-- The gateway's question: which grants are live now?
CREATE INDEX grants_live_idx ON grants (expires_at) WHERE revoked_at IS NULL;

CREATE TABLE sessions (
	id            text PRIMARY KEY,
	worker_id     text NOT NULL CONSTRAINT sessions_worker_id_fkey REFERENCES workers (id),
	token_hash    bytea NOT NULL CONSTRAINT sessions_token_hash_key UNIQUE,
	device_id     text NOT NULL,
	client_addr   text NOT NULL,
	country       text NOT NULL,
	site_id       text CONSTRAINT sessions_site_id_fkey REFERENCES sites (id),
	user_agent    text NOT NULL,
	created_at    timestamptz NOT NULL,
	last_seen_at  timestamptz NOT NULL,
	expires_at    timestamptz NOT NULL,
	revoked_at    timestamptz,
	revoke_reason text NOT NULL
);
CREATE INDEX sessions_worker_id_idx ON sessions (worker_id);

CREATE TABLE alerts (
	id          text PRIMARY KEY,
	rule        text NOT NULL,
	severity    text NOT NULL,
	status      text NOT NULL,
	title       text NOT NULL,
	explanation text NOT NULL,
	worker_id   text CONSTRAINT alerts_worker_id_fkey REFERENCES workers (id),
	vendor_id   text CONSTRAINT alerts_vendor_id_fkey REFERENCES vendors (id),
	patient_ref text NOT NULL,
	evidence    jsonb NOT NULL, -- ledger indices; jsonb keeps the full uint64 range
	note        text NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
-- FindAlerts lists newest first.
CREATE INDEX alerts_created_at_idx ON alerts (created_at DESC, id DESC);
CREATE INDEX alerts_status_idx ON alerts (status);
CREATE INDEX alerts_worker_id_idx ON alerts (worker_id);
CREATE INDEX alerts_vendor_id_idx ON alerts (vendor_id);

CREATE TABLE submissions (
	id              text PRIMARY KEY,
	task_id         text CONSTRAINT submissions_task_id_fkey REFERENCES tasks (id),
	worker_id       text CONSTRAINT submissions_worker_id_fkey REFERENCES workers (id),
	patient_ref     text NOT NULL,
	encounter_ref   text NOT NULL,
	date_of_service date NOT NULL,
	patient_age     integer NOT NULL,
	patient_sex     text NOT NULL,
	diagnoses       jsonb NOT NULL,
	procedures      jsonb NOT NULL,
	status          text NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
CREATE INDEX submissions_task_id_idx ON submissions (task_id);
CREATE INDEX submissions_worker_id_idx ON submissions (worker_id);
CREATE INDEX submissions_status_idx ON submissions (status);
