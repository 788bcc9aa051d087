-- Identity: how a session was authenticated, built-in login factors, login
-- failure counts, enrolled devices, system tokens and onboarding records;
-- and the change feed that keeps in-memory indexes current.

ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT '';

-- One row per worker with built-in login factors. password_hash and
-- totp_secret are '' when unset; totp_last_step is the last accepted TOTP
-- time step (0 before any).
CREATE TABLE credentials (
	worker_id        TEXT PRIMARY KEY REFERENCES workers (id),
	password_hash    TEXT NOT NULL,
	totp_secret      TEXT NOT NULL,
	totp_enrolled_at TEXT,
	totp_last_step   INTEGER NOT NULL,
	updated_at       TEXT NOT NULL
) STRICT;

-- Security keys. A credential ID is unique across all workers: an
-- authenticator's assertion names its credential, which must name one
-- worker. transports is a JSON array.
CREATE TABLE webauthn_credentials (
	id         BLOB PRIMARY KEY,
	worker_id  TEXT NOT NULL REFERENCES credentials (worker_id),
	public_key BLOB NOT NULL,
	aaguid     BLOB NOT NULL,
	sign_count INTEGER NOT NULL,
	transports TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;

CREATE INDEX webauthn_credentials_worker_id ON webauthn_credentials (worker_id, created_at);

CREATE TABLE login_failures (
	key          TEXT PRIMARY KEY,
	count        INTEGER NOT NULL,
	window_start TEXT NOT NULL,
	locked_until TEXT
) STRICT;

CREATE TABLE devices (
	id          TEXT PRIMARY KEY,
	worker_id   TEXT NOT NULL REFERENCES workers (id),
	identity    TEXT NOT NULL,
	name        TEXT NOT NULL,
	enrolled_by TEXT NOT NULL,
	enrolled_at TEXT NOT NULL,
	revoked_at  TEXT
) STRICT;

-- A worker enrols an identity once while it is active; a revoked device
-- keeps its row, and the identity may be enrolled again.
CREATE UNIQUE INDEX devices_worker_id_identity ON devices (worker_id, identity) WHERE revoked_at IS NULL;
CREATE INDEX devices_identity ON devices (identity);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	kind         TEXT NOT NULL,
	vendor_id    TEXT REFERENCES vendors (id),
	token_hash   BLOB NOT NULL UNIQUE,
	created_by   TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT,
	revoked_at   TEXT
) STRICT;

CREATE INDEX api_tokens_vendor_id ON api_tokens (vendor_id);

-- Append-only: a step done again is a new row.
CREATE TABLE onboarding_records (
	id           TEXT PRIMARY KEY,
	worker_id    TEXT NOT NULL REFERENCES workers (id),
	step         TEXT NOT NULL,
	actor        TEXT NOT NULL,
	at           TEXT NOT NULL,
	evidence     TEXT NOT NULL,
	completed_on TEXT NOT NULL,
	expires_on   TEXT NOT NULL
) STRICT;

CREATE INDEX onboarding_records_worker_id ON onboarding_records (worker_id, id);

-- The change feed. Triggers on the watched tables record (table, ID) here;
-- a write transaction drains the rows before it commits and hands them to
-- the feed's subscribers once it has (see Tx.Commit). The table is empty
-- outside a transaction. A change to a child table names its parent.
-- Touching a session (last_seen_at alone) is not a change: it happens on
-- every request and no index reloads for it.
CREATE TABLE changes (
	tbl TEXT NOT NULL,
	id  TEXT NOT NULL
) STRICT;

CREATE TRIGGER sessions_changes_insert AFTER INSERT ON sessions
BEGIN INSERT INTO changes VALUES ('sessions', NEW.id); END;
CREATE TRIGGER sessions_changes_update AFTER UPDATE OF id, worker_id, token_hash, device_id, client_addr, country,
	site_id, user_agent, method, created_at, expires_at, revoked_at, revoke_reason ON sessions
