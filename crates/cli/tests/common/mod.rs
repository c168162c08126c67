//! Shared fixtures of the CLI's integration tests: the binary run in a clean environment, and
//! synthetic market data in the readers' formats.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, run in `dir`, with every inherited `FLYWHEEL_` variable removed.
pub fn flywheel(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flywheel"));
    cmd.args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FLYWHEEL_") {
            cmd.env_remove(name);
        }
    }
    cmd.output().expect("run flywheel")
}

/// `shared/data/NAME` beside the repository (`FLYWHEEL_DATA_DIR` overrides), or `None` after
/// saying on standard error that the test skips.
pub fn real_data(name: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("FLYWHEEL_DATA_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared").join("data"))
            .find(|d| d.is_dir()),
    };
    let path = dir.map(|d| d.join(name)).filter(|p| p.is_file());
    if path.is_none() {
        eprintln!(
            "SKIP: shared/data/{name} not found beside the repository (or FLYWHEEL_DATA_DIR)"
        );
    }
    path
}

/// DOGE-like trades around 0.18 (±0.4 %, one every 3 s), in the Tardis CSV layout.
pub fn doge_trades_csv(n: usize) -> String {
    let mut csv = String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    let path = [
        "0.1800000",
        "0.1792800",
        "0.1785600",
        "0.1792800",
        "0.1800000",
        "0.1807200",
        "0.1814400",
        "0.1807200",
    ];
    for i in 0..n {
        let us = (1_760_000_000 + 3 * i as i64) * 1_000_000;
        let side = if i % 2 == 0 { "buy" } else { "sell" };
        let price = path[i % path.len()];
        csv.push_str(&format!(
            "gemini,DOGEUSD,{us},{us},{i},{side},{price},500\n"
        ));
    }
    csv
}

/// SOL-like trades around 200 (±0.3 %, one every 2 s), in the Tardis CSV layout.
pub fn sol_trades_csv(n: usize) -> String {
    let mut csv = String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    let path = [
        "200.000", "199.700", "199.400", "199.700", "200.000", "200.300", "200.600", "200.300",
    ];
    for i in 0..n {
        let us = (1_760_000_000 + 2 * i as i64) * 1_000_000;
        let side = if i % 2 == 0 { "buy" } else { "sell" };
        let price = path[i % path.len()];
        csv.push_str(&format!("gemini,SOLUSD,{us},{us},{i},{side},{price},2\n"));
    }
    csv
}
