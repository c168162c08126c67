use super::*;
pub(crate) use flywheel_core::config_range::testkit::{numeric_keys, set};

#[test]
fn defaults_validate_clean() {
    assert_eq!(MakerConfig::default().validate(), vec![]);
}

#[test]
fn issue_11_defaults_keep_the_maker_trading_and_flat() {
    let cfg = MakerConfig::default();
    assert_eq!(cfg.flatten_sizing, FlattenSizing::Closable);
    assert_eq!(cfg.min_size_policy, MinSizePolicy::Raise);
    assert!(cfg.pause_reducing_quotes);
    assert!(cfg.requote_on_fill);
    assert_eq!(cfg.fee_schedule, FeeSchedule::Lighter);
    assert_eq!(
        (cfg.custom_maker_fee_pct, cfg.custom_taker_fee_pct),
        (Ratio::ZERO, Ratio::ZERO)
    );
    // The round-1 values still parse.
    let old: MakerConfig = serde_json::from_str(
        r#"{"flatten_sizing": "desired", "min_size_policy": "reduce_only",
            "pause_reducing_quotes": false, "requote_on_fill": false,
            "fee_schedule": "custom", "custom_maker_fee_pct": "0.1"}"#,
    )
    .unwrap();
    assert_eq!(old.flatten_sizing, FlattenSizing::Desired);
    assert!(!old.requote_on_fill);
    assert_eq!(old.fee_schedule, FeeSchedule::Custom);
    assert_eq!(old.fee_rates().maker_fee_pct, Ratio::lit(1, 1));
}

#[test]
fn docs_cover_every_key_in_order() {
    let json = serde_json::to_value(MakerConfig::default()).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), MAKER_CONFIG_DOCS.len());
    for (key, doc) in MAKER_CONFIG_DOCS {
        assert!(json.get(key).is_some(), "doc key {key} is not a config key");
        assert!(!doc.is_empty());
    }
    // Declaration order: the JSON text lists fields in declaration order.
    let text = serde_json::to_string(&MakerConfig::default()).unwrap();
    let mut last = 0;
    for (key, _) in MAKER_CONFIG_DOCS {
        let at = text.find(&format!("\"{key}\":")).unwrap();
        assert!(at >= last, "{key} is out of declaration order");
        last = at;
    }
}

#[test]
fn unknown_keys_are_rejected_and_missing_keys_default() {
    let bad = serde_json::from_str::<MakerConfig>(r#"{"spred_bps": 3}"#);
    assert!(bad.is_err());
    let cfg: MakerConfig =
        serde_json::from_str(r#"{"spread_bps": 15, "min_size_policy": "raise"}"#).unwrap();
    assert_eq!(cfg.spread_bps, 15.0);
    assert_eq!(cfg.min_size_policy, MinSizePolicy::Raise);
    assert_eq!(cfg.base_size, MakerConfig::default().base_size);
}

#[test]
fn validate_names_each_bad_key() {
    type Edit = fn(&mut MakerConfig);
    let cases: [(&str, Edit, &str); 8] = [
        ("zero tick", |c| c.tick = Price::ZERO, "tick"),
        (
            "max below base",
            |c| c.size_max = Qty::lit(1, 3),
            "size_max",
        ),
        ("inverted band", |c| c.vol_high_bps = 1.0, "vol_high_bps"),
        (
            "resume above pause",
            |c| c.resume_threshold_bps = 40.0,
            "resume_threshold_bps",
        ),
        (
            "down hysteresis inverted",
            |c| c.trend_down_resume_threshold_bps = 5.0,
            "trend_down_resume_threshold_bps",
        ),
        (
            "positive floor",
            |c| c.pnl_guard_realized_floor = Quote::lit(1, 0),
            "pnl_guard_realized_floor",
        ),
        (
            "tiers out of order",
            |c| c.inventory_tier3 = Qty::lit(1, 3),
            "inventory_tier3",
        ),
        ("nan spread", |c| c.spread_bps = f64::NAN, "spread_bps"),
    ];
    for (name, edit, key) in cases {
        let mut cfg = MakerConfig::default();
        edit(&mut cfg);
        let problems = cfg.validate();
        assert_eq!(problems.len(), 1, "case {name}: {problems:?}");
        assert_eq!(problems[0].key, key, "case {name}");
    }
}

#[test]
fn instrument_from_defaults() {
    let inst = MakerConfig::default().instrument("SOL/USD").unwrap();
    assert_eq!(inst.validate(), Ok(()));
    assert_eq!(inst.price_decimals, 3);
    assert_eq!(inst.volume_decimals, 3);
    assert_eq!(inst.min_volume, Qty::lit(61, 3));
    assert_eq!(inst.min_cost, Quote::lit(105, 1));
}

#[test]
fn every_numeric_key_has_a_range() {
    use flywheel_core::config_range::missing_ranges;
    let keys = numeric_keys(&MakerConfig::default());
    let missing = missing_ranges(MAKER_CONFIG_RANGES, keys.iter().map(String::as_str));
    assert_eq!(missing, Vec::<&str>::new());
}

/// For every key: its minimum and maximum pass, the values just beyond them fail.
#[test]
fn every_range_boundary() {
    let base = MakerConfig::default();
    let failures =
        flywheel_core::config_range::boundary_failures("maker", MAKER_CONFIG_RANGES, |k, v| {
            set(&base, k, v)
        });
    assert_eq!(failures, Vec::<String>::new());
}

#[test]
fn cross_checks_table() {
    use flywheel_core::Severity::{self, Error, Warning};
    type Edit = fn(&mut MakerConfig);
    /// (severity, key, message start)
    type Want = Option<(Severity, &'static str, &'static str)>;
    let cases: [(&str, Edit, Want); 6] = [
        ("defaults", |_| {}, None),
        (
            "band below the narrowest half-spread",
            |c| c.price_band_bps = 3.0,
            Some((
                Error,
                "price_band_bps",
                "3 is below half the narrowest full spread the maker quotes (7 bps)",
            )),
        ),
        (
            "band below the widest half-spread",
            |c| c.price_band_bps = 15.0,
            Some((
                Warning,
                "price_band_bps",
                "15 is below half the widest full spread the maker can quote (35 bps",
            )),
        ),
        (
            "volatility off: the fixed spread counts",
            |c| {
                c.volatility_enabled = false;
                c.spread_bps = 80.0;
            },
            Some((Error, "price_band_bps", "35 is below half the narrowest")),
        ),
        (
            "sizes never reach the minimum",
            |c| {
                c.min_size = Qty::lit(1, 1);
                c.min_size_policy = MinSizePolicy::ReduceOnly;
            },
            Some((Warning, "size_max", "0.072 is below min_size 0.1")),
        ),
        (
            "sizes below the minimum are raised",
            |c| {
                c.min_size = Qty::lit(1, 1);
                c.min_size_policy = MinSizePolicy::Raise;
            },
            None,
        ),
    ];
    for (name, edit, want) in cases {
        let mut cfg = MakerConfig::default();
        edit(&mut cfg);
        assert_eq!(cfg.validate(), vec![], "case {name}: in range");
        let got = cfg.cross_check();
        match want {
            None => assert_eq!(got, vec![], "case {name}"),
            Some((severity, key, message)) => {
                assert_eq!(got.len(), 1, "case {name}: {got:?}");
                assert_eq!(
                    (got[0].severity, got[0].key),
                    (severity, key),
                    "case {name}"
                );
                assert!(got[0].message.starts_with(message), "case {name}: {got:?}");
            }
        }
    }
}
