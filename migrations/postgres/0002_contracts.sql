-- Regional contracts (`ijwmo contracts import FILE.csv`): the current set replaces the previous
-- one in one transaction. The layer-4 rules (TR418, TR381) and the cost facts read it.

-- One row per import; the latest is the set in force.
CREATE TABLE contract_imports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imported_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The file name it came from, for the operator.
    source      TEXT        NOT NULL,
    row_count   BIGINT      NOT NULL
);

-- The contract rows of the set in force. gemeente NULL = every municipality of the region (`*`).
CREATE TABLE contracts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id     BIGINT NOT NULL REFERENCES contract_imports (id),
    agb           TEXT   NOT NULL,
    gemeente      TEXT,
    categorie     TEXT   NOT NULL,
    productcode   TEXT   NOT NULL,
    eenheid       TEXT   NOT NULL,
    tarief        BIGINT NOT NULL,
    geldig_van    DATE   NOT NULL,
    geldig_tot    DATE,
    segment       TEXT   NOT NULL,
    budgetplafond BIGINT,
    CHECK (geldig_tot IS NULL OR geldig_tot >= geldig_van)
);
CREATE INDEX contracts_agb ON contracts (agb);
CREATE INDEX contracts_product ON contracts (categorie, productcode);
