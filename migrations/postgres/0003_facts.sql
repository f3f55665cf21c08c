-- Facts for the regional dashboard (src/facts). They hold a keyed pseudonym of the BSN
-- (`client`), never the BSN. Every row belongs to a `scope` (one client at one provider in one
-- gemeente and domain, one request, or one heenbericht) and a scope is always rewritten as a
-- whole, in the transaction of the message that changed it (or by the sweep).

-- One row per obligation of the administration protocol.
CREATE TABLE timeliness_facts (
    obligation_key TEXT        NOT NULL PRIMARY KEY,
    scope          TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    rule           TEXT    NOT NULL,
    standard       TEXT    NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    owed_by_role   TEXT    NOT NULL CHECK (owed_by_role IN ('aanbieder', 'gemeente')),
    owed_by        TEXT    NOT NULL,
    gemeente       TEXT    NOT NULL,
    agb            TEXT    NOT NULL,
    client         TEXT,
    categorie      TEXT,
    productcode    TEXT,
    reference      TEXT    NOT NULL,
    reference_date DATE    NOT NULL,
    due_date       DATE    NOT NULL,
    fulfilled_at   TIMESTAMPTZ,
    fulfilled_on   DATE,
    days_late      BIGINT,
    status         TEXT    NOT NULL CHECK (status IN ('on_time', 'late', 'open', 'overdue')),
    evaluated_on   DATE    NOT NULL
);
CREATE INDEX timeliness_facts_scope ON timeliness_facts (scope);
CREATE INDEX timeliness_facts_due ON timeliness_facts (due_date);
CREATE INDEX timeliness_facts_unmet ON timeliness_facts (due_date) WHERE fulfilled_at IS NULL;

-- One row per declared prestatie (debit or credit), with its outcome; amounts signed eurocents.
CREATE TABLE cost_prestaties (
    fact_key                TEXT        NOT NULL PRIMARY KEY,
    scope                   TEXT    NOT NULL,
    standard                TEXT    NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente                TEXT    NOT NULL,
    agb                     TEXT    NOT NULL,
    client                  TEXT    NOT NULL,
    declaratie_nummer       TEXT    NOT NULL,
    referentie_nummer       TEXT    NOT NULL,
    vorig_referentie_nummer TEXT,
    toewijzing_nummer       BIGINT  NOT NULL,
    categorie               TEXT    NOT NULL,
    productcode             TEXT    NOT NULL,
    segment                 TEXT,
    period_month            DATE    NOT NULL,
    debet_credit            TEXT    NOT NULL CHECK (debet_credit IN ('D', 'C')),
    volume                  BIGINT  NOT NULL,
    eenheid                 TEXT    NOT NULL,
    tarief                  BIGINT,
    declared_cents          BIGINT  NOT NULL,
    approved_cents          BIGINT  NOT NULL,
    rejected_cents          BIGINT  NOT NULL,
    net_cents               BIGINT  NOT NULL,
    credited                BOOLEAN NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('goedgekeurd', 'afgewezen')),
    retour_codes            TEXT    NOT NULL,
    received_at             TIMESTAMPTZ NOT NULL,
    received_on             DATE    NOT NULL
);
CREATE INDEX cost_prestaties_scope ON cost_prestaties (scope);
CREATE INDEX cost_prestaties_month ON cost_prestaties (period_month);

-- One row per allocation (current version, not deleted) with the money it commits.
CREATE TABLE cost_toewijzingen (
    fact_key          TEXT        NOT NULL PRIMARY KEY,
    scope             TEXT    NOT NULL,
    standard          TEXT    NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente          TEXT    NOT NULL,
    agb               TEXT    NOT NULL,
    client            TEXT    NOT NULL,
    toewijzing_nummer BIGINT  NOT NULL,
    categorie         TEXT,
    productcode       TEXT,
    segment           TEXT,
    ingangsdatum      DATE    NOT NULL,
    einddatum         DATE,
    commitment_end    DATE,
    volume            BIGINT,
    eenheid           TEXT,
    frequentie        TEXT,
    budget            BIGINT,
    tarief            BIGINT,
    tarief_eenheid    TEXT,
    basis             TEXT    NOT NULL CHECK (basis IN ('budget', 'omvang', 'geen')),
    commitment_cents  BIGINT,
    realised_cents    BIGINT  NOT NULL
);
CREATE INDEX cost_toewijzingen_scope ON cost_toewijzingen (scope);

-- The published views for BI tools: stable names and columns (documented in docs/facts.md).
-- No view exposes a BSN: the facts hold the pseudonym only.
CREATE VIEW v_timeliness AS
SELECT obligation_key, kind, rule, standard, owed_by_role, owed_by, gemeente, agb,
       client AS client_pseudonym, categorie, productcode, reference, reference_date, due_date,
       fulfilled_at, fulfilled_on, days_late, status, evaluated_on,
       to_char(due_date, 'YYYY-MM') AS due_month
FROM timeliness_facts;

CREATE VIEW v_cost_lines AS
SELECT fact_key, standard, gemeente, agb, client AS client_pseudonym, declaratie_nummer,
       referentie_nummer, vorig_referentie_nummer, toewijzing_nummer, categorie, productcode,
       segment, period_month, debet_credit, volume, eenheid, tarief, declared_cents,
       approved_cents, rejected_cents, net_cents, credited, status, retour_codes, received_on
FROM cost_prestaties;

CREATE VIEW v_commitments AS
SELECT fact_key, standard, gemeente, agb, client AS client_pseudonym, toewijzing_nummer,
       categorie, productcode, segment, ingangsdatum, einddatum, commitment_end, volume,
       eenheid, frequentie, budget, tarief, tarief_eenheid, basis, commitment_cents,
       realised_cents
FROM cost_toewijzingen;

CREATE VIEW v_realisation_monthly AS
SELECT standard, gemeente, agb, categorie, productcode, segment, period_month,
       count(*) AS lines,
       sum(declared_cents) AS declared_cents,
       sum(approved_cents) AS approved_cents,
       sum(rejected_cents) AS rejected_cents,
       sum(CASE WHEN debet_credit = 'C' THEN -approved_cents ELSE 0 END) AS credited_cents
FROM cost_prestaties
GROUP BY standard, gemeente, agb, categorie, productcode, segment, period_month;

CREATE VIEW v_budget_ceilings AS
SELECT agb, max(budgetplafond) AS budgetplafond_cents
FROM contracts
WHERE budgetplafond IS NOT NULL
GROUP BY agb;

-- The analysts' role: reads the published views and nothing else (no table, so no BSN). It
-- cannot log in; give each analyst or BI tool its own login role and `GRANT ijwmo_analyst TO`
-- it. Creating a role needs CREATEROLE: without it the migration goes on and says so.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ijwmo_analyst') THEN
        CREATE ROLE ijwmo_analyst NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL; -- created by a concurrent migration of another database in this cluster
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'role ijwmo_analyst not created: the migrating user lacks CREATEROLE';
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ijwmo_analyst') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO ijwmo_analyst', current_database());
        GRANT USAGE ON SCHEMA public TO ijwmo_analyst;
        GRANT SELECT ON v_timeliness, v_cost_lines, v_commitments, v_realisation_monthly,
            v_budget_ceilings TO ijwmo_analyst;
    END IF;
END
$$;
