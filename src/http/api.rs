//! `/api/v1/…`: read-only tables over the facts, the same [`crate::facts::query`] that
//! `ijwmo stats` prints, as JSON (decimals as strings) or CSV (`format=csv`).
//!
//! Scopes (see [`super::access`]) narrow the filter before the query runs, so a figure outside
//! the scope is never computed, not even into a total:
//! - `gemeente:C` — only municipality C: `gemeente=C` (allocations by C), or on costs and
//!   forecast by payer `betaler=C` (what C pays, its verdeelsleutel share of regional budgets
//!   included). Asking for another municipality is a 403;
//! - `aanbieder:A` — only provider A (`agb=A`); tables by provider add one `regio-mediaan` row
//!   per obligation kind (or one row) with the median over all providers, so a provider sees
//!   where it stands and nobody else's figures. Asking for another provider is a 403.

use super::access::{Denied, Scope};
use super::params::{BadParam, Format, Params, COMMON};
use super::HttpState;
use crate::facts::query::{self, groupings, Facts, Filter, Query};
use crate::facts::stats::GroupBy;
use crate::report::Table;
use crate::store::StoreError;
use axum::extract::{Query as QueryString, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Datelike;
use serde_json::json;
use std::sync::Arc;

type St = State<Arc<HttpState>>;
type Raw = QueryString<Vec<(String, String)>>;

/// An API error as `{"error": "..."}` with its status.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    Unavailable(String),
}

impl From<BadParam> for ApiError {
    fn from(b: BadParam) -> ApiError {
        ApiError::BadRequest(b.0)
    }
}

