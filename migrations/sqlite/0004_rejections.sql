-- SQLite has no roles: the view is the same as on PostgreSQL, without the grant.
-- Declaration quality (issue 11, item 4; `ijwmo stats rejections`, docs/facts.md): one row per
-- rejected debit prestatie, with the date its approved resubmission was received, if any. A
-- resubmission is the earliest approved debit received later for the same provider, client
-- (pseudonym), allocation, product code and month of care (src/facts/rejections.rs). No BSN.
CREATE VIEW v_rejections AS
SELECT r.fact_key, r.standard, r.gemeente, r.agb, r.client AS client_pseudonym,
       r.declaratie_nummer, r.referentie_nummer, r.toewijzing_nummer, r.categorie,
       r.productcode, r.segment, r.period_month, r.volume, r.eenheid, r.tarief,
       r.rejected_cents, r.retour_codes, r.received_on,
       (SELECT min(a.received_on)
          FROM cost_prestaties a
         WHERE a.debet_credit = 'D' AND a.status = 'goedgekeurd'
           AND a.received_at > r.received_at
           AND a.agb = r.agb AND a.client = r.client
           AND a.toewijzing_nummer = r.toewijzing_nummer
           AND a.productcode = r.productcode
           AND a.period_month = r.period_month) AS resubmitted_on
FROM cost_prestaties r
WHERE r.debet_credit = 'D' AND r.status = 'afgewezen';

