//! TLS set-up for the shells.
//!
//! rustls needs a process-wide crypto provider when more than one could be compiled in; we
//! compile only `ring` (aws-lc-rs needs cmake and a C toolchain, live.md §4), and install it
//! once here. Every constructor of a network shell calls [`init`], so callers never have to.

use std::sync::Once;

static INIT: Once = Once::new();

/// Install rustls' `ring` provider as the process default. Idempotent; an already installed
/// provider (by us or by the application) is kept.
pub fn init() {
    INIT.call_once(|| {
        // `Err` only means some provider is already installed: that one serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn init_twice_is_fine() {
        super::init();
        super::init();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
