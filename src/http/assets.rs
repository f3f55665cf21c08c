//! The dashboard's files, embedded in the binary from `src/http/assets/` (the pages and their
//! built chart library are committed there, so building the crate needs no npm and the page no
//! internet).

use axum::extract::Path;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "src/http/assets/"]
struct Assets;

/// Shown when the binary was built without the dashboard's pages.
const NO_PAGES: &str = "<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><title>ijwmo</title>\
<p>Dit programma is gebouwd zonder dashboardpagina's. De API staat op <a href=\"/api/v1/\">/api/v1/</a>.</p></html>\n";

fn file(path: &str) -> Option<Response> {
    let f = Assets::get(path)?;
    let mime = f.metadata.mimetype().to_string();
    Some(
        (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-cache".to_string()),
            ],
            f.data.into_owned(),
        )
            .into_response(),
    )
}

/// `/assets/<path>`: the embedded file with its content type, or 404.
pub async fn asset(Path(path): Path<String>) -> Response {
    file(&path).unwrap_or_else(|| (StatusCode::NOT_FOUND, "no such asset\n").into_response())
}

/// Every other path: `index.html` for a GET of a page, 404 (JSON) under `/api`.
pub async fn page(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": format!("no endpoint {path}; see /api/v1/")})),
        )
            .into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    file("index.html").unwrap_or_else(|| {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NO_PAGES,
        )
            .into_response()
    })
}
