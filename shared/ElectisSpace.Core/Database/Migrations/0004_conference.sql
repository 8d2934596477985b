-- Meeting rooms: their label shows free/occupied (page 1 = available, page 2 = meeting).
CREATE TABLE conference_rooms (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    external_id    varchar(64) NOT NULL,
    room_name      varchar(100) NOT NULL,
    label_code     varchar(64),
    has_meeting    boolean NOT NULL DEFAULT false,
    meeting_name   varchar(255),
    start_time     varchar(5),
    end_time       varchar(5),
    participants   text[] NOT NULL DEFAULT '{}',
    current_page   integer NOT NULL DEFAULT 1 CHECK (current_page BETWEEN 1 AND 7),
    sync_status    text NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'syncing', 'synced', 'error', 'failed')),
    last_synced_at timestamptz,
    sync_error     text,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conference_rooms_org_external_id_key UNIQUE (org_id, external_id)
);
CREATE INDEX conference_rooms_org_created_idx ON conference_rooms (org_id, created_at, id);
