//! The embedded assets: one HTML page, one script, one stylesheet, compiled into the binary
//! with `include_str!` (no CDN, no build step, nothing read from disk at run time).
//!
//! Invariant: every asset has a fixed content type and an entity tag computed from its bytes,
//! so a browser revalidates (`Cache-Control: no-cache` + `ETag`) and never runs a script from
//! an older binary against a newer page.

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name under `/assets/` (the page itself is `index.html`, served at `/`).
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");

/// The page, served at `/`.
pub const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: INDEX_HTML,
};

/// The files served under `/assets/{name}`.
pub const FILES: [Asset; 2] = [
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: APP_JS,
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: APP_CSS,
    },
];

/// The asset served under `/assets/{name}`, if any.
pub fn find(name: &str) -> Option<&'static Asset> {
    FILES.iter().find(|a| a.name == name)
}

/// FNV-1a (64 bit) of the bytes: a cheap, stable fingerprint for the entity tag. Not a
/// security measure; it only has to change when the embedded text changes.
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// The quoted entity tag of a body.
pub fn etag_of(body: &str) -> String {
    format!("\"{:016x}\"", fnv1a(body.as_bytes()))
}
