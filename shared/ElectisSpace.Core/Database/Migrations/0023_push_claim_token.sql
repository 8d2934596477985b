-- Each claim of a push job gets a fresh token; every result write names it, so a worker that outlived its lease (its
-- job re-claimed meanwhile by another worker) writes nothing over the newer claim's result.
ALTER TABLE sync_queue ADD COLUMN claim_token uuid;