impl From<query::QueryError> for ApiError {
    fn from(e: query::QueryError) -> ApiError {
        ApiError::BadRequest(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::warn!(error = %e, "reading the facts for the API failed");
        ApiError::Unavailable(format!("the facts cannot be read now: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            ApiError::BadRequest(t) => (StatusCode::BAD_REQUEST, t),
            ApiError::Unauthorized(t) => (StatusCode::UNAUTHORIZED, t),
            ApiError::Forbidden(t) => (StatusCode::FORBIDDEN, t),
            ApiError::NotFound(t) => (StatusCode::NOT_FOUND, t),
            ApiError::Unavailable(t) => (StatusCode::SERVICE_UNAVAILABLE, t),
        };
        let mut r = (status, Json(json!({ "error": text }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// The endpoints: path and what it answers (the index and the OpenAPI description).
pub const ENDPOINTS: [(&str, &str); 14] = [
    ("/api/v1/", "this list"),
    ("/api/v1/openapi.json", "OpenAPI 3 description of every endpoint"),
    ("/api/v1/meta", "what the filters can offer within the caller's scope, and the scope"),
    ("/api/v1/late", "late reporting per obligation kind (ijwmo stats late)"),
    ("/api/v1/costs", "declared, approved, rejected and credited amounts (ijwmo stats costs)"),
    ("/api/v1/rejections", "rejected declaration lines and amounts as a share of what was declared, and resubmissions (ijwmo stats rejections)"),
    ("/api/v1/forecast", "realised, remaining commitments and forecast for a year against the budget ceilings (ijwmo stats forecast)"),
    ("/api/v1/obligations", "the obligations behind a figure, late and overdue first (pseudonymised)"),
    ("/api/v1/waiting", "waiting time from the request and from the Ingangsdatum to the actual start (ijwmo stats waiting)"),
    ("/api/v1/waiting/now", "allocations in force without a start, the longest wait first (pseudonymised; ijwmo stats waiting --now)"),
    ("/api/v1/trajectories", "trajectory length, ended according to plan or early, re-entry within 6 and 12 months (ijwmo stats trajectories)"),
    ("/api/v1/handover", "Jeugdwet clients turning 18 within the horizon with an allocation running past it (pseudonymised; ijwmo stats handover)"),
    ("/api/v1/budget", "budget early warning: every ceiling against the year's forecast, worst first; view=utilisation: declared ÷ allocated volume (ijwmo stats budget)"),
    ("/api/v1/penalties", "late-declaration penalties under the server's scheme, per provider and month; 404 without a scheme (ijwmo stats penalties)"),
];

pub fn routes() -> Router<Arc<HttpState>> {
    Router::new()
        .route("/", get(index))
        .route("/openapi.json", get(openapi))
        .route("/meta", get(meta))
        .route("/late", get(late))
        .route("/costs", get(costs))
        .route("/forecast", get(forecast))
        .route("/rejections", get(rejections))
        .route("/obligations", get(obligations))
        .route("/waiting", get(waiting))
        .route("/waiting/now", get(waiting_now))
        .route("/trajectories", get(trajectories))
        .route("/handover", get(handover))
        .route("/budget", get(budget))
        .route("/penalties", get(penalties))
}

fn scope_of(state: &HttpState, headers: &HeaderMap) -> Result<Scope, ApiError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    state
        .access
        .scope(auth)
        .map_err(|Denied::Unauthenticated(why)| ApiError::Unauthorized(why.to_string()))
}

pub async fn index(State(state): St, headers: HeaderMap) -> Result<Response, ApiError> {
    scope_of(&state, &headers)?;
    let endpoints: Vec<_> = ENDPOINTS
        .iter()
        .map(|(p, d)| json!({"path": p, "description": d}))
        .collect();
    Ok(Json(json!({
        "version": "v1",
        "endpoints": endpoints,
        "openapi": "/api/v1/openapi.json",
    }))
    .into_response())
}

async fn openapi(State(state): St, headers: HeaderMap) -> Result<Response, ApiError> {
    scope_of(&state, &headers)?;
    Ok(Json(super::openapi::document()).into_response())
}

/// Narrows `filter` to the scope; a request for something outside it is a 403.
/// `payer_view`: the table counts what municipalities pay (costs and forecast by payer).
pub fn restrict(scope: &Scope, filter: &mut Filter, payer_view: bool) -> Result<(), ApiError> {
    let outside = |what: &str, asked: &str| {
        ApiError::Forbidden(format!(
            "{what}={asked} lies outside this token's scope ({scope})"
        ))
    };
    match scope {
        Scope::Regio => {}
        Scope::Gemeente(c) => {
            for (name, value) in [("gemeente", &filter.gemeente), ("betaler", &filter.betaler)] {
                if let Some(v) = value {
                    if v != c {
                        return Err(outside(name, v));
                    }
                }
            }
            if filter.gemeente.is_none() && filter.betaler.is_none() {
                if payer_view {
                    filter.betaler = Some(c.clone());
                } else {
                    filter.gemeente = Some(c.clone());
                }
            }
        }
        Scope::Aanbieder(a) => {
            if let Some(v) = &filter.agb {
                if v != a {
                    return Err(outside("agb", v));
                }
            }
            filter.agb = Some(a.clone());
        }
    }
    Ok(())
}

/// The table of `query` as the scope may see it (with the regional median for a provider).
pub fn scoped_table(
    facts: &Facts,
    scope: &Scope,
    mut filter: Filter,
    query: &Query,
) -> Result<Table, ApiError> {
    let by = query.by();
    let everyone = filter.clone();
    restrict(scope, &mut filter, by == GroupBy::Payer)?;
    let own = query::table(facts, &filter, query)?;
    if matches!(scope, Scope::Aanbieder(_)) && by == GroupBy::Provider {
        let all = query::table(facts, &everyone, query)?;
        return Ok(query::with_regional_median(own, &all));
    }
    Ok(own)
}

fn render(table: &Table, format: Format, name: &str, loaded: &super::cache::Loaded) -> Response {
    let mut r = match format {
        Format::Json => (
            [(header::CONTENT_TYPE, "application/json")],
            table.to_json_exact(),
        )
            .into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            table.to_csv(),
        )
            .into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&loaded.at.to_rfc3339()) {
        r.headers_mut().insert("x-facts-loaded-at", v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn known(extra: &[&'static str]) -> Vec<&'static str> {
    COMMON.iter().chain(extra).copied().collect()
}

async fn late(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["by", "owed_by"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let by = p.by(groupings::LATE)?;
    let loaded = state.facts.get().await?;
    let table = scoped_table(&loaded.facts, &scope, filter, &Query::Late { by })?;
    Ok(render(&table, format, "late", &loaded))
}

async fn costs(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["by", "split"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let by = p.by(groupings::COSTS)?;
    let split = p.split()?;
    let loaded = state.facts.get().await?;
    let table = scoped_table(&loaded.facts, &scope, filter, &Query::Costs { by, split })?;
    Ok(render(&table, format, "costs", &loaded))
}

/// The year a forecast shows by default: this year when care of it was declared, else the
/// latest year of declared care (a demo database of an earlier year still shows its forecast).
fn default_year(facts: &Facts) -> i32 {
    let now = query::current_year();
    let latest = facts
        .prestaties
        .iter()
        .map(|p| p.period_month.year())
        .filter(|y| *y <= now)
        .max();
    latest.unwrap_or(now)
}

async fn forecast(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["by", "year"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let by = p.by(groupings::FORECAST)?;
    let loaded = state.facts.get().await?;
    let year = p.year(default_year(&loaded.facts))?;
    let table = scoped_table(&loaded.facts, &scope, filter, &Query::Forecast { year, by })?;
    Ok(render(&table, format, "forecast", &loaded))
}

async fn rejections(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["by"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let by = p.by(groupings::REJECTIONS)?;
    let loaded = state.facts.get().await?;
    let table = scoped_table(&loaded.facts, &scope, filter, &Query::Rejections { by })?;
    Ok(render(&table, format, "rejections", &loaded))
}

async fn waiting(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["by"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let by = p.by(groupings::WAITING)?;
    let loaded = state.facts.get().await?;
    let table = scoped_table(&loaded.facts, &scope, filter, &Query::Waiting { by })?;
    Ok(render(&table, format, "waiting", &loaded))
}

/// A list of one day (waiting now, handover): narrowed to the scope, no regional median.
fn scoped_list(
    loaded: &super::cache::Loaded,
    scope: &Scope,
    mut filter: Filter,
    query: Query,
) -> Result<Table, ApiError> {
    restrict(scope, &mut filter, false)?;
    let query = query::with_default_day(query, &loaded.facts);
    Ok(query::table(&loaded.facts, &filter, &query)?)
}

async fn waiting_now(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["as_of"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let as_of = p.day("as_of")?.unwrap_or(chrono::NaiveDate::MIN);
    let loaded = state.facts.get().await?;
    let table = scoped_list(&loaded, &scope, filter, Query::WaitingNow { as_of })?;
    Ok(render(&table, format, "waiting-now", &loaded))
}

async fn trajectories(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["by", "as_of"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let by = p.by(groupings::TRAJECTORIES)?;
    let as_of = p.day("as_of")?.unwrap_or(chrono::NaiveDate::MIN);
    let loaded = state.facts.get().await?;
    let query = query::with_default_day(Query::Trajectories { by, as_of }, &loaded.facts);
    let table = scoped_table(&loaded.facts, &scope, filter, &query)?;
    Ok(render(&table, format, "trajectories", &loaded))
}

async fn handover(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["as_of", "horizon"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let as_of = p.day("as_of")?.unwrap_or(chrono::NaiveDate::MIN);
    let months = p.number(
        "horizon",
        crate::facts::handover::HORIZON_MONTHS as usize,
        120,
    )? as u32;
    let loaded = state.facts.get().await?;
    let table = scoped_list(&loaded, &scope, filter, Query::Handover { as_of, months })?;
    Ok(render(&table, format, "handover", &loaded))
}

async fn budget(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["year", "view"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let utilisation = p.view(&["ceilings", "utilisation"])? == Some("utilisation");
    let loaded = state.facts.get().await?;
    let year = p.year(default_year(&loaded.facts))?;
    let query = if utilisation {
        Query::Utilisation { year }
    } else {
        Query::Budget { year }
    };
    let table = scoped_table(&loaded.facts, &scope, filter, &query)?;
    Ok(render(&table, format, "budget", &loaded))
}

async fn penalties(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &known(&["view"]))?;
    let filter = p.filter()?;
    let format = p.format()?;
    let lines = p.view(&["months", "lines"])? == Some("lines");
    let Some(scheme) = state.facts.penalty_scheme() else {
        return Err(ApiError::NotFound(
            "no penalty scheme: start serve or dashboard with --penalty-scheme FILE".into(),
        ));
    };
    let loaded = state.facts.get().await?;
    let query = Query::Penalties {
        scheme: Box::new(scheme.clone()),
        lines,
    };
    let table = scoped_table(&loaded.facts, &scope, filter, &query)?;
    Ok(render(&table, format, "penalties", &loaded))
}

async fn obligations(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(
        raw,
        &known(&["status", "kind", "owed_by", "limit", "offset"]),
    )?;
    let mut filter = p.filter()?;
    let format = p.format()?;
    let statuses = p.statuses()?;
    let kinds = p.kinds()?;
    let limit = p.number("limit", 100, 100_000)?;
    let offset = p.number("offset", 0, usize::MAX)?;
    restrict(&scope, &mut filter, false)?;
    let loaded = state.facts.get().await?;
    let rows = query::drill_down(&loaded.facts, &filter, &statuses, &kinds);
    let total = rows.len();
    let table = query::obligations_table(rows.into_iter().skip(offset).take(limit));
    let mut r = render(&table, format, "obligations", &loaded);
    r.headers_mut()
        .insert("x-total-count", HeaderValue::from(total as u64));
    Ok(r)
}

async fn meta(
    State(state): St,
    headers: HeaderMap,
    QueryString(raw): Raw,
) -> Result<Response, ApiError> {
    let scope = scope_of(&state, &headers)?;
    let p = Params::new(raw, &COMMON)?;
    let mut filter = p.filter()?;
    restrict(&scope, &mut filter, false)?;
    let loaded = state.facts.get().await?;
    let c = loaded.facts.choices(&filter);
    let mut r = Json(json!({
        "scope": scope.to_string(),
        "months": c.months,
        "gemeenten": c.gemeenten,
        "aanbieders": c.aanbieders,
        "categorieen": c.categorieen,
        "segmenten": c.segmenten,
        "standards": c.standards,
        "current_year": default_year(&loaded.facts),
        "penalty_scheme": state.facts.penalty_scheme().map(|s| s.name.clone()),
        "budget_thresholds": loaded.facts.budgets.thresholds,
        "facts_loaded_at": loaded.at.to_rfc3339(),
    }))
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
