//! Setups for `hostile_cli.rs`: each fills a fresh temporary directory with small synthetic
//! files. Names are what the cases' command lines refer to.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// An OHLC CSV of `bars` one-minute bars from 2024-01-01 swinging ±2 % around 0.1, so the
/// grid and the maker both trade.
fn ohlc_csv(bars: usize) -> String {
    let mut csv = String::from("time,open,high,low,close,volume\n");
    let path = ["0.1", "0.098", "0.1", "0.102"];
    for i in 0..bars {
        let t = 1_704_067_200 + 60 * i;
        let (open, close) = (path[i % 4], path[(i + 1) % 4]);
        let (high, low) = if open >= close {
            (open, close)
        } else {
            (close, open)
        };
        csv.push_str(&format!("{t},{open},{high},{low},{close},1000\n"));
    }
    csv
}

fn write(d: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(d.join(name), bytes).expect("write setup file");
}

pub fn nothing(_: &Path) {}

pub fn data(d: &Path) {
    write(d, "data.csv", ohlc_csv(40));
}

/// `data.csv` whose line 30 is not a number: a run stops there with `data.csv:30`.
pub fn data_bad_late(d: &Path) {
    let mut lines: Vec<String> = ohlc_csv(40).lines().map(str::to_string).collect();
    lines[29] = lines[29].replacen(",0.1", ",0.1x", 1);
    write(d, "data.csv", lines.join("\n") + "\n");
}

pub fn configs(d: &Path) {
    write(d, "good.toml", "[grid]\nslots = 3\n");
    write(d, "other.toml", "[grid]\nslots = 4\n");
    write(d, "bad.toml", "[grid]\nnonsense = 1\n");
}

pub fn data_and_configs(d: &Path) {
    data(d);
    configs(d);
}

pub fn data_bad_late_and_configs(d: &Path) {
    data_bad_late(d);
    configs(d);
}

pub fn data_and_links(d: &Path) {
    data(d);
    std::os::unix::fs::symlink("data.csv", d.join("link.jsonl")).expect("symlink");
    std::fs::hard_link(d.join("data.csv"), d.join("hard.json")).expect("hard link");
}

/// Outputs of an earlier run, which a failed run must leave as they are.
pub fn outputs(d: &Path) {
    write(d, "out.json", "{\"earlier\": \"run\"}\n");
    write(d, "r.html", "<html>earlier report</html>\n");
    write(d, "j.jsonl", "{\"kind\":\"earlier journal\"}\n");
    write(d, "ro.json", "read-only\n");
    let ro = std::fs::Permissions::from_mode(0o444);
    std::fs::set_permissions(d.join("ro.json"), ro).expect("chmod");
    write(d, "header.csv", "time,open,high,low,close,volume\n");
}

pub fn data_and_outputs(d: &Path) {
    data(d);
    outputs(d);
}

pub fn data_bad_late_and_outputs(d: &Path) {
    data_bad_late(d);
    outputs(d);
}

pub fn empties(d: &Path) {
    write(d, "header.csv", "time,open,high,low,close,volume\n");
    write(d, "array.json", "[]\n");
    write(d, "zero.csv", "");
    write(d, "nothing.csv.gz", gzip(b""));
}

/// Enough bars for a journal of several MiB, so a full disk fails it mid-run (the journal
/// buffer holds 1 MiB).
pub fn big_data(d: &Path) {
    write(d, "big.csv", ohlc_csv(3_000));
}

pub fn summary_counts_every_event(d: &Path) -> Result<(), String> {
    match field(d, &["data", "events"])?.as_u64() {
        Some(3_000) => Ok(()),
        other => Err(format!("summary data.events = {other:?}, expected 3000")),
    }
}

/// `data` gzipped (a valid gzip of nothing when `data` is empty).
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// A Kraken time & sales CSV (`TS,PRICE,VOLUME`, seconds) of `prices` from 2023-07-01,
/// one print `step` seconds apart; `last_at` moves the last row's time (a typo).
fn kraken_csv(prices: &[&str], step: i64, last_at: Option<i64>) -> String {
    let mut csv = String::from("TS,PRICE,VOLUME\n");
    for (i, price) in prices.iter().enumerate() {
        let mut t = 1_688_169_649 + step * i as i64;
        if i + 1 == prices.len() {
            t = last_at.unwrap_or(t);
        }
        csv.push_str(&format!("{t},{price},1\n"));
    }
    csv
}

