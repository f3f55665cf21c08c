-- Care lifecycle figures (issue 11, items 1, 3 and 5): waiting time to care, trajectories and
-- outcomes, the 18+ handover. What each column means: docs/facts.md; how they are derived:
-- src/facts/traject.rs (the allocation facts) and src/facts/{waiting,trajectories,handover}.rs.

-- The client's birth date as the 301 gave it: operational data like the BSN, never a fact.
ALTER TABLE toewijzingen ADD COLUMN geboortedatum DATE;

-- Per allocation, its lifecycle. Rows written before this migration have NULLs here until
-- their client scope is derived again (the next message or sweep of that client).
ALTER TABLE cost_toewijzingen
    -- Receipt day (Dutch calendar) of the request (315/317) the allocation answers.
    ADD COLUMN request_received_on DATE,
    -- Receipt day of the allocation's first 301.
    ADD COLUMN allocated_on DATE,
    -- The first 305 Begindatum on the allocation (deleted starts left out).
    ADD COLUMN first_start DATE,
    -- The definitive 307 Einddatum once every start on it was stopped definitively, and why.
    ADD COLUMN care_ended_on DATE,
    ADD COLUMN reden_beeindiging TEXT,
    -- Jeugdwet: first day of the month in which the client turns 18 (never the birth date).
    ADD COLUMN turns_18_month DATE,
    -- Jeugdwet: the allocation runs on or past the 18th birthday.
    ADD COLUMN runs_past_18 BOOLEAN;

-- The views for BI tools, granted to ijwmo_analyst. No BSN and no birth date: the client is
-- its keyed pseudonym, and the 18th birthday only its month.

-- Waiting time to care (`ijwmo stats waiting`): one row per allocation whose first 301 was
-- received, with the days from the request (or that 301) and from the Ingangsdatum to the
-- first start; empty while care has not started, and for a retroactive allocation (started
-- before its 301 was received), which the medians leave out.
CREATE VIEW v_waiting AS
SELECT fact_key, standard, gemeente, agb, client AS client_pseudonym, toewijzing_nummer,
       categorie, productcode, segment, ingangsdatum, einddatum, request_received_on,
       allocated_on, coalesce(request_received_on, allocated_on) AS waiting_since,
       first_start, to_char(first_start, 'YYYY-MM') AS start_month,
       CASE WHEN first_start IS NULL THEN NULL
            ELSE first_start < allocated_on END AS retroactive,
       CASE WHEN first_start >= allocated_on
            THEN first_start - coalesce(request_received_on, allocated_on)
       END AS days_from_request,
       CASE WHEN first_start >= allocated_on THEN first_start - ingangsdatum
       END AS days_from_ingang
FROM cost_toewijzingen
WHERE allocated_on IS NOT NULL;

-- Trajectories (`ijwmo stats trajectories`): one row per allocation whose care started and
-- ended definitively; days counts both the first and the last day. outcome reads
-- RedenBeeindiging per standard (Jeugdwet 31, Wmo 19: volgens_plan; Jeugdwet 32-35, Wmo 21-23:
-- voortijdig; else anders). next_ingangsdatum: the earliest Ingangsdatum after the end of
-- another allocation of the same client, standard and category (re-entry).
CREATE VIEW v_trajectories AS
SELECT t.fact_key, t.standard, t.gemeente, t.agb, t.client AS client_pseudonym,
       t.toewijzing_nummer, t.categorie, t.productcode, t.segment, t.first_start,
       t.care_ended_on, to_char(t.care_ended_on, 'YYYY-MM') AS end_month,
       t.care_ended_on - t.first_start + 1 AS days,
       t.reden_beeindiging,
       CASE WHEN (t.standard = 'ijw' AND t.reden_beeindiging = '31')
              OR (t.standard = 'iwmo' AND t.reden_beeindiging = '19') THEN 'volgens_plan'
            WHEN (t.standard = 'ijw' AND t.reden_beeindiging IN ('32', '33', '34', '35'))
              OR (t.standard = 'iwmo' AND t.reden_beeindiging IN ('21', '22', '23'))
            THEN 'voortijdig'
            ELSE 'anders' END AS outcome,
       (SELECT min(n.ingangsdatum) FROM cost_toewijzingen n
         WHERE n.client = t.client AND n.standard = t.standard
           AND n.categorie IS NOT DISTINCT FROM t.categorie AND n.fact_key <> t.fact_key
           AND n.ingangsdatum > t.care_ended_on) AS next_ingangsdatum
FROM cost_toewijzingen t
WHERE t.first_start IS NOT NULL AND t.care_ended_on IS NOT NULL;

-- The 18+ handover (`ijwmo stats handover`): one row per Jeugdwet allocation that runs on or
-- past the client's 18th birthday; select the horizon on turns_18_month (YYYY-MM).
CREATE VIEW v_handover AS
SELECT fact_key, gemeente, agb, client AS client_pseudonym, toewijzing_nummer, categorie,
       productcode, segment, to_char(turns_18_month, 'YYYY-MM') AS turns_18_month,
       ingangsdatum, einddatum, commitment_end, first_start
FROM cost_toewijzingen
WHERE standard = 'ijw' AND runs_past_18;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ijwmo_analyst') THEN
        GRANT SELECT ON v_waiting, v_trajectories, v_handover TO ijwmo_analyst;
    END IF;
END
$$;
