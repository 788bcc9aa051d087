-- Identity: how a session was authenticated, built-in login factors, login
-- failure counts, enrolled devices, system tokens and onboarding records;
-- and the change feed that keeps every replica's in-memory indexes current.

ALTER TABLE sessions ADD COLUMN method text NOT NULL DEFAULT '';

-- One row per worker with built-in login factors. password_hash and
-- totp_secret are '' when unset; totp_last_step is the last accepted TOTP
-- time step (0 before any).
CREATE TABLE credentials (
	worker_id        text PRIMARY KEY CONSTRAINT credentials_worker_id_fkey REFERENCES workers (id),
	password_hash    text NOT NULL,
	totp_secret      text NOT NULL,
	totp_enrolled_at timestamptz,
	totp_last_step   bigint NOT NULL,
	updated_at       timestamptz NOT NULL
);

-- Security keys. A credential ID is unique across all workers: an
-- assertion names its credential, which must name one worker.
CREATE TABLE webauthn_credentials (
	id         bytea CONSTRAINT webauthn_credentials_pkey PRIMARY KEY,
	worker_id  text NOT NULL REFERENCES credentials (worker_id),
	public_key bytea NOT NULL,
	aaguid     bytea NOT NULL,
	sign_count bigint NOT NULL,
	transports text[] NOT NULL,
	name       text NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX webauthn_credentials_worker_id_idx ON webauthn_credentials (worker_id, created_at);

CREATE TABLE login_failures (
	key          text PRIMARY KEY,
	count        integer NOT NULL,
	window_start timestamptz NOT NULL,
	locked_until timestamptz
);

CREATE TABLE devices (
	id          text PRIMARY KEY,
	worker_id   text NOT NULL CONSTRAINT devices_worker_id_fkey REFERENCES workers (id),
	identity    text NOT NULL,
	name        text NOT NULL,
	enrolled_by text NOT NULL,
	enrolled_at timestamptz NOT NULL,
	revoked_at  timestamptz
);
-- A worker enrols an identity once while it is active; a revoked device
-- keeps its row, and the identity may be enrolled again.
CREATE UNIQUE INDEX devices_worker_id_identity_key ON devices (worker_id, identity) WHERE revoked_at IS NULL;
CREATE INDEX devices_identity_idx ON devices (identity);

CREATE TABLE api_tokens (
	id           text PRIMARY KEY,
	name         text NOT NULL,
	kind         text NOT NULL,
	vendor_id    text CONSTRAINT api_tokens_vendor_id_fkey REFERENCES vendors (id),
	token_hash   bytea NOT NULL CONSTRAINT api_tokens_token_hash_key UNIQUE,
	created_by   text NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz
);
CREATE INDEX api_tokens_vendor_id_idx ON api_tokens (vendor_id);

-- Append-only: a step done again is a new row.
CREATE TABLE onboarding_records (
	id           text PRIMARY KEY,
	worker_id    text NOT NULL CONSTRAINT onboarding_records_worker_id_fkey REFERENCES workers (id),
	step         text NOT NULL,
	actor        text NOT NULL,
	at           timestamptz NOT NULL,
	evidence     text NOT NULL,
	completed_on date,
	expires_on   date
);
CREATE INDEX onboarding_records_worker_id_idx ON onboarding_records (worker_id, id);

-- The change feed. A row trigger on each watched table sends
-- NOTIFY <channel>, '<table> <id>' (a child table names its parent), which
-- PostgreSQL delivers to every listening replica at commit, in commit
-- order, once per distinct payload per transaction. The channel is
-- per schema, so that deployments (and tests) sharing a database do not
-- hear each other. The trigger also sets ward.changed for the rest of the
-- transaction, which tells the committing replica to wait until its own
-- listener has the changes (see DB.run). Touching a session (last_seen_at
-- alone) is not a change: it happens on every request and no index reloads
-- for it.
--
-- TG_ARGV[0] is the table reported, TG_ARGV[1] the column holding its ID.
CREATE FUNCTION ward_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	row_data jsonb;
BEGIN
	IF TG_OP = 'DELETE' THEN
		row_data := to_jsonb(OLD);
	ELSE
		row_data := to_jsonb(NEW);
	END IF;
	PERFORM pg_notify('ward_changes_' || left(md5(TG_TABLE_SCHEMA), 16), TG_ARGV[0] || ' ' || (row_data ->> TG_ARGV[1]));
	PERFORM set_config('ward.changed', '1', true);
	RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changes AFTER INSERT OR DELETE OR UPDATE OF id, worker_id, token_hash, device_id, client_addr,
	country, site_id, user_agent, method, created_at, expires_at, revoked_at, revoke_reason
	ON sessions FOR EACH ROW EXECUTE FUNCTION ward_notify_change('sessions', 'id');
CREATE TRIGGER grants_changes AFTER INSERT OR UPDATE OR DELETE
	ON grants FOR EACH ROW EXECUTE FUNCTION ward_notify_change('grants', 'id');
CREATE TRIGGER workers_changes AFTER INSERT OR UPDATE OR DELETE
	ON workers FOR EACH ROW EXECUTE FUNCTION ward_notify_change('workers', 'id');
CREATE TRIGGER worker_transitions_changes AFTER INSERT OR UPDATE OR DELETE
	ON worker_transitions FOR EACH ROW EXECUTE FUNCTION ward_notify_change('workers', 'worker_id');
CREATE TRIGGER vendors_changes AFTER INSERT OR UPDATE OR DELETE
	ON vendors FOR EACH ROW EXECUTE FUNCTION ward_notify_change('vendors', 'id');
CREATE TRIGGER sites_changes AFTER INSERT OR UPDATE OR DELETE
	ON sites FOR EACH ROW EXECUTE FUNCTION ward_notify_change('sites', 'id');
CREATE TRIGGER teams_changes AFTER INSERT OR UPDATE OR DELETE
	ON teams FOR EACH ROW EXECUTE FUNCTION ward_notify_change('teams', 'id');
CREATE TRIGGER schedules_changes AFTER INSERT OR UPDATE OR DELETE
	ON schedules FOR EACH ROW EXECUTE FUNCTION ward_notify_change('schedules', 'id');
CREATE TRIGGER tasks_changes AFTER INSERT OR UPDATE OR DELETE
	ON tasks FOR EACH ROW EXECUTE FUNCTION ward_notify_change('tasks', 'id');
CREATE TRIGGER task_tags_changes AFTER INSERT OR UPDATE OR DELETE
	ON task_tags FOR EACH ROW EXECUTE FUNCTION ward_notify_change('tasks', 'task_id');
CREATE TRIGGER task_transitions_changes AFTER INSERT OR UPDATE OR DELETE
	ON task_transitions FOR EACH ROW EXECUTE FUNCTION ward_notify_change('tasks', 'task_id');
CREATE TRIGGER devices_changes AFTER INSERT OR UPDATE OR DELETE
	ON devices FOR EACH ROW EXECUTE FUNCTION ward_notify_change('devices', 'id');
CREATE TRIGGER api_tokens_changes AFTER INSERT OR UPDATE OR DELETE
	ON api_tokens FOR EACH ROW EXECUTE FUNCTION ward_notify_change('api_tokens', 'id');
CREATE TRIGGER credentials_changes AFTER INSERT OR UPDATE OR DELETE
	ON credentials FOR EACH ROW EXECUTE FUNCTION ward_notify_change('credentials', 'worker_id');
CREATE TRIGGER webauthn_credentials_changes AFTER INSERT OR UPDATE OR DELETE
	ON webauthn_credentials FOR EACH ROW EXECUTE FUNCTION ward_notify_change('credentials', 'worker_id');
CREATE TRIGGER onboarding_records_changes AFTER INSERT OR UPDATE OR DELETE
	ON onboarding_records FOR EACH ROW EXECUTE FUNCTION ward_notify_change('onboarding_records', 'worker_id');
