//! Count the events of a market data file and report the read speed.
//!
//! ```text
//! cargo run --release -p flywheel-marketdata --example count -- FILE [FORMAT]
//! ```
//! FORMAT forces one of freqtrade-json, tardis-csv, kraken-csv, ohlc-csv.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use flywheel_marketdata::{Format, MarketDataReader, MarketEvent};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: count FILE [FORMAT]");
        return ExitCode::from(2);
    };
    let format = match args.next().map(|f| f.to_string_lossy().parse::<Format>()) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let reader = match MarketDataReader::open_with(&path, format) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let format = reader.format();
    let interval = reader.bar_interval();
    let (mut events, mut trades, mut bars) = (0u64, 0u64, 0u64);
    let mut first: Option<MarketEvent> = None;
    let mut last: Option<MarketEvent> = None;
    for event in reader {
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        events += 1;
        match event {
            MarketEvent::Trade(_) => trades += 1,
            MarketEvent::Bar(_) => bars += 1,
        }
        if first.is_none() {
            first = Some(event.clone());
        }
        last = Some(event);
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!("file: {}", path.display());
    println!("format: {format}");
    if let Some(ms) = interval {
        println!("bar interval: {} s", ms as f64 / 1000.0);
    }
    println!("events: {events} ({trades} trades, {bars} bars)");
    for (label, e) in [("first", &first), ("last", &last)] {
        if let Some(e) = e {
            match e {
                MarketEvent::Trade(t) => {
                    println!("{label}: time {} ms, price {}", t.ts.millis(), t.price)
                }
                MarketEvent::Bar(b) => println!(
                    "{label}: open time {} ms (close {} ms), open {} close {}",
                    b.open_time.millis(),
                    b.close_time.millis(),
                    b.open,
                    b.close
                ),
            }
        }
    }
    let rate = if elapsed > 0.0 {
        events as f64 / elapsed
    } else {
        f64::INFINITY
    };
    println!(
        "elapsed: {:.1} ms, {:.2} M events/s",
        elapsed * 1000.0,
        rate / 1e6
    );
    ExitCode::SUCCESS
}
