//! The routes table: status codes, content types and the security headers.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

use super::*;

async fn get_with(path: &str, if_none_match: Option<&str>) -> Response {
    let mut req = Request::get(path);
    if let Some(tag) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let app: Router = routes();
    match req.body(Body::empty()) {
        Ok(r) => match app.oneshot(r).await {
            Ok(resp) => resp,
            Err(e) => match e {},
        },
        Err(e) => panic!("request for {path}: {e}"),
    }
}

fn header_of(resp: &Response, name: header::HeaderName) -> String {
    resp.headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn body_of(resp: Response) -> String {
    match axum::body::to_bytes(resp.into_body(), 1 << 20).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => panic!("body: {e}"),
    }
}

#[tokio::test]
async fn routes_table() {
    // (name, path, status, content type prefix, a marker the body must contain)
    let cases = [
        ("page", "/", 200, "text/html", "<title>Flywheel"),
        (
            "script",
            "/assets/app.js",
            200,
            "text/javascript",
            "EventSource",
        ),
        ("stylesheet", "/assets/app.css", 200, "text/css", ".card"),
        (
            "unknown asset",
            "/assets/evil.js",
            404,
            "text/plain",
            "no such dashboard asset",
        ),
        (
            "path traversal",
            "/assets/..%2Fsrc%2Flib.rs",
            404,
            "text/plain",
            "no such",
        ),
        ("unknown page", "/nope", 404, "", ""),
    ];
    for (name, path, status, ctype, marker) in cases {
        let resp = get_with(path, None).await;
        assert_eq!(resp.status().as_u16(), status, "{name}: status of {path}");
        let ct = header_of(&resp, header::CONTENT_TYPE);
        assert!(ct.starts_with(ctype), "{name}: content type {ct:?}");
        if status == 200 {
            assert_eq!(
                header_of(&resp, header::CONTENT_SECURITY_POLICY),
                CONTENT_SECURITY_POLICY,
                "{name}: CSP"
            );
            assert_eq!(
                header_of(&resp, header::CACHE_CONTROL),
                "no-cache",
                "{name}"
            );
            assert_eq!(header_of(&resp, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert!(
                header_of(&resp, header::ETAG).starts_with('"'),
                "{name}: etag"
            );
        }
        let body = body_of(resp).await;
        assert!(body.contains(marker), "{name}: body lacks {marker:?}");
    }
}

#[test]
fn csp_allows_only_self() {
    // Every fetch directive names 'self' or 'none' and nothing else: no host, no scheme,
    // no 'unsafe-inline' / 'unsafe-eval'.
    for directive in CONTENT_SECURITY_POLICY.split(';') {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap_or("");
        for source in words {
            assert!(
                source == "'self'" || source == "'none'",
                "{name} allows {source}"
            );
        }
    }
    assert!(CONTENT_SECURITY_POLICY.contains("default-src 'none'"));
}

#[tokio::test]
async fn a_matching_etag_gets_304_and_a_stale_one_the_body() {
    let first = get_with("/assets/app.js", None).await;
    let tag = header_of(&first, header::ETAG);
    let again = get_with("/assets/app.js", Some(&tag)).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(body_of(again).await.is_empty());
    let stale = get_with("/assets/app.js", Some("\"0000000000000000\"")).await;
    assert_eq!(stale.status(), StatusCode::OK);
}

#[test]
fn the_page_uses_only_its_own_assets() {
    // No CDN, no inline script or style (the CSP would block them anyway).
    let html = assets::INDEX.body;
    for forbidden in [
        "http://", "https://", "<style", "style=", "onclick", "<script>",
    ] {
        assert!(
            !html.contains(forbidden),
            "index.html contains {forbidden:?}"
        );
    }
    for a in assets::FILES {
        assert!(
            html.contains(&format!("/assets/{}", a.name)),
            "{} not linked",
            a.name
        );
        // The SVG namespace is a name, not a fetch; any other absolute URL is.
        let body = a.body.replace("\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{}",
            a.name
        );
    }
    // Data never goes through innerHTML (the script escapes by using textContent).
    let js = assets::FILES[0].body;
    assert!(!js.contains("innerHTML") && !js.contains("insertAdjacentHTML"));
    assert!(!js.contains("eval("));
}

#[test]
fn page_weight_is_the_sum_of_the_assets_and_reported() {
    let w = page_weight();
    let sum: usize = [assets::INDEX]
        .iter()
        .chain(assets::FILES.iter())
        .map(|a| a.body.len())
        .sum();
    assert_eq!(w, sum);
    // What a gzip-serving proxy would send: each file compressed on its own (level 9).
    let gz: usize = [assets::INDEX]
        .iter()
        .chain(assets::FILES.iter())
        .map(|a| gzip_len(a.body))
        .sum();
    println!("dashboard page weight: {w} bytes raw, {gz} bytes gzipped");
    // A budget, not a target: the whole page stays well under 64 KiB uncompressed.
    assert!(w < 64 * 1024, "page weight {w} bytes");
}

fn gzip_len(text: &str) -> usize {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let done = enc.write_all(text.as_bytes()).and_then(|()| enc.finish());
    match done {
        Ok(bytes) => bytes.len(),
        Err(e) => panic!("gzip in memory: {e}"),
    }
}
