-- Advisory locks an analyst cannot take (src/store/locks.rs).
--
-- 1. The lock keys are an HMAC keyed with this per-database secret (32 bytes, ~244 of them
--    random: two version-4 UUIDs), so they cannot be computed from what the views show. Only
--    the owner (the migrating role, which the service runs as) may read it.
CREATE TABLE lock_secret (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    secret   BYTEA   NOT NULL
);
INSERT INTO lock_secret (secret)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
REVOKE ALL ON lock_secret FROM PUBLIC;

-- 2. Taking the locks gives up after a timeout (the message is retried later): a session that
--    holds a key, whoever it is, delays a message by at most that long per attempt.
CREATE FUNCTION ijwmo_lock_all(keys BIGINT[], timeout TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    k BIGINT;
BEGIN
    PERFORM set_config('lock_timeout', timeout, true);
    FOREACH k IN ARRAY keys LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION ijwmo_lock_all(BIGINT[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ijwmo_lock_all(BIGINT[], TEXT) FROM PUBLIC;

-- 3. Other roles (the analysts) may not take advisory locks in this database at all. The
--    functions belong to the bootstrap superuser: when the migrating role is not a superuser,
--    PostgreSQL only warns that nothing was revoked, and 1 and 2 still protect the service.
--    The migrating role keeps them (sqlx's migrator locks with them); a service running as
--    another role needs `GRANT EXECUTE ON FUNCTION pg_advisory_xact_lock(bigint),
--    pg_try_advisory_xact_lock(bigint), pg_advisory_lock(bigint), pg_advisory_unlock(bigint)
--    TO that_role` (README, "Security model").
DO $$
DECLARE
    f TEXT;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'pg_advisory_lock(bigint)', 'pg_advisory_lock(integer, integer)',
        'pg_advisory_lock_shared(bigint)', 'pg_advisory_lock_shared(integer, integer)',
        'pg_advisory_xact_lock(bigint)', 'pg_advisory_xact_lock(integer, integer)',
        'pg_advisory_xact_lock_shared(bigint)', 'pg_advisory_xact_lock_shared(integer, integer)',
        'pg_try_advisory_lock(bigint)', 'pg_try_advisory_lock(integer, integer)',
        'pg_try_advisory_lock_shared(bigint)', 'pg_try_advisory_lock_shared(integer, integer)',
        'pg_try_advisory_xact_lock(bigint)', 'pg_try_advisory_xact_lock(integer, integer)',
        'pg_try_advisory_xact_lock_shared(bigint)',
        'pg_try_advisory_xact_lock_shared(integer, integer)'
    ] LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, current_user);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'advisory-lock functions stay open to PUBLIC: the migrating role does not own them';
END
$$;
