//! Property tests of the configuration loader on random files: every key of every section
//! set to a random value of any type (huge and tiny numbers, NaN and infinities, over-precise
//! decimals, booleans, strings).
//!
//! - `validation_never_panics`: loading returns a configuration or problems, never panics;
//!   an accepted configuration has no error, and its rendering (`config defaults` format)
//!   loads back to the same configuration.

use flywheel_cli::config_file::{parse_config, FlywheelConfig};
use flywheel_cli::render::render_defaults;
use proptest::prelude::*;

/// Every `(section, key)` of the file, optional keys included.
fn all_keys() -> Vec<(&'static str, &'static str)> {
    let sections = FlywheelConfig::default()
        .section_docs()
        .expect("defaults serialize");
    sections
        .iter()
        .flat_map(|s| s.keys.iter().map(move |(k, _)| (s.name, *k)))
        .collect()
}

/// A TOML value of any kind, biased toward the edges of the numeric ranges.
fn value() -> impl Strategy<Value = String> {
    let float = any::<f64>().prop_map(|f| {
        if f.is_nan() {
            "nan".to_string()
        } else if f.is_infinite() {
            if f > 0.0 { "inf" } else { "-inf" }.to_string()
        } else {
            format!("{f:?}")
        }
    });
    let decimal = (any::<i64>(), 0u32..12).prop_map(|(m, d)| {
        let digits = m.unsigned_abs().to_string();
        let sign = if m < 0 { "-" } else { "" };
        let d = d as usize;
        if d == 0 || digits.len() <= d {
            format!("\"{sign}{digits}\"")
        } else {
            let (int, frac) = digits.split_at(digits.len() - d);
            format!("\"{sign}{int}.{frac}\"")
        }
    });
    let edge = prop::sample::select(vec![
        "0",
        "-1",
        "1",
        "0.000000001",
        "1000",
        "1000000",
        "1000000000",
        "9200000000",
        "9223372036854775807",
        "-9223372036854775808",
        "1e300",
        "-0.0",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        3 => edge,
        3 => any::<i64>().prop_map(|v| v.to_string()),
        2 => (0i64..100_000).prop_map(|v| v.to_string()),
        2 => float,
        2 => decimal,
        1 => any::<bool>().prop_map(|b| b.to_string()),
        1 => prop::sample::select(vec!["\"strict\"", "\"touch\"", "\"raise\"", "\"x\""])
            .prop_map(str::to_string),
    ]
}

/// A file setting a random subset of the keys to random values.
fn file() -> impl Strategy<Value = String> {
    let keys = all_keys();
    let n = keys.len();
    prop::collection::vec(prop::option::weighted(0.3, value()), n).prop_map(move |values| {
        let mut text = String::new();
        let mut section = "";
        for ((s, k), v) in keys.iter().zip(values) {
            let Some(v) = v else { continue };
            if *s != section {
                text.push_str(&format!("[{s}]\n"));
                section = s;
            }
            text.push_str(&format!("{k} = {v}\n"));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validation_never_panics(text in file()) {
        if let Ok(loaded) = parse_config("random.toml", &text, &[]) {
            prop_assert!(loaded.warnings.iter().all(|w| !w.is_error()));
            let rendered = render_defaults(&loaded.config).expect("renders");
            let again = parse_config("rendered.toml", &rendered, &[]);
            prop_assert!(again.is_ok(), "rendered config refused: {:?}\n{rendered}", again.err());
            if let Ok(again) = again {
                prop_assert_eq!(again.config, loaded.config);
            }
        }
    }
}
