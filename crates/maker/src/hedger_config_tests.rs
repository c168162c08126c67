//! `[hedger]` configuration: defaults, docs, ranges and the consistency table.

use flywheel_core::{Qty, Ratio};

use super::*;

fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}
fn r(s: &str) -> Ratio {
    s.parse().expect("ratio literal")
}

#[test]
fn config_defaults_validate_and_docs_cover_every_key() {
    let cfg = HedgerConfig::default();
    assert_eq!(cfg.validate(), vec![]);
    let json = serde_json::to_value(&cfg).expect("json");
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut docs: Vec<&str> = HEDGER_CONFIG_DOCS.iter().map(|(k, _)| *k).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    docs.sort_unstable();
    assert_eq!(sorted, docs);
    // Seed 002 Phase 1 numbers.
    assert_eq!(cfg.trigger_units, q("0.010"));
    assert_eq!(cfg.target_units, q("0.001"));
    assert_eq!(cfg.max_clip_units, q("0.03"));
    assert_eq!(secs_to_ms(cfg.cooldown_seconds), 2_000);
    assert_eq!(secs_to_ms(cfg.passive_wait_seconds), 500);
    // Issue 11: closable clips, a residue grace within the 30–60 s asked for (passive
    // flattening first), and the origin's 1 s poll.
    assert!(cfg.closable_clips);
    let grace = secs_to_ms(cfg.residue_grace_seconds);
    assert!((30_000..=60_000).contains(&grace), "{grace} ms");
    assert_eq!(secs_to_ms(cfg.poll_interval_seconds), 1_000);
}

#[test]
fn config_every_numeric_key_has_a_range_and_every_boundary_holds() {
    use crate::config::tests::{numeric_keys, set};
    use flywheel_core::config_range::{boundary_failures, missing_ranges};
    let base = HedgerConfig::default();
    let keys = numeric_keys(&base);
    let missing = missing_ranges(HEDGER_CONFIG_RANGES, keys.iter().map(String::as_str));
    assert_eq!(missing, Vec::<&str>::new());
    let failures = boundary_failures("hedger", HEDGER_CONFIG_RANGES, |k, v| set(&base, k, v));
    assert_eq!(failures, Vec::<String>::new());
}

#[test]
fn config_rejects_unknown_keys_and_accepts_partial() {
    let partial: HedgerConfig =
        serde_json::from_str(r#"{"trigger_units": 0.008, "cooldown_seconds": 1.5}"#)
            .expect("parse");
    assert_eq!(partial.trigger_units, q("0.008"));
    assert_eq!(secs_to_ms(partial.cooldown_seconds), 1_500);
    assert!(serde_json::from_str::<HedgerConfig>(r#"{"trigger": 1}"#).is_err());
}

#[test]
fn config_validation_table() {
    let d = HedgerConfig::default;
    let cases: Vec<(&str, HedgerConfig, Vec<&str>)> = vec![
        ("defaults", d(), vec![]),
        (
            "zero trigger",
            HedgerConfig {
                trigger_units: Qty::ZERO,
                ..d()
            },
            vec!["trigger_units", "target_units"],
        ),
        (
            "target above trigger",
            HedgerConfig {
                target_units: q("0.02"),
                ..d()
            },
            vec!["target_units"],
        ),
        (
            "zero clip",
            HedgerConfig {
                max_clip_units: Qty::ZERO,
                ..d()
            },
            vec!["max_clip_units"],
        ),
        (
            "negative bps",
            HedgerConfig {
                passive_offset_bps: r("-1"),
                ..d()
            },
            vec!["passive_offset_bps"],
        ),
        (
            "offset beyond cap (origin defect b)",
            HedgerConfig {
                price_offset_bps: r("13"),
                guard_emergency_max_slippage_bps: r("20"),
                ..d()
            },
            vec!["price_offset_bps"],
        ),
        (
            "emergency offset beyond its cap",
            HedgerConfig {
                guard_emergency_max_slippage_bps: r("12"),
                ..d()
            },
            vec!["guard_emergency_extra_bps"],
        ),
        (
            "guard offset beyond guard cap",
            HedgerConfig {
                guard_price_offset_bps: r("10"),
                ..d()
            },
            vec!["guard_price_offset_bps"],
        ),
        (
            "sub-ms seconds",
            HedgerConfig {
                cooldown_seconds: "0.0005".parse().expect("s"),
                ..d()
            },
            vec!["cooldown_seconds"],
        ),
        (
            "guard clip multiplier > 1",
            HedgerConfig {
                guard_clip_multiplier: r("1.5"),
                ..d()
            },
            vec!["guard_clip_multiplier"],
        ),
        (
            "emergency multiplier < 1",
            HedgerConfig {
                guard_emergency_clip_multiplier: r("0.5"),
                ..d()
            },
            vec!["guard_emergency_clip_multiplier"],
        ),
    ];
    for (name, cfg, want) in cases {
        let got: Vec<&str> = cfg.validate().iter().map(|p| p.key).collect();
        assert_eq!(got, want, "case {name}");
    }
}
