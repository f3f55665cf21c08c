//! The OpenAPI 3 description of `/api/v1`, built from the same lists the handlers check.

use serde_json::{json, Value};

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn text(pattern: &str) -> Value {
    json!({"type": "string", "pattern": pattern})
}

fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn common() -> Vec<Value> {
    vec![
        param(
            "from",
            "first month (inclusive): of the due date for obligations, of the care for costs",
            text("^[0-9]{4}-[0-9]{2}$"),
        ),
        param("to", "last month (inclusive)", text("^[0-9]{4}-[0-9]{2}$")),
        param(
            "gemeente",
            "allocating municipality (CBS code)",
            text("^[0-9]{4}$"),
        ),
        param(
            "betaler",
            "paying municipality: its share of regional budgets by the verdeelsleutel",
            text("^[0-9]{4}$"),
        ),
        param("agb", "provider (AGB code)", text("^[0-9]{8}$")),
        param("standard", "ijw or iwmo", one_of(&["ijw", "iwmo"])),
        param("categorie", "product category", text("^[0-9]{2}$")),
        param(
            "segment",
            "contract segment",
            json!({"type": "string", "maxLength": 100}),
        ),
        param("format", "json (default) or csv", one_of(&["json", "csv"])),
    ]
}

fn table_op(summary: &str, extra: Vec<Value>) -> Value {
    let mut parameters = common();
    parameters.extend(extra);
    json!({"get": {
        "summary": summary,
        "security": [{"bearer": []}, {}],
        "parameters": parameters,
        "responses": {
            "200": {"description": "one object per row (decimals as strings, empty as null), or CSV with a header row",
                    "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                                "text/csv": {"schema": {"type": "string"}}}},
            "400": {"description": "a bad parameter: {\"error\": \"<parameter>: <why>\"}"},
            "401": {"description": "no or an unknown bearer token (not on loopback)"},
            "403": {"description": "a filter outside the token's scope"},
        }
    }})
}

/// The document served at `/api/v1/openapi.json`.
pub fn document() -> Value {
    let by = |values: &[&str]| param("by", "grouping (the first column)", one_of(values));
    json!({
        "openapi": "3.0.3",
        "info": {"title": "ijwmo facts API", "version": "v1",
                 "description": "Read-only figures of the region: late reporting, costs, forecast, obligations. The same numbers as `ijwmo stats`."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/v1/": {"get": {"summary": "the endpoints", "responses": {"200": {"description": "version, endpoints, openapi"}}}},
            "/api/v1/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3"}}}},
            "/api/v1/meta": {"get": {"summary": "the values the filters offer within the scope, the scope, the current year",
                                     "parameters": common(),
                                     "responses": {"200": {"description": "scope, months, gemeenten, aanbieders, categorieen, segmenten, standards, current_year"}}}},
            "/api/v1/late": table_op("late reporting per obligation kind: total, on_time, late, overdue, open, pct_on_time, median_wd_late, p90_wd_late", vec![
                by(&["provider", "municipality", "product", "month", "rule"]),
                param("owed_by", "only the obligations of providers or of municipalities", one_of(&["aanbieder", "gemeente"])),
            ]),
            "/api/v1/costs": table_op("lines, rejected_lines, declared, approved, rejected, credited, net (euros)", vec![
                by(&["provider", "municipality", "payer", "product", "month", "segment", "retour_code"]),
                param("split", "with by=month: a second column per segment or category", one_of(&["segment", "categorie"])),
            ]),
            "/api/v1/forecast": table_op("year, realised, remaining, forecast (by provider also budget_ceiling, realised_pct, forecast_pct)", vec![
                by(&["provider", "municipality", "payer", "product", "segment"]),
                param("year", "calendar year (default: the current year, or the latest with facts)", text("^[0-9]{4}$")),
            ]),
            "/api/v1/rejections": table_op("declared_lines, rejected_lines, rejected_lines_pct, declared, rejected (euros), rejected_pct, resubmitted, median_wd_to_approval (debit lines; by retour_code the shares are of everything declared)", vec![
                by(&["provider", "municipality", "product", "month", "retour_code"]),
            ]),
            "/api/v1/waiting": table_op("per group: started, retroactive (started before the 301, left out of the waits), counted, median_days_from_request, p90_days_from_request, median_days_from_ingang, p90_days_from_ingang (calendar days; from/to select the month of the start)", vec![
                by(&["provider", "municipality", "category", "product", "month"]),
            ]),
            "/api/v1/waiting/now": table_op("allocations in force on as_of without a start, the longest wait first: gemeente, agb, client_pseudonym, toewijzing_nummer, standard, categorie, productcode, waiting_since, days_waiting, ingangsdatum, days_since_ingang (from/to are ignored)", vec![
                param("as_of", "the day (default: the last day the facts saw a message)", text("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
            ]),
            "/api/v1/trajectories": table_op("per group: ended, median_days, p90_days, volgens_plan, volgens_plan_pct, voortijdig, voortijdig_pct, observed_6m, reentry_6m, reentry_6m_pct, observed_12m, reentry_12m, reentry_12m_pct (from/to select the month of the end)", vec![
                by(&["provider", "municipality", "category", "product", "month"]),
                param("as_of", "the day the re-entry windows are judged on (default: the last day the facts saw a message)", text("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
            ]),
            "/api/v1/handover": table_op("Jeugdwet allocations running past the client's 18th birthday within the horizon: gemeente, agb, client_pseudonym, toewijzing_nummer, categorie, productcode, turns_18_month, ingangsdatum, einddatum, first_start (from/to are ignored)", vec![
                param("as_of", "the day (default: the last day the facts saw a message)", text("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
                param("horizon", "months ahead, the as-of month included (default 12, at most 120)", json!({"type": "integer", "minimum": 0, "maximum": 120})),
            ]),
            "/api/v1/budget": table_op("budget early warning, worst first: budget (provider or municipality), holder, segment, year, ceiling, realised, remaining, forecast (euros), realised_pct, forecast_pct, declared_through, run_rate, ceiling_month, basis (realised or projected), warning (the highest threshold reached); view=utilisation: provider, product, eenheid, allocations, allocated, declared, utilisation_pct, declared_through", vec![
                param("year", "calendar year (default: the current year, or the latest with facts)", text("^[0-9]{4}$")),
                param("view", "ceilings (default) or utilisation", one_of(&["ceilings", "utilisation"])),
            ]),
            "/api/v1/penalties": table_op("late-declaration penalties under the server's scheme (404 without one): provider, month (of care), rule (grace, per_week, cap), rule_text, obligations, min_wd_late, max_wd_late, declared, penalty (euros); view=lines: one row per late declaration obligation (pseudonymised)", vec![
                param("view", "months (default) or lines", one_of(&["months", "lines"])),
            ]),
            "/api/v1/obligations": table_op("the obligations behind a figure, late and overdue first, then by due date; header X-Total-Count", vec![
                param("status", "comma-separated: on_time, late, overdue, open", json!({"type": "string"})),
                param("kind", "comma-separated obligation kinds (retour, declaratie_antwoord, start, stop, antwoord_vot, antwoord_vow, eindantwoord_vot, eindantwoord_vow, woonplaatsbeginsel, declaratie)", json!({"type": "string"})),
                param("owed_by", "aanbieder or gemeente", one_of(&["aanbieder", "gemeente"])),
                param("limit", "rows (default 100)", json!({"type": "integer", "minimum": 0})),
                param("offset", "rows skipped", json!({"type": "integer", "minimum": 0})),
            ]),
        }
    })
}
