//! The price sanity check with its defaults on every real file: real markets, crash days
//! included, have no print 10× away from the recent median, so nothing is skipped; and the
//! same file with a fat-finger print spliced in loses exactly that print.
//! Skips with a message when the data folder is absent.

use flywheel_marketdata::sanity::{PriceSanityConfig, SanityFilter};
use flywheel_marketdata::{open, MarketDataReader, MarketEvent};

mod common;

#[test]
fn defaults_skip_nothing_in_real_files() {
    let Some(files) = common::data_files("defaults_skip_nothing_in_real_files") else {
        return;
    };
    assert!(!files.is_empty(), "no data files found");
    for path in files {
        let reader = open(&path).unwrap();
        let mut filter = SanityFilter::new(reader, &PriceSanityConfig::default()).unwrap();
        let n = filter.by_ref().map(Result::unwrap).count();
        let stats = filter.stats();
        assert!(n > 0, "{}", path.display());
        assert_eq!(stats.checked, n as u64, "{}", path.display());
        assert_eq!(
            stats.skipped,
            0,
            "{}: {:?}",
            path.display(),
            stats.first_skipped
        );
    }
}

#[test]
fn a_fat_finger_spliced_into_a_real_file_is_the_only_print_skipped() {
    let Some(files) = common::data_files("a_fat_finger_spliced_into_a_real_file") else {
        return;
    };
    let Some(path) = files
        .iter()
        .find(|p| p.to_string_lossy().contains("kraken_SOLUSD"))
    else {
        println!("skipped: the Kraken SOL file is not present");
        return;
    };
    // Line 101 becomes the same trade at 123,000,000 (the real data's worst print).
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let fields: Vec<&str> = lines[100].split(',').collect();
    lines[100] = format!("{},123000000,{}", fields[0], fields[2]);
    let data = lines.join("\n").into_bytes();

    let reader = MarketDataReader::from_reader(std::io::Cursor::new(data), "sol.csv").unwrap();
    let mut filter = SanityFilter::new(reader, &PriceSanityConfig::default()).unwrap();
    let passed: Vec<MarketEvent> = filter.by_ref().map(Result::unwrap).collect();
    let stats = filter.stats();
    assert_eq!(
        passed.len(),
        lines.len() - 2,
        "all but the header and the bad print"
    );
    assert_eq!(stats.skipped, 1);
    let first = stats.first_skipped.as_ref().unwrap().to_string();
    assert!(
        first.starts_with("sol.csv:101: price 123000000 (median 18.8"),
        "{first}"
    );
}
