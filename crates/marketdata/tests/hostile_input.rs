//! Hostile input never panics, never hangs, never grows memory without bound, and every
//! error names the place.
//!
//! Property tests feed every reader (format detection and each forced format, and the price
//! sanity filter behind them) random bytes, gzip-wrapped random bytes, random bytes behind
//! each format's valid header, and real files (the first KiB of each file in shared/data,
//! decompressed here) with bytes flipped, inserted and deleted and the end cut off. Endless
//! inputs (a 10 MB line, `/dev/zero`-like readers) must end with the limit's error after
//! reading a bounded amount: the assertion is on bytes consumed, never on time.
//!
//! "Names the place": every error's message starts with the file name; an error about the
//! content (`Row`, `Read`) starts with `name:line` (and `:column` for JSON), with the line
//! inside the input; an error about the whole file (`Open`, `Format`) starts with `name: `.

use std::io::{Cursor, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use flywheel_marketdata::limits::{MAX_LINE_BYTES, MAX_WHITESPACE_RUN};
use flywheel_marketdata::sanity::{PriceSanityConfig, SanityFilter, SanityMode};
use flywheel_marketdata::{DataError, Format, MarketDataReader};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, TestRunner};

mod common;

const NAME: &str = "input.dat";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).expect("writing to a Vec");
    e.finish().expect("writing to a Vec")
}

/// The bytes a reader sees after decompression (as far as the gzip stream is readable).
fn plain(data: &[u8]) -> Vec<u8> {
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // A corrupt stream stops with an error; what was decoded before it stays in `out`.
        let _ = MultiGzDecoder::new(data).read_to_end(&mut out);
        out
    } else {
        data.to_vec()
    }
}

/// Check that `err` names the place, and that its line is inside the (decompressed) input.
fn check_error(err: &DataError, lines: u64) -> Result<(), TestCaseError> {
    let msg = err.to_string();
    prop_assert!(!msg.contains('\n'), "message spans lines: {msg}");
    prop_assert_eq!(err.file(), NAME);
    match err {
        DataError::Row { at, .. } | DataError::Read { at, .. } => {
            let prefix = format!("{NAME}:{at}: ");
            prop_assert!(msg.starts_with(&prefix), "{msg} (want {prefix})");
            prop_assert!(
                at.line >= 1 && at.line <= lines,
                "line {} of {lines}: {msg}",
                at.line
            );
            prop_assert!(at.column.is_none_or(|c| c >= 1), "{msg}");
        }
        DataError::Open { .. } | DataError::Format { .. } => {
            prop_assert!(msg.starts_with(&format!("{NAME}: ")), "{msg}");
        }
    }
    Ok(())
}

/// Read `data` to the end with the given forced format (or detection), optionally through
/// the sanity filter; check every error. The stream must end (it is fused after an error).
fn read_all(
    data: &[u8],
    format: Option<Format>,
    sanity: Option<&PriceSanityConfig>,
    lines: u64,
) -> Result<(), TestCaseError> {
    let reader = match MarketDataReader::from_reader_as(Cursor::new(data.to_vec()), NAME, format) {
        Ok(r) => r,
        Err(e) => return check_error(&e, lines),
    };
    let items: Box<dyn Iterator<Item = Result<_, DataError>>> = match sanity {
        Some(config) => Box::new(SanityFilter::new(reader, config).expect("valid config")),
        None => Box::new(reader),
    };
    let mut events = 0usize;
    for item in items {
        match item {
            Ok(_) => events += 1,
            Err(e) => check_error(&e, lines)?,
        }
        // Every event needs at least a few bytes of (decompressed) input: a reader that
        // produced more would be looping.
        prop_assert!(events <= data.len().max(1) * 1000, "too many events");
    }
    Ok(())
}

/// Every reader on `data`: detection, each forced format, and the sanity filter (skip and
/// reject) behind detection.
fn exercise(data: &[u8]) -> Result<(), TestCaseError> {
    let lines = plain(data).iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    read_all(data, None, None, lines)?;
    for format in Format::ALL {
        read_all(data, Some(format), None, lines)?;
    }
    let reject = PriceSanityConfig {
        mode: SanityMode::Reject,
        window: 3,
        ..PriceSanityConfig::default()
    };
    read_all(data, None, Some(&PriceSanityConfig::default()), lines)?;
    read_all(data, None, Some(&reject), lines)
}

/// The start of a valid file of each format (and a few variants).
const HEADERS: &[&[u8]] = &[
    b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n",
    b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
      coinbase,DOGE-USD,1760054400172744,1760054400220266,151769426,buy,0.24864,1121.7\n",
    b"TS,PRICE,VOLUME\n",
    b"TS,PRICE,VOLUME\r\n1688169649,18.89000,2.50000000\r\n",
    b"1688169649,18.89000,2.50000000\n",
    b"\xEF\xBB\xBFtime,open,high,low,close,volume\n",
    b"time,open,high,low,close\n2021-04-02T00:00:00Z,1,2,0.5,1.5\n",
    b"[",
    b"[[1631917380000,0.2412,0.2414,0.241,0.2414,267830.0],",
    b"[\n  [1631917380000, \"1.5\", \"2\", \"1\", \"1.5\", null],\n",
];

