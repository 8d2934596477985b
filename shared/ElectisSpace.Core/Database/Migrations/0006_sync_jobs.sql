-- Sync engine, AIMS → server direction: jobs (full/pull/push) with their stats, the conflicts they resolved,
-- the per-article "last synced" base that tells an AIMS-side change from a server-side one, and each
-- organization's AIMS alive state.

CREATE TABLE sync_jobs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    type         text NOT NULL CHECK (type IN ('full', 'pull', 'push')),
    entities     text[] NOT NULL DEFAULT '{space,person,conference}',
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    trigger      text NOT NULL DEFAULT 'api' CHECK (trigger IN ('api', 'timer')),
    requested_by uuid REFERENCES users(id) ON DELETE SET NULL,
    stats        jsonb NOT NULL DEFAULT '{}'::jsonb,
    error        text,
    -- When the full sync read the server side: entities edited after it are not marked synced by this job.
    planned_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    completed_at timestamptz
);
CREATE INDEX sync_jobs_org_created_idx ON sync_jobs (org_id, created_at DESC, id);
-- At most one full sync (and one pull) per organization at a time, whichever host or instance starts it:
-- the second insert conflicts and the caller answers with the running job.
CREATE UNIQUE INDEX sync_jobs_one_active_idx ON sync_jobs (org_id, type) WHERE status IN ('queued', 'running') AND type IN ('full', 'pull');

-- A full sync's plan, so activities pass job ids rather than thousands of articles through the orchestration history.
CREATE TABLE sync_job_items (
    job_id      uuid NOT NULL REFERENCES sync_jobs(id) ON DELETE CASCADE,
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    article_id  varchar(64) NOT NULL,
    entity_type text,
    entity_id   uuid,
    action      text NOT NULL,
    batch       integer,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (job_id, article_id, action)
);
CREATE INDEX sync_job_items_batch_idx ON sync_job_items (job_id, batch);

-- A change made on both sides since the last sync, and how the organization's strategy resolved it.
CREATE TABLE sync_conflicts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    job_id       uuid REFERENCES sync_jobs(id) ON DELETE CASCADE,
    article_id   varchar(64) NOT NULL,
    entity_type  text,
    entity_id    uuid,
    kind         text NOT NULL CHECK (kind IN ('data', 'label', 'deleted')),
    strategy     text NOT NULL,
    winner       text NOT NULL CHECK (winner IN ('server', 'aims')),
    server_value jsonb,
    aims_value   jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_conflicts_org_idx ON sync_conflicts (org_id, created_at DESC);
CREATE INDEX sync_conflicts_job_idx ON sync_conflicts (job_id);

-- What AIMS held for each article when the two sides last agreed (a content hash and its labels).
-- AIMS article ≠ base → changed in AIMS; an article with a base but missing on one side → deleted there.
CREATE TABLE aims_article_base (
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    article_id  varchar(64) NOT NULL,
    entity_type text,
    entity_id   uuid,
    hash        text NOT NULL,
    labels      text[] NOT NULL DEFAULT '{}',
    synced_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, article_id)
);

-- The alive timer's view of each organization's AIMS: one row per organization, updated in place (no row per ping).
CREATE TABLE aims_status (
    org_id               uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    state                text NOT NULL CHECK (state IN ('up', 'down')),
    last_ping_at         timestamptz NOT NULL,
    latency_ms           double precision,
    last_error           text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    changed_at           timestamptz NOT NULL DEFAULT now()
);
