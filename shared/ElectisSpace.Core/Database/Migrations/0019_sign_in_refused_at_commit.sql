-- A write's sign-in check rides in its commit batch (PendingSignIn.CommitCheck): the check's one statement is read
-- there, and when it finds no active user with a permitted role and a live session it calls this, which aborts the
-- batch before COMMIT, so nothing the request wrote is kept. Plain SQL cannot raise an error of its own; the SQLSTATE
-- is one no other statement raises, so the host tells a refused sign-in from any other failure of the batch.
CREATE FUNCTION refuse_sign_in() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The sign-in check refused this request at commit.' USING ERRCODE = 'ES401';
END $$;
