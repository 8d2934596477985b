-- Idempotency-Key (Idempotency/IdempotentRequest.cs): one row per organization, user and key. A request claims its key
-- (claim, locked_until) before it runs; the answer (status, headers, body) is written with the change's COMMIT, fenced by
-- the claim, so a retry either finds the answer to replay or finds nothing kept and runs. Rows end at expires_at; the
-- sweeper deletes them.
CREATE TABLE idempotency_keys (
    org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    claim        uuid NOT NULL,
    locked_until timestamptz NOT NULL,
    status       int,
    headers      jsonb,
    body         bytea,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id, key)
);

CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- A commit that records an answer under a claim another request has since taken over (its lease lapsed) must not keep
-- its change: this aborts the commit batch, as refuse_sign_in() does, with a SQLSTATE no other statement raises.
CREATE FUNCTION idempotency_claim_lost() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'This request no longer holds its Idempotency-Key.' USING ERRCODE = 'ES409';
END $$;
