-- One ESL label code can be on one thing only: a space or a conference room. Both write here in the same
-- transaction as their own label_code column, so the database (not a check in code) refuses a second holder.
CREATE TABLE label_assignments (
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    label_code  varchar(64) NOT NULL,
    entity_type text NOT NULL CHECK (entity_type IN ('space', 'conference')),
    entity_id   uuid NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT label_assignments_pkey PRIMARY KEY (org_id, label_code)
);
CREATE INDEX label_assignments_entity_idx ON label_assignments (org_id, entity_type, entity_id);
