-- ijwmo schema, PostgreSQL dialect. Amounts are integer eurocents; BSN is operational data of the
-- municipality and lives here, never in facts or logs. Every lookup the layer-3 rules make when
-- loading a message's context has an index below.

-- The message log: every judged message with its raw bytes and how it was judged. A redelivery
-- (same sender, kind, identification and content) is recognised by the unique key.
CREATE TABLE messages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT        NOT NULL,
    sender        TEXT        NOT NULL,
    receiver      TEXT        NOT NULL,
    identificatie TEXT        NOT NULL,
    dagtekening   DATE        NOT NULL,
    -- When the message reached the region; every deadline counts from here.
    received_at   TIMESTAMPTZ NOT NULL,
    -- When this row was written (differs from received_at for replays and retries).
    stored_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    content_hash  TEXT        NOT NULL,
    raw           BYTEA       NOT NULL,
    verdict       TEXT        NOT NULL
        CHECK (verdict IN ('accepted', 'partly_accepted', 'rejected', 'recorded')),
    retour_codes  TEXT[]      NOT NULL DEFAULT '{}',
    -- Its leading columns also serve the (sender, kind, identificatie) lookup (TR056).
    CONSTRAINT messages_delivery UNIQUE (sender, kind, identificatie, content_hash)
);
CREATE INDEX messages_received_at ON messages (received_at);

-- Every received version of every allocation (301 ToegewezenProduct).
CREATE TABLE toewijzingen (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id           BIGINT      NOT NULL REFERENCES messages (id),
    standard             TEXT        NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente             TEXT        NOT NULL,
    agb                  TEXT        NOT NULL,
    bsn                  TEXT        NOT NULL,
    nummer               BIGINT      NOT NULL,
    referentie_aanbieder TEXT,
    categorie            TEXT,
    code                 TEXT,
    toewijzingsmoment    TIMESTAMP   NOT NULL,
    ingangsdatum         DATE        NOT NULL,
    einddatum            DATE,
    reden_wijziging      TEXT,
    volume               BIGINT,
    eenheid              TEXT,
    frequentie           TEXT,
    budget               BIGINT,
    received_at          TIMESTAMPTZ NOT NULL,
    CHECK (einddatum IS NULL OR einddatum >= ingangsdatum)
);
CREATE INDEX toewijzingen_client ON toewijzingen (standard, gemeente, agb, bsn);
CREATE INDEX toewijzingen_nummer ON toewijzingen (standard, gemeente, nummer);
CREATE INDEX toewijzingen_referentie ON toewijzingen (standard, agb, referentie_aanbieder)
    WHERE referentie_aanbieder IS NOT NULL;
CREATE INDEX toewijzingen_message ON toewijzingen (message_id);

-- Starts (305) and stops (307); a status-3 correction marks the earlier row deleted.
CREATE TABLE leveringen (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id              BIGINT      NOT NULL REFERENCES messages (id),
    standard                TEXT        NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente                TEXT        NOT NULL,
    agb                     TEXT        NOT NULL,
    bsn                     TEXT        NOT NULL,
    soort                   TEXT        NOT NULL CHECK (soort IN ('start', 'stop')),
    toewijzing_nummer       BIGINT,
    categorie               TEXT,
    code                    TEXT,
    begindatum              DATE        NOT NULL,
    einddatum               DATE,
    reden_beeindiging       TEXT,
    toewijzing_ingangsdatum DATE,
    deleted                 BOOLEAN     NOT NULL DEFAULT FALSE,
    -- The status-3 message that deleted it.
    deleted_by              BIGINT REFERENCES messages (id),
    received_at             TIMESTAMPTZ NOT NULL,
    CHECK (einddatum IS NULL OR einddatum >= begindatum)
);
CREATE INDEX leveringen_client ON leveringen (standard, gemeente, agb, bsn);
CREATE INDEX leveringen_message ON leveringen (message_id);