BEGIN INSERT INTO changes VALUES ('sessions', NEW.id); END;
CREATE TRIGGER sessions_changes_delete AFTER DELETE ON sessions
BEGIN INSERT INTO changes VALUES ('sessions', OLD.id); END;

CREATE TRIGGER grants_changes_insert AFTER INSERT ON grants
BEGIN INSERT INTO changes VALUES ('grants', NEW.id); END;
CREATE TRIGGER grants_changes_update AFTER UPDATE ON grants
BEGIN INSERT INTO changes VALUES ('grants', NEW.id); END;
CREATE TRIGGER grants_changes_delete AFTER DELETE ON grants
BEGIN INSERT INTO changes VALUES ('grants', OLD.id); END;

CREATE TRIGGER workers_changes_insert AFTER INSERT ON workers
BEGIN INSERT INTO changes VALUES ('workers', NEW.id); END;
CREATE TRIGGER workers_changes_update AFTER UPDATE ON workers
BEGIN INSERT INTO changes VALUES ('workers', NEW.id); END;
CREATE TRIGGER workers_changes_delete AFTER DELETE ON workers
BEGIN INSERT INTO changes VALUES ('workers', OLD.id); END;

CREATE TRIGGER worker_transitions_changes_insert AFTER INSERT ON worker_transitions
BEGIN INSERT INTO changes VALUES ('workers', NEW.worker_id); END;
CREATE TRIGGER worker_transitions_changes_update AFTER UPDATE ON worker_transitions
BEGIN INSERT INTO changes VALUES ('workers', NEW.worker_id); END;
CREATE TRIGGER worker_transitions_changes_delete AFTER DELETE ON worker_transitions
BEGIN INSERT INTO changes VALUES ('workers', OLD.worker_id); END;

CREATE TRIGGER vendors_changes_insert AFTER INSERT ON vendors
BEGIN INSERT INTO changes VALUES ('vendors', NEW.id); END;
CREATE TRIGGER vendors_changes_update AFTER UPDATE ON vendors
BEGIN INSERT INTO changes VALUES ('vendors', NEW.id); END;
CREATE TRIGGER vendors_changes_delete AFTER DELETE ON vendors
BEGIN INSERT INTO changes VALUES ('vendors', OLD.id); END;

CREATE TRIGGER sites_changes_insert AFTER INSERT ON sites
BEGIN INSERT INTO changes VALUES ('sites', NEW.id); END;
CREATE TRIGGER sites_changes_update AFTER UPDATE ON sites
BEGIN INSERT INTO changes VALUES ('sites', NEW.id); END;
CREATE TRIGGER sites_changes_delete AFTER DELETE ON sites
BEGIN INSERT INTO changes VALUES ('sites', OLD.id); END;

CREATE TRIGGER teams_changes_insert AFTER INSERT ON teams
BEGIN INSERT INTO changes VALUES ('teams', NEW.id); END;
CREATE TRIGGER teams_changes_update AFTER UPDATE ON teams
BEGIN INSERT INTO changes VALUES ('teams', NEW.id); END;
CREATE TRIGGER teams_changes_delete AFTER DELETE ON teams
BEGIN INSERT INTO changes VALUES ('teams', OLD.id); END;

CREATE TRIGGER schedules_changes_insert AFTER INSERT ON schedules
BEGIN INSERT INTO changes VALUES ('schedules', NEW.id); END;
CREATE TRIGGER schedules_changes_update AFTER UPDATE ON schedules
BEGIN INSERT INTO changes VALUES ('schedules', NEW.id); END;
CREATE TRIGGER schedules_changes_delete AFTER DELETE ON schedules
BEGIN INSERT INTO changes VALUES ('schedules', OLD.id); END;

CREATE TRIGGER tasks_changes_insert AFTER INSERT ON tasks
BEGIN INSERT INTO changes VALUES ('tasks', NEW.id); END;
CREATE TRIGGER tasks_changes_update AFTER UPDATE ON tasks
BEGIN INSERT INTO changes VALUES ('tasks', NEW.id); END;
CREATE TRIGGER tasks_changes_delete AFTER DELETE ON tasks
BEGIN INSERT INTO changes VALUES ('tasks', OLD.id); END;

