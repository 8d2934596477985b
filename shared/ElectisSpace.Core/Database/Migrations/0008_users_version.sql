-- Users get the optimistic-concurrency version every other editable entity has (PATCH /api/users/{id} honours If-Match).
ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1;