/// 400 SOL prints around $200; the print on line 202 is 123,000,000 (a fat finger).
pub fn spike(d: &Path) {
    let mut prices = ["200.1", "199.9", "200.3", "200.0"].repeat(100);
    prices[200] = "123000000";
    write(d, "spike.csv", kraken_csv(&prices, 30, None));
}

/// 60 prints a minute apart, the last one mistyped into 2043 (line 61).
pub fn typo_2043(d: &Path) {
    let prices = ["200.1", "199.9"].repeat(30);
    write(d, "typo.csv", kraken_csv(&prices, 60, Some(2_318_000_000)));
}

/// Two prints, at 1970-01-01 and at 9999-12-31 (a Tardis trades CSV, microseconds).
pub fn span_1970_9999(d: &Path) {
    let header = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";
    let row = |t: i64, id: u32| format!("gemini,SOLUSD,{t},{t},{id},buy,20.5,1\n");
    let csv = format!(
        "{header}{}{}",
        row(1_000_000, 1),
        row(253_402_300_799_000_000, 2)
    );
    write(d, "span.csv", csv);
}

/// Two thousand one-minute bars: enough fills for large totals.
pub fn month_like(d: &Path) {
    write(d, "data.csv", ohlc_csv(2_000));
}

/// `out.json`'s field at `path` (e.g. `["data", "sanity", "skipped"]`).
fn field(d: &Path, path: &[&str]) -> Result<serde_json::Value, String> {
    let raw = std::fs::read_to_string(d.join("out.json")).map_err(|e| e.to_string())?;
    let mut v: serde_json::Value = serde_json::from_str(&raw).map_err(|e| e.to_string())?;
    for key in path {
        v = v[*key].take();
    }
    Ok(v)
}

pub fn one_print_skipped(d: &Path) -> Result<(), String> {
    let skipped = field(d, &["data", "sanity", "skipped"])?;
    let first = field(d, &["data", "sanity", "first_skipped"])?;
    let halted = field(d, &["integrity", "halted"])?;
    match (skipped.as_u64(), first.as_str(), halted.as_bool()) {
        (Some(1), Some(f), Some(false)) if f.starts_with("spike.csv:202: price 123000000") => {
            Ok(())
        }
        other => Err(format!("sanity/halt figures: {other:?}")),
    }
}

pub fn spike_refused_and_halted(d: &Path) -> Result<(), String> {
    let refused = field(d, &["integrity", "marks_refused"])?;
    let reason = field(d, &["integrity", "halt_reason"])?;
    match (refused.as_u64(), reason.as_str()) {
        (Some(n), Some(r)) if n >= 1 && r.starts_with("price 123000000 refused") => Ok(()),
        other => Err(format!("refusal figures: {other:?}")),
    }
}

pub fn reconciled_and_trading(d: &Path) -> Result<(), String> {
    let reconciled = field(d, &["balances", "reconciled"])?;
    let placed = field(d, &["orders", "placed"])?;
    let halted = field(d, &["integrity", "halted"])?;
    match (reconciled.as_bool(), placed.as_u64(), halted.as_bool()) {
        (Some(true), Some(n), Some(false)) if n > 10 => Ok(()),
        other => Err(format!("reconciled, orders placed, halted: {other:?}")),
    }
}

pub fn crossed_the_gap(d: &Path) -> Result<(), String> {
    let loops = field(d, &["loops"])?;
    match loops.as_u64() {
        Some(n) if n > 8_000_000_000 => Ok(()),
        other => Err(format!(
            "loops = {other:?}, expected every 30 s loop of 8000 years"
        )),
    }
}

/// A CSV whose second line is 200,000 bytes with no end of line.
pub fn endless_line(d: &Path) {
    write(
        d,
        "long.csv",
        format!("time,open,high,low,close,volume\n{}", "7".repeat(200_000)),
    );
}
