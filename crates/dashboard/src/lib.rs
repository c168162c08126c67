//! The operator dashboard of `flywheel run`: one self-contained page served at `/`, with its
//! script and stylesheet under `/assets/`. It does not know the engine: the page reads the
//! operator API (`/api/status`, `/api/events`, `/api/actions/*`, see
//! `helpers/status-contract.md`) from the same origin, so [`routes`] is merged into the
//! operator server's router.
//!
//! Invariants:
//! - The assets are compiled in ([`assets`]); nothing is fetched from another origin, and the
//!   `Content-Security-Policy` forbids it (`'self'` only, no inline script or style).
//! - Every response says its content type, `nosniff`, and revalidates (`no-cache` + `ETag`),
//!   so an upgraded binary never pairs an old script with a new page.

pub mod assets;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use assets::Asset;

/// The policy sent with every dashboard response. `connect-src 'self'` covers the `fetch`
/// and `EventSource` calls to the operator API; the charts are inline SVG built as DOM nodes,
/// so no image or inline-style source is needed; frames, forms and plugins are refused.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Revalidate every time: the files are small and an `ETag` makes the answer a 304.
pub const CACHE_CONTROL: &str = "no-cache";

/// The dashboard's routes: `GET /` and `GET /assets/{name}`. Generic over the state so it
/// merges into any router (`Router<S>::merge`).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{name}", get(asset))
}

/// The total bytes of the page and its assets (what a first visit downloads, uncompressed).
pub fn page_weight() -> usize {
    assets::INDEX.body.len() + assets::FILES.iter().map(|a| a.body.len()).sum::<usize>()
}

async fn index(headers: HeaderMap) -> Response {
    serve(&assets::INDEX, &headers)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match assets::find(&name) {
        Some(a) => serve(a, &headers),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            // The name is not echoed: it is the requester's text, and this is an HTML origin.
            "no such dashboard asset (GET /assets/{app.js,app.css})",
        )
            .into_response(),
    }
}

fn serve(a: &Asset, req: &HeaderMap) -> Response {
    let etag = assets::etag_of(a.body);
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        a.body.into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The tag is hex between quotes: always a valid header value.
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests;
