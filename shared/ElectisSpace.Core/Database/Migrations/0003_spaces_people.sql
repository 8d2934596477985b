-- Spaces (desks/rooms shown on labels), people, and saved people lists.
-- Sync fields on every entity: the outbox row written with each change drives AIMS; sync_status shows where it is.

CREATE TABLE spaces (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    external_id    varchar(64) NOT NULL,
    label_code     varchar(64),
    template_name  varchar(100),
    data           jsonb NOT NULL DEFAULT '{}'::jsonb,
    sync_status    text NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'syncing', 'synced', 'error', 'failed')),
    last_synced_at timestamptz,
    sync_error     text,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT spaces_org_external_id_key UNIQUE (org_id, external_id),
    -- Target of the people -> spaces foreign key, so a person can only sit in a space of its own organization.
    CONSTRAINT spaces_org_id_id_key UNIQUE (org_id, id)
);
CREATE INDEX spaces_org_created_idx ON spaces (org_id, created_at, id);
CREATE INDEX spaces_org_sync_idx ON spaces (org_id, sync_status);

CREATE TABLE people (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    external_id       varchar(64),
    data              jsonb NOT NULL DEFAULT '{}'::jsonb,
    assigned_space_id uuid,
    virtual_space_id  varchar(20),
    sync_status       text NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'syncing', 'synced', 'error', 'failed')),
    last_synced_at    timestamptz,
    sync_error        text,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT people_space_fkey FOREIGN KEY (org_id, assigned_space_id) REFERENCES spaces (org_id, id),
    -- A space holds at most one person: the database decides when two assignments race.
    -- Deferrable (checked at the end of each statement) so one UPDATE can move several people between spaces (list load).
    CONSTRAINT people_assigned_space_key UNIQUE (assigned_space_id) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT people_org_virtual_space_key UNIQUE (org_id, virtual_space_id),
    -- Every person has exactly one article: its space's, or its POOL id's while unassigned.
    CONSTRAINT people_space_or_pool_check CHECK ((assigned_space_id IS NULL) <> (virtual_space_id IS NULL))
);
-- The CSV import upserts people by external id (the configured key column); ids are optional, unique when present.
CREATE UNIQUE INDEX people_org_external_id_key ON people (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX people_org_created_idx ON people (org_id, created_at, id);

-- Next POOL-nnnn number per organization. Numbers are never reused, so an AIMS article deleted for a
-- released POOL id can't be confused with a new person's.
CREATE TABLE pool_counters (
    org_id      uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    next_number bigint NOT NULL
);

CREATE TABLE people_lists (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name       varchar(100) NOT NULL,
    created_by uuid REFERENCES users(id) ON DELETE SET NULL,
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_lists_org_name_key ON people_lists (org_id, lower(name));

-- A snapshot of who sat where. No foreign keys to people/spaces on purpose: a deleted person or space
-- must stay visible in the snapshot so loading the list can report it instead of silently dropping it.
CREATE TABLE people_list_entries (
    list_id           uuid NOT NULL REFERENCES people_lists(id) ON DELETE CASCADE,
    org_id            uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    person_id         uuid NOT NULL,
    space_id          uuid,
    person_label      text,
    space_external_id varchar(64),
    PRIMARY KEY (list_id, person_id)
);
CREATE INDEX people_list_entries_person_idx ON people_list_entries (org_id, person_id);

-- One change can queue several AIMS jobs (upsert the article, then link its label); they share a transaction
-- timestamp, so the outbox needs its own order. The sync engine processes an entity's jobs by seq.
ALTER TABLE sync_queue ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX sync_queue_entity_seq_idx ON sync_queue (org_id, entity_type, entity_id, seq);
