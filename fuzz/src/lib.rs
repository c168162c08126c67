//! What every reader fuzz target checks, beyond "no panic, no hang, no runaway memory"
//! (libFuzzer's own -timeout and -rss_limit_mb): the stream ends, and every error names the
//! place, as `crates/marketdata/tests/hostile_input.rs` checks for its generated inputs.

use std::io::{Cursor, Read, Write};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use flywheel_marketdata::sanity::{PriceSanityConfig, SanityFilter, SanityMode};
use flywheel_marketdata::{DataError, Format, MarketDataReader};

pub const NAME: &str = "fuzz.dat";

/// Inputs up to this size are also read gzip-compressed (the decoder path with content).
const GZIP_ALSO_BELOW: usize = 4096;

fn lines_in(data: &[u8]) -> u64 {
    let plain = if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // A corrupt stream stops with an error; what was decoded before it stays in `out`.
        let _ = MultiGzDecoder::new(data).read_to_end(&mut out);
        out
    } else {
        data.to_vec()
    };
    plain.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Panics (a crash for libFuzzer) unless `err` names the file, and the line for content
/// errors, on one line.
fn check_error(err: &DataError, lines: u64) {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "message spans lines: {msg}");
    assert_eq!(err.file(), NAME, "{msg}");
    match err {
        DataError::Row { at, .. } | DataError::Read { at, .. } => {
            assert!(msg.starts_with(&format!("{NAME}:{at}: ")), "{msg}");
            assert!(
                at.line >= 1 && at.line <= lines,
                "line {} of {lines}: {msg}",
                at.line
            );
            assert!(at.column.is_none_or(|c| c >= 1), "{msg}");
        }
        DataError::Open { .. } | DataError::Format { .. } => {
            assert!(msg.starts_with(&format!("{NAME}: ")), "{msg}");
        }
    }
}

fn drain(data: &[u8], format: Option<Format>, sanity: Option<&PriceSanityConfig>) {
    let lines = lines_in(data);
    let reader = match MarketDataReader::from_reader_as(Cursor::new(data.to_vec()), NAME, format) {
        Ok(r) => r,
        Err(e) => return check_error(&e, lines),
    };
    let items: Box<dyn Iterator<Item = Result<_, DataError>>> = match sanity {
        Some(config) => Box::new(SanityFilter::new(reader, config).expect("valid config")),
        None => Box::new(reader),
    };
    for item in items {
        if let Err(e) = item {
            check_error(&e, lines);
        }
    }
}

/// Read `data` as `format` (forced), by detection, and through the sanity filter in both
/// modes; small inputs also gzip-compressed.
pub fn exercise(data: &[u8], format: Format) {
    let reject = PriceSanityConfig {
        mode: SanityMode::Reject,
        window: 3,
        ..PriceSanityConfig::default()
    };
    drain(data, Some(format), None);
    drain(data, None, None);
    drain(data, Some(format), Some(&PriceSanityConfig::default()));
    drain(data, None, Some(&reject));
    if data.len() < GZIP_ALSO_BELOW {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).expect("writing to a Vec");
        let zipped = e.finish().expect("writing to a Vec");
        drain(&zipped, Some(format), None);
    }
}
