-- The read-only commands (`ijwmo stats`, `ijwmo contracts list`, the dashboard and its API) run
-- as a role that has `ijwmo_analyst` alone. They read the fact tables (the views leave out
-- columns they need, such as the scope), the contract set, and the migration table (to check
-- the schema version instead of migrating). None of these holds a BSN: the facts hold the
-- keyed pseudonym only. The tables with the BSN (messages, toewijzingen, leveringen, ...) and
-- the outbox stay closed to the role.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ijwmo_analyst') THEN
        GRANT SELECT ON timeliness_facts, cost_prestaties, cost_toewijzingen, contracts,
            contract_imports, _sqlx_migrations TO ijwmo_analyst;
    END IF;
END
$$;