/// Bytes that matter to the parsers, so random input gets past the first check more often.
const ALPHABET: &[u8] = b"0123456789012345678901234567890123456789.,,,\n\n\r\"-+eE []nul\t\0";

fn csvish(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(select(ALPHABET), 0..max)
}

fn headed() -> impl Strategy<Value = Vec<u8>> {
    let tail = prop_oneof![prop::collection::vec(any::<u8>(), 0..1024), csvish(2048)];
    (select(HEADERS), tail).prop_map(|(h, t)| [h, t.as_slice()].concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&data)?;
    }

    #[test]
    fn random_parser_bytes(data in csvish(4096)) {
        exercise(&data)?;
    }

    #[test]
    fn gzip_wrapped_random_bytes(
        data in prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), csvish(4096)],
    ) {
        exercise(&gzip(&data))?;
    }

    #[test]
    fn random_bytes_behind_a_valid_header(data in headed(), zip in any::<bool>()) {
        let data = if zip { gzip(&data) } else { data };
        exercise(&data)?;
    }
}

/// How much of each real file the mutation test starts from.
const PREFIX: usize = 16 * 1024;

/// One edit of a byte string; positions are scaled to its length when applied.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![any::<u8>(), select(ALPHABET)];
    prop_oneof![
        4 => (any::<Index>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        4 => (any::<Index>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        4 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut data: Vec<u8>, edits: &[Mutation]) -> Vec<u8> {
    for m in edits {
        let n = data.len();
        match m {
            Mutation::Flip(i, x) if n > 0 => data[i.index(n)] ^= x,
            Mutation::Insert(i, b) => data.insert(i.index(n + 1), *b),
            Mutation::Delete(i) if n > 0 => {
                data.remove(i.index(n));
            }
            Mutation::Truncate(i) => data.truncate(i.index(n + 1)),
            _ => {}
        }
    }
    data
}

/// (file name, first `PREFIX` bytes decompressed, first `PREFIX` bytes as stored).
type Prefix = (String, Vec<u8>, Vec<u8>);

/// The real files' prefixes, read once; `None` when the data folder is absent.
fn real_prefixes() -> Option<&'static [Prefix]> {
    static PREFIXES: OnceLock<Option<Vec<Prefix>>> = OnceLock::new();
    PREFIXES
        .get_or_init(|| {
            let files = common::data_files("mutated_real_files")?;
            let mut out = Vec::new();
            for path in files {
                let name = path.file_name()?.to_string_lossy().into_owned();
                let mut stored = Vec::new();
                std::fs::File::open(&path)
                    .and_then(|f| f.take(PREFIX as u64).read_to_end(&mut stored))
                    .expect("reading a data file");
                let mut decompressed = Vec::new();
                let file = std::fs::File::open(&path).expect("opening a data file");
                if name.ends_with(".gz") {
                    MultiGzDecoder::new(file)
                        .take(PREFIX as u64)
                        .read_to_end(&mut decompressed)
                        .expect("decompressing a data file");
                } else {
                    decompressed.clone_from(&stored);
                }
                out.push((name, decompressed, stored));
            }
            Some(out)
        })
        .as_deref()
}

#[test]
fn mutated_real_files() {
    let Some(prefixes) = real_prefixes() else {
        return;
    };
    assert!(!prefixes.is_empty(), "no data files");
    // The unmutated prefixes first: they read cleanly up to the cut.
    for (name, decompressed, _) in prefixes {
        exercise(decompressed).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let mut runner = TestRunner::new(Config::with_cases(512));
    let strategy = (
        0..prefixes.len(),
        0..3u8,
        prop::collection::vec(mutation(), 1..8),
    );
    runner
        .run(&strategy, |(file, variant, edits)| {
            let (_, decompressed, stored) = &prefixes[file];
            let data = match variant {
                // The content, edited.
                0 => mutate(decompressed.clone(), &edits),
                // The content, edited, then compressed.
                1 => gzip(&mutate(decompressed.clone(), &edits)),
                // The stored bytes (for .gz files: the compressed stream), edited.
                _ => mutate(stored.clone(), &edits),
            };
            exercise(&data)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A reader of `len` copies of `byte` (`u64::MAX`: endless) that counts what was read.
struct Endless {
    byte: u8,
    left: u64,
    read: Arc<AtomicU64>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buf[..n].fill(self.byte);
        self.left -= n as u64;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Read through `prefix` then `len` bytes of `byte`; the first error and the bytes consumed.
fn first_error(prefix: &[u8], byte: u8, len: u64, zip: bool) -> (String, u64) {
    let read = Arc::new(AtomicU64::new(0));
    let tail = Endless {
        byte,
        left: len,
        read: Arc::clone(&read),
    };
    let source: Box<dyn Read + Send> = if zip {
        // Compressed on the fly: the gzip encoder reads the endless tail as it is asked.
        let plain = Cursor::new(prefix.to_vec()).chain(tail);
        Box::new(flate2::read::GzEncoder::new(plain, Compression::fast()))
    } else {
        Box::new(Cursor::new(prefix.to_vec()).chain(tail))
    };
    let err = match MarketDataReader::from_reader(source, NAME) {
        Err(e) => e,
        Ok(mut r) => r
            .find_map(Result::err)
            .expect("an endless input must end with an error"),
    };
    (err.to_string(), read.load(Ordering::Relaxed))
}

#[test]
fn endless_inputs_end_with_the_limit_error_after_a_bounded_read() {
    const TEN_MB: u64 = 10_000_000;
    let endless = u64::MAX;
    let line = "input.dat:1: line longer than 65536 bytes";
    /// (name, prefix, repeated byte, length, gzip, expected message start)
    type Case<'a> = (&'a str, &'a [u8], u8, u64, bool, &'a str);
    let cases: [Case; 9] = [
        ("a 10 MB line", b"", b'7', TEN_MB, false, line),
        ("a 10 MB line, gzip", b"", b'7', TEN_MB, true, line),
        (
            "endless NUL bytes (/dev/zero)",
            b"",
            0,
            endless,
            false,
            line,
        ),
        ("endless NUL bytes, gzip", b"", 0, endless, true, line),
        (
            "a 10 MB field after a header",
            b"TS,PRICE,VOLUME\n1688169649,",
            b'1',
            TEN_MB,
            false,
            "input.dat:2: line longer than 65536 bytes",
        ),
        (
            "an unclosed quote",
            b"TS,PRICE,VOLUME\n\"",
            b'\n',
            endless,
            false,
            "input.dat:2: record starting on this line is longer than 65536 bytes",
        ),
        (
            "endless spaces",
            b"",
            b' ',
            endless,
            false,
            "input.dat: no data in the first 1 MiB",
        ),
        (
            "endless blank lines after a header",
            b"TS,PRICE,VOLUME\n",
            b'\n',
            endless,
            false,
            "input.dat:1048579: more than 1048576 bytes of blank lines",
        ),
        (
            "endless spaces in a JSON array",
            b"[",
            b' ',
            endless,
            false,
            "input.dat:1:1048579: more than 1048576 bytes of whitespace",
        ),
    ];
    // Each limit is met after at most itself plus a few buffers of read-ahead. (With gzip the
    // count is what the test's encoder read ahead to fill the reader's 64 KiB of compressed
    // input, megabytes of such repetitive bytes, so only the error is checked; an endless
    // input ending at all shows the reader stopped.)
    let bound = (MAX_WHITESPACE_RUN.max(MAX_LINE_BYTES) + 1024 * 1024) as u64;
    for (name, prefix, byte, len, zip, want) in cases {
        let (err, read) = first_error(prefix, byte, len, zip);
        assert!(
            err.starts_with(want),
            "case {name}:\n got: {err}\nwant: {want}"
        );
        if !zip {
            assert!(
                read <= bound,
                "case {name}: read {read} bytes (bound {bound})"
            );
        }
    }
}

/// The fuzz targets' seed corpus (`fuzz/corpus/reader_*`, committed): the hand-written seeds
/// (descriptive names) read cleanly by detection, so `cargo test` keeps them valid; every file
/// there (libFuzzer adds its finds under hash names when run on that folder) survives every
/// reader path.
#[test]
fn fuzz_seed_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        println!("fuzz_seed_corpus: skipped: no {}", root.display());
        return;
    };
    let mut seeds = 0;
    for dir in dirs.filter_map(Result::ok).map(|d| d.path()) {
        if !dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("reader_"))
        {
            continue;
        }
        for path in std::fs::read_dir(&dir)
            .expect("a corpus folder")
            .filter_map(Result::ok)
        {
            let data = std::fs::read(path.path()).expect("a seed file");
            exercise(&data).unwrap_or_else(|e| panic!("{}: {e}", path.path().display()));
            let name = path.file_name().to_string_lossy().into_owned();
            if name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let reader = MarketDataReader::from_reader(Cursor::new(data.clone()), NAME)
                .unwrap_or_else(|e| panic!("{}: {e}", path.path().display()));
            for item in reader {
                item.unwrap_or_else(|e| panic!("{}: {e}", path.path().display()));
            }
            seeds += 1;
        }
    }
    assert!(seeds >= 4, "only {seeds} seeds under {}", root.display());
}
