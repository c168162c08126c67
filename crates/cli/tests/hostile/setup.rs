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
    write(d, "nothing.csv.gz", gzip_stored(b""));
}

/// Enough bars for a journal of several MiB, so a full disk fails it mid-run (the journal
/// buffer holds 1 MiB).
pub fn big_data(d: &Path) {
    write(d, "big.csv", ohlc_csv(3_000));
}

pub fn summary_counts_every_event(d: &Path) -> Result<(), String> {
    let raw = std::fs::read_to_string(d.join("out.json")).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_str(&raw).map_err(|e| e.to_string())?;
    match v["data"]["events"].as_u64() {
        Some(3_000) => Ok(()),
        other => Err(format!("summary data.events = {other:?}, expected 3000")),
    }
}

/// CRC-32 (IEEE), for the gzip trailer.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `data` as a gzip member of stored (uncompressed) deflate blocks; empty `data` gives one
/// empty final block, a valid gzip of nothing.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks: Vec<&[u8]> = data.chunks(0xffff).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&size.to_le_bytes());
    out
}
