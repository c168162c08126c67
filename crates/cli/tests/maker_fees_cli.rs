//! `flywheel backtest --strategy maker` and its fee schedules (issue 11): the summary names
//! the schedule that applied; on Kraken's fees the run says plainly, in the summary and on
//! standard error, that the maker fee is wider than the half-spread it quotes; the default
//! zero-fee schedule says nothing.

mod common;

use common::{flywheel, sol_trades_csv};

use serde_json::Value;

#[test]
fn the_summary_names_the_fee_schedule_and_warns_on_kraken_fees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("sol.csv");
    std::fs::write(&data, sol_trades_csv(2_000)).expect("write data");
    let data = data.to_string_lossy().into_owned();
    // (name, extra args, schedule, maker fee %, warning expected)
    let cases: [(&str, &[&str], &str, &str, bool); 2] = [
        ("default", &[], "lighter", "0", false),
        (
            "kraken",
            &["--set", "maker.fee_schedule=kraken"],
            "kraken",
            "0.25",
            true,
        ),
    ];
    for (name, extra, schedule, maker_fee, warns) in cases {
        let mut args = vec![
            "backtest",
            "--strategy",
            "maker",
            "--data",
            &data,
            "--json",
            "out.json",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        let out = flywheel(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "case {name}: {stderr}");
        let text = std::fs::read_to_string(dir.path().join("out.json")).expect("summary");
        let j: Value = serde_json::from_str(&text).expect("JSON");
        let fees = &j["maker"]["fees"];
        assert_eq!(fees["schedule"], schedule, "case {name}");
        assert_eq!(fees["maker_fee_pct"], maker_fee, "case {name}");
        assert_eq!(j["status"]["fee_schedule"], schedule, "case {name}");
        assert_eq!(!fees["warning"].is_null(), warns, "case {name}: {fees}");
        assert_eq!(
            stderr.contains("every maker fill loses money"),
            warns,
            "case {name}: {stderr}"
        );
        if warns {
            assert!(stderr.contains("warning: maker.fee_schedule: the kraken maker fee"));
        }
    }
}
