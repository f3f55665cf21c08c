-- Care lifecycle figures (issue 11, items 1, 3 and 5): waiting time to care, trajectories and
-- outcomes, the 18+ handover. What each column means: docs/facts.md; how they are derived:
-- src/facts/cost.rs (the allocation facts) and src/facts/{waiting,trajectories,handover}.rs.

-- The client's birth date as the 301 gave it: operational data like the BSN, never a fact.
ALTER TABLE toewijzingen ADD COLUMN geboortedatum TEXT;

-- Per allocation, its lifecycle. Rows written before this migration have NULLs here until
-- their client scope is derived again (the next message or sweep of that client).
-- Receipt day (Dutch calendar) of the request (315/317) the allocation answers.
ALTER TABLE cost_toewijzingen ADD COLUMN request_received_on TEXT;
-- Receipt day of the allocation's first 301.
ALTER TABLE cost_toewijzingen ADD COLUMN allocated_on TEXT;
-- The first 305 Begindatum on the allocation (deleted starts left out).
ALTER TABLE cost_toewijzingen ADD COLUMN first_start TEXT;
-- The definitive 307 Einddatum once every start on it was stopped definitively, and its reason.
ALTER TABLE cost_toewijzingen ADD COLUMN care_ended_on TEXT;
ALTER TABLE cost_toewijzingen ADD COLUMN reden_beeindiging TEXT;
-- Jeugdwet: first day of the month in which the client turns 18 (never the birth date).
ALTER TABLE cost_toewijzingen ADD COLUMN turns_18_month TEXT;
-- Jeugdwet: 1 when the allocation runs on or past the 18th birthday (no end, or an end on or
-- after it).
ALTER TABLE cost_toewijzingen ADD COLUMN runs_past_18 INTEGER CHECK (runs_past_18 IN (0, 1));

-- The views for BI tools (SQLite has no roles; on PostgreSQL they are granted to
-- ijwmo_analyst). No BSN and no birth date: the client is its keyed pseudonym, and the 18th
-- birthday only its month.

-- Waiting time to care (`ijwmo stats waiting`): one row per allocation whose first 301 was
-- received, with the days from the request (or that 301) and from the Ingangsdatum to the
-- first start; empty while care has not started, and for a retroactive allocation (started
-- before its 301 was received), which the medians leave out.
CREATE VIEW v_waiting AS
SELECT fact_key, standard, gemeente, agb, client AS client_pseudonym, toewijzing_nummer,
       categorie, productcode, segment, ingangsdatum, einddatum, request_received_on,
       allocated_on, coalesce(request_received_on, allocated_on) AS waiting_since,
       first_start, substr(first_start, 1, 7) AS start_month,
       CASE WHEN first_start IS NULL THEN NULL
            WHEN first_start < allocated_on THEN 1 ELSE 0 END AS retroactive,
       CASE WHEN first_start >= allocated_on
            THEN CAST(julianday(first_start)
                      - julianday(coalesce(request_received_on, allocated_on)) AS INTEGER)
       END AS days_from_request,
       CASE WHEN first_start >= allocated_on
            THEN CAST(julianday(first_start) - julianday(ingangsdatum) AS INTEGER)
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
       t.care_ended_on, substr(t.care_ended_on, 1, 7) AS end_month,
       CAST(julianday(t.care_ended_on) - julianday(t.first_start) AS INTEGER) + 1 AS days,
       t.reden_beeindiging,
       CASE WHEN (t.standard = 'ijw' AND t.reden_beeindiging = '31')
              OR (t.standard = 'iwmo' AND t.reden_beeindiging = '19') THEN 'volgens_plan'
            WHEN (t.standard = 'ijw' AND t.reden_beeindiging IN ('32', '33', '34', '35'))
              OR (t.standard = 'iwmo' AND t.reden_beeindiging IN ('21', '22', '23'))
            THEN 'voortijdig'
            ELSE 'anders' END AS outcome,
       (SELECT min(n.ingangsdatum) FROM cost_toewijzingen n
         WHERE n.client = t.client AND n.standard = t.standard
           AND n.categorie IS t.categorie AND n.fact_key <> t.fact_key
           AND n.ingangsdatum > t.care_ended_on) AS next_ingangsdatum
FROM cost_toewijzingen t
WHERE t.first_start IS NOT NULL AND t.care_ended_on IS NOT NULL;

-- The 18+ handover (`ijwmo stats handover`): one row per Jeugdwet allocation that runs on or
-- past the client's 18th birthday; select the horizon on turns_18_month (YYYY-MM).
CREATE VIEW v_handover AS
SELECT fact_key, gemeente, agb, client AS client_pseudonym, toewijzing_nummer, categorie,
       productcode, segment, substr(turns_18_month, 1, 7) AS turns_18_month, ingangsdatum,
       einddatum, commitment_end, first_start
FROM cost_toewijzingen
WHERE standard = 'ijw' AND runs_past_18 = 1;
