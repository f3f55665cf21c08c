//! Answers kept per loaded generation of the facts: an API table is a function of the facts,
//! the request (path and query string) and the caller's token, so while the facts stay the same
//! a repeated request is answered from memory instead of scanning every row again. A dashboard
//! page asks the same handful of tables of every analyst who opens it; a reload of the facts
//! starts a new, empty generation, so no answer outlives the rows it was computed from.
//!
//! Only successful answers are kept, each at most [`MAX_ANSWER`] bytes and
//! [`MAX_TOTAL`] bytes in all (a long drill-down is computed each time rather than held).

use super::HttpState;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The largest answer kept.
pub const MAX_ANSWER: usize = 4 << 20;
/// The most bytes one generation keeps.
pub const MAX_TOTAL: usize = 64 << 20;

/// Everything a request is answered by besides the facts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    path_and_query: String,
    authorization: Option<Vec<u8>>,
}

#[derive(Clone)]
struct Kept {
    headers: HeaderMap,
    body: Bytes,
}

/// The answers of one generation of loaded facts.
#[derive(Default)]
pub struct Answers {
    kept: Mutex<(HashMap<Key, Kept>, usize)>,
}

impl Answers {
    fn get(&self, key: &Key) -> Option<Kept> {
        self.kept.lock().ok()?.0.get(key).cloned()
    }

    fn keep(&self, key: Key, kept: Kept) {
        let Ok(mut k) = self.kept.lock() else { return };
        let size = kept.body.len();
        if size > MAX_ANSWER || k.1 + size > MAX_TOTAL {
            return;
        }
        if k.0.insert(key, kept).is_none() {
            k.1 += size;
        }
    }

    /// How many answers are kept (for tests and the debug log).
    pub fn len(&self) -> usize {
        self.kept.lock().map(|k| k.0.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Middleware over `/api/v1`: answers a GET from the current generation when it was asked
/// before, otherwise lets the handler answer and keeps a 200.
pub async fn cached(State(state): State<Arc<HttpState>>, req: Request, next: Next) -> Response {
    if req.method() != axum::http::Method::GET {
        return next.run(req).await;
    }
    // without facts (store unreachable at start) the handler gives the reason
    let Ok(loaded) = state.facts.get().await else {
        return next.run(req).await;
    };
    let key = Key {
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        authorization: req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec()),
    };
    if let Some(kept) = loaded.answers.get(&key) {
        let mut r = Body::from(kept.body).into_response();
        *r.headers_mut() = kept.headers;
        return r;
    }
    let r = next.run(req).await;
    if r.status() != StatusCode::OK {
        return r;
    }
    let (parts, body) = r.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "an API answer could not be read for the answer cache");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    loaded.answers.keep(
        key,
        Kept {
            headers: parts.headers.clone(),
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(n: usize) -> Kept {
        Kept {
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; n]),
        }
    }

    fn key(q: &str) -> Key {
        Key {
            path_and_query: q.to_string(),
            authorization: None,
        }
    }

    #[test]
    fn keeps_answers_within_the_bounds() {
        let a = Answers::default();
        a.keep(key("/late"), kept(10));
        assert_eq!(a.get(&key("/late")).map(|k| k.body.len()), Some(10));
        assert!(a.get(&key("/late?by=rule")).is_none());
        // too large for one answer
        a.keep(key("/big"), kept(MAX_ANSWER + 1));
        assert!(a.get(&key("/big")).is_none());
        // the total: fill up to just under the bound, then one more does not fit
        let n = MAX_TOTAL / MAX_ANSWER;
        for i in 0..n {
            a.keep(key(&format!("/k{i}")), kept(MAX_ANSWER));
        }
        assert_eq!(
            a.len(),
            n,
            "the first answer took room, so the last one did not fit"
        );
        a.keep(key("/one-more"), kept(MAX_ANSWER));
        assert!(a.get(&key("/one-more")).is_none());
        // a small one still fits in what is left
        a.keep(key("/small"), kept(1));
        assert!(a.get(&key("/small")).is_some());
    }

    #[test]
    fn another_token_is_another_answer() {
        let a = Answers::default();
        let mut k = key("/late");
        k.authorization = Some(b"Bearer a".to_vec());
        a.keep(k.clone(), kept(3));
        k.authorization = Some(b"Bearer b".to_vec());
        assert!(a.get(&k).is_none());
    }
}
