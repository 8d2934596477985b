-- Live updates (GET /api/events). Every change an organization's clients should see is a row here, written in the
-- transaction of the change (entity changes with their audit row, sync status with the push result, sync jobs with the
-- job row, AIMS up/down with the alive state). Each host instance reads new rows by id from one poller and fans them
-- out to its open streams; a client resumes after its last id for as long as rows are kept (Events:RetentionMinutes).
-- No NOTIFY: a NOTIFY at commit serializes every committing transaction of the database (migration 0015).
-- No foreign key to organizations: the row is a short-lived message, and the check would cost every write a lookup.
CREATE TABLE events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     uuid NOT NULL,
    type       text NOT NULL,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The highest id the retention purge removed: a client resuming after an older id may have missed rows, so it is told
-- to reload (a "reset" event). One row.
CREATE TABLE events_horizon (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    purged_through bigint NOT NULL DEFAULT 0
);
INSERT INTO events_horizon DEFAULT VALUES;

-- One-use tickets for browsers' EventSource, which cannot send an Authorization header. Only the SHA-256 of the ticket
-- is stored; the session it was issued for is checked again when the stream opens and while it runs.
CREATE TABLE event_tickets (
    ticket_hash bytea PRIMARY KEY,
    org_id      uuid NOT NULL,
    user_id     uuid NOT NULL,
    session_id  uuid NOT NULL,
    role        text NOT NULL,
    email       text NOT NULL,
    expires_at  timestamptz NOT NULL
);