CREATE TRIGGER task_tags_changes_insert AFTER INSERT ON task_tags
BEGIN INSERT INTO changes VALUES ('tasks', NEW.task_id); END;
CREATE TRIGGER task_tags_changes_update AFTER UPDATE ON task_tags
BEGIN INSERT INTO changes VALUES ('tasks', NEW.task_id); END;
CREATE TRIGGER task_tags_changes_delete AFTER DELETE ON task_tags
BEGIN INSERT INTO changes VALUES ('tasks', OLD.task_id); END;

CREATE TRIGGER task_transitions_changes_insert AFTER INSERT ON task_transitions
BEGIN INSERT INTO changes VALUES ('tasks', NEW.task_id); END;
CREATE TRIGGER task_transitions_changes_update AFTER UPDATE ON task_transitions
BEGIN INSERT INTO changes VALUES ('tasks', NEW.task_id); END;
CREATE TRIGGER task_transitions_changes_delete AFTER DELETE ON task_transitions
BEGIN INSERT INTO changes VALUES ('tasks', OLD.task_id); END;

CREATE TRIGGER devices_changes_insert AFTER INSERT ON devices
BEGIN INSERT INTO changes VALUES ('devices', NEW.id); END;
CREATE TRIGGER devices_changes_update AFTER UPDATE ON devices
BEGIN INSERT INTO changes VALUES ('devices', NEW.id); END;
CREATE TRIGGER devices_changes_delete AFTER DELETE ON devices
BEGIN INSERT INTO changes VALUES ('devices', OLD.id); END;

CREATE TRIGGER api_tokens_changes_insert AFTER INSERT ON api_tokens
BEGIN INSERT INTO changes VALUES ('api_tokens', NEW.id); END;
CREATE TRIGGER api_tokens_changes_update AFTER UPDATE ON api_tokens
BEGIN INSERT INTO changes VALUES ('api_tokens', NEW.id); END;
CREATE TRIGGER api_tokens_changes_delete AFTER DELETE ON api_tokens
BEGIN INSERT INTO changes VALUES ('api_tokens', OLD.id); END;

CREATE TRIGGER credentials_changes_insert AFTER INSERT ON credentials
BEGIN INSERT INTO changes VALUES ('credentials', NEW.worker_id); END;
CREATE TRIGGER credentials_changes_update AFTER UPDATE ON credentials
BEGIN INSERT INTO changes VALUES ('credentials', NEW.worker_id); END;
CREATE TRIGGER credentials_changes_delete AFTER DELETE ON credentials
BEGIN INSERT INTO changes VALUES ('credentials', OLD.worker_id); END;

CREATE TRIGGER webauthn_credentials_changes_insert AFTER INSERT ON webauthn_credentials
BEGIN INSERT INTO changes VALUES ('credentials', NEW.worker_id); END;
CREATE TRIGGER webauthn_credentials_changes_update AFTER UPDATE ON webauthn_credentials
BEGIN INSERT INTO changes VALUES ('credentials', NEW.worker_id); END;
CREATE TRIGGER webauthn_credentials_changes_delete AFTER DELETE ON webauthn_credentials
BEGIN INSERT INTO changes VALUES ('credentials', OLD.worker_id); END;

CREATE TRIGGER onboarding_records_changes_insert AFTER INSERT ON onboarding_records
BEGIN INSERT INTO changes VALUES ('onboarding_records', NEW.worker_id); END;
CREATE TRIGGER onboarding_records_changes_update AFTER UPDATE ON onboarding_records
BEGIN INSERT INTO changes VALUES ('onboarding_records', NEW.worker_id); END;
CREATE TRIGGER onboarding_records_changes_delete AFTER DELETE ON onboarding_records
BEGIN INSERT INTO changes VALUES ('onboarding_records', OLD.worker_id); END;