-- Requests: one row per 315 AangevraagdProduct or 317 Verzoek.
CREATE TABLE verzoeken (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id        BIGINT      NOT NULL REFERENCES messages (id),
    standard          TEXT        NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente          TEXT        NOT NULL,
    agb               TEXT        NOT NULL,
    bsn               TEXT        NOT NULL,
    referentie        TEXT        NOT NULL,
    soort             TEXT        NOT NULL CHECK (soort IN ('vot', 'vow')),
    status            TEXT        NOT NULL
        CHECK (status IN ('open', 'in_onderzoek', 'toegewezen', 'afgewezen')),
    -- The message (319 or 301) that set the current status, if not the request itself.
    status_message_id BIGINT REFERENCES messages (id),
    dagtekening       DATE        NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX verzoeken_referentie ON verzoeken (standard, agb, referentie);
CREATE INDEX verzoeken_client ON verzoeken (standard, gemeente, agb, bsn);
CREATE INDEX verzoeken_message ON verzoeken (message_id);

-- 319 answers to requests.
CREATE TABLE antwoorden (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id       BIGINT      NOT NULL REFERENCES messages (id),
    standard         TEXT        NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente         TEXT        NOT NULL,
    agb              TEXT        NOT NULL,
    referentie       TEXT        NOT NULL,
    verzoek_antwoord TEXT        NOT NULL,
    reden_afwijzing  TEXT,
    received_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX antwoorden_referentie ON antwoorden (standard, agb, referentie);
CREATE INDEX antwoorden_message ON antwoorden (message_id);

-- Received declarations (323); rejected ones are kept but count as not sent.
CREATE TABLE declaraties (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id       BIGINT      NOT NULL REFERENCES messages (id),
    standard         TEXT        NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente         TEXT        NOT NULL,
    agb              TEXT        NOT NULL,
    nummer           TEXT        NOT NULL,
    periode_begin    DATE        NOT NULL,
    periode_eind     DATE        NOT NULL,
    totaal_ingediend BIGINT      NOT NULL,
    totaal_toegekend BIGINT      NOT NULL,
    accepted         BOOLEAN     NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    CHECK (periode_eind >= periode_begin)
);
CREATE INDEX declaraties_nummer ON declaraties (standard, agb, nummer) WHERE accepted;
CREATE INDEX declaraties_periode ON declaraties (standard, agb, gemeente, periode_begin)
    WHERE accepted;
CREATE INDEX declaraties_message ON declaraties (message_id);

-- Declared prestaties (debit and credit) with their outcome.
CREATE TABLE prestaties (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id              BIGINT      NOT NULL REFERENCES messages (id),
    standard                TEXT        NOT NULL CHECK (standard IN ('ijw', 'iwmo')),
    gemeente                TEXT        NOT NULL,
    agb                     TEXT        NOT NULL,
    bsn                     TEXT        NOT NULL,
    declaratie_nummer       TEXT        NOT NULL,
    referentie_nummer       TEXT        NOT NULL,
    vorig_referentie_nummer TEXT,
    toewijzing_nummer       BIGINT      NOT NULL,
    categorie               TEXT        NOT NULL,
    code                    TEXT        NOT NULL,
    begindatum              DATE        NOT NULL,
    einddatum               DATE        NOT NULL,
    volume                  BIGINT      NOT NULL,
    eenheid                 TEXT        NOT NULL,
    tarief                  BIGINT,
    bedrag                  BIGINT      NOT NULL,
    status                  TEXT        NOT NULL CHECK (status IN ('goedgekeurd', 'afgewezen')),
    retour_codes            TEXT[]      NOT NULL DEFAULT '{}',
    received_at             TIMESTAMPTZ NOT NULL,
    CHECK (einddatum >= begindatum)
);
CREATE INDEX prestaties_referentie ON prestaties (standard, agb, referentie_nummer);
CREATE INDEX prestaties_vorig ON prestaties (standard, agb, vorig_referentie_nummer)
    WHERE vorig_referentie_nummer IS NOT NULL;
CREATE INDEX prestaties_client ON prestaties (standard, gemeente, agb, bsn);
CREATE INDEX prestaties_message ON prestaties (message_id);

-- Messages to publish, written in the transaction that decided them (transactional outbox).
CREATE TABLE outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    BIGINT      NOT NULL REFERENCES messages (id),
    kind          TEXT        NOT NULL,
    routing_key   TEXT        NOT NULL,
    identificatie TEXT        NOT NULL,
    xml           TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set by a publisher that took the row; a stale claim (publisher died) is handed out again.
    claimed_at    TIMESTAMPTZ,
    sent_at       TIMESTAMPTZ
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_message ON outbox (message_id);

-- Takes transaction-scoped advisory locks in the order given (callers pass them sorted, so two
-- transactions never wait on each other in a cycle), in one round trip.
CREATE FUNCTION ijwmo_lock_all(keys BIGINT[]) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    k BIGINT;
BEGIN
    FOREACH k IN ARRAY keys LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
END
$$;
