-- Budget early warning (issue 11, item 2; `ijwmo stats budget`, docs/facts.md): per provider
-- with a yearly budget ceiling in the contracts, per year and month of care, what was realised
-- (approved, credits netted) in the month and in the year up to and including it, against the
-- ceiling. The forecast (realised + remaining commitments), the run rate and the projected
-- month are computed by ijwmo (src/facts/budget.rs); this view gives BI the realisation curve.
-- No client, no BSN: sums per provider only.
CREATE VIEW v_budget_use AS
WITH monthly AS (
    SELECT agb, CAST(EXTRACT(YEAR FROM period_month) AS INTEGER) AS year, period_month,
           CAST(sum(approved_cents) AS BIGINT) AS realised_cents
    FROM cost_prestaties
    GROUP BY agb, period_month
)
SELECT m.agb, m.year, m.period_month AS month, m.realised_cents,
       CAST(sum(m.realised_cents) OVER (PARTITION BY m.agb, m.year ORDER BY m.period_month)
            AS BIGINT) AS realised_to_date_cents,
       c.budgetplafond_cents,
       round(100.0 * sum(m.realised_cents) OVER (PARTITION BY m.agb, m.year
                                                 ORDER BY m.period_month)
             / NULLIF(c.budgetplafond_cents, 0), 1) AS realised_to_date_pct
FROM monthly m
JOIN v_budget_ceilings c ON c.agb = m.agb;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ijwmo_analyst') THEN
        GRANT SELECT ON v_budget_use TO ijwmo_analyst;
    END IF;
END
$$;
