-- Foundation: tenants, users, refresh tokens, audit log, sync outbox, rate-limit counters.
-- Every tenant row carries org_id with a foreign key and an index; ids are UUIDs; times are timestamptz.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(100) NOT NULL,
    code        varchar(40)  NOT NULL UNIQUE,
    settings    jsonb        NOT NULL DEFAULT '{}'::jsonb,
    version     integer      NOT NULL DEFAULT 1,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email               varchar(255) NOT NULL,
    password_hash       text NOT NULL,
    first_name          varchar(100),
    last_name           varchar(100),
    role                text NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    is_active           boolean NOT NULL DEFAULT true,
    last_login_at       timestamptz,
    failed_login_count  integer NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    password_changed_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_org_email_key ON users (org_id, lower(email));
CREATE INDEX users_email_idx ON users (lower(email));
CREATE INDEX users_org_idx ON users (org_id);

-- Opaque refresh tokens: only the SHA-256 hash is stored. family_id links every rotation of one login,
-- so presenting an already-rotated token revokes the whole family (theft detection).
CREATE TABLE refresh_tokens (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id      uuid NOT NULL,
    token_hash     bytea NOT NULL UNIQUE,
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    rotated_at     timestamptz,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX refresh_tokens_org_idx ON refresh_tokens (org_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- org_id is NULL only for events with no known tenant (a failed login for an unknown email).
CREATE TABLE audit_logs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid REFERENCES organizations(id) ON DELETE CASCADE,
    user_id     uuid REFERENCES users(id) ON DELETE SET NULL,
    action      varchar(50) NOT NULL,
    entity_type varchar(50) NOT NULL,
    entity_id   text,
    old_data    jsonb,
    new_data    jsonb,
    ip_address  varchar(64),
    user_agent  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_org_time_idx ON audit_logs (org_id, created_at DESC);
CREATE INDEX audit_logs_user_idx ON audit_logs (user_id);
CREATE INDEX audit_logs_entity_idx ON audit_logs (org_id, entity_type, entity_id);

-- The outbox: written in the same transaction as the change it describes; the sync engine consumes it.
CREATE TABLE sync_queue (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    entity_type   varchar(50) NOT NULL,
    entity_id     uuid NOT NULL,
    action        varchar(50) NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5,
    last_error    text,
    scheduled_at  timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    processed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_queue_status_idx ON sync_queue (status, scheduled_at);
CREATE INDEX sync_queue_org_idx ON sync_queue (org_id);
CREATE INDEX sync_queue_entity_idx ON sync_queue (org_id, entity_type, entity_id);

-- Fixed-window request counters, in the database so limits hold across every instance.
CREATE TABLE rate_limits (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
