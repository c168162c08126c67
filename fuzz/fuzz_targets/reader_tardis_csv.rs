//! The market data reader on arbitrary bytes, forced to `tardis-csv` and by detection, with
//! the price sanity filter; see `flywheel_fuzz::exercise`.
#![no_main]

use flywheel_marketdata::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| flywheel_fuzz::exercise(data, Format::TardisCsv));
