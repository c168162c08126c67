//! Tests of the configuration loader: positions, overrides, every problem named.

use super::*;

fn problems(text: &str, overrides: &[Override]) -> Vec<String> {
    match parse_config("cfg.toml", text, overrides) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn env(name: &str, value: &str) -> Override {
    match Override::from_env([(name.to_string(), value.to_string())]) {
        Ok(mut list) if list.len() == 1 => list.remove(0),
        other => panic!("bad test override {name}: {other:?}"),
    }
}

#[test]
fn line_col_table() {
    let text = "a = 1\nbé = 2\n";
    let cases = [
        ("start", 0, Some((1, 1))),
        ("second line", 6, Some((2, 1))),
        ("after a two-byte char", 9, Some((2, 3))),
        ("end", text.len(), Some((3, 1))),
        ("inside a char", 8, None),
        ("past the end", usize::MAX, None),
    ];
    for (name, offset, want) in cases {
        assert_eq!(line_col(text, offset), want, "case {name}");
    }
}

#[test]
fn problems_table() {
    let cases: [(&str, &str, Vec<Override>, Vec<&str>); 10] = [
        ("empty file", "", vec![], vec![]),
        ("valid value", "[grid]\nentry_pct = 0.3\n", vec![], vec![]),
        (
            "syntax error",
            "[grid]\nentry_pct = = 1\n",
            vec![],
            vec!["cfg.toml:2:13: "],
        ),
        (
            "duplicate key",
            "[grid]\nentry_pct = 1\nentry_pct = 2\n",
            vec![],
            vec!["cfg.toml:3:1: duplicate key `entry_pct`"],
        ),
        (
            "unknown key",
            "[grid]\nentry_pc = 1\n",
            vec![],
            vec!["cfg.toml:2:1: grid.entry_pc: unknown field `entry_pc`"],
        ),
        (
            "unknown section",
            "[gird]\nentry_pct = 1\n",
            vec![],
            vec!["cfg.toml:1:2: gird: unknown field `gird`"],
        ),
        (
            "wrong type",
            "[grid]\nprice_decimals = \"six\"\n",
            vec![],
            vec!["cfg.toml:2:18: grid.price_decimals: invalid type"],
        ),
        (
            "every out-of-range value",
            "[grid]\nentry_pct = 0\nprofit_pct = 100\n",
            vec![],
            vec![
                "cfg.toml:2:13: grid.entry_pct: must be > 0",
                "cfg.toml:3:14: grid.profit_pct: must be > 0",
            ],
        ),
        (
            "override replaces a file value",
            "[grid]\nentry_pct = 0\n",
            vec![env("FLYWHEEL_GRID__ENTRY_PCT", "0.3")],
            vec![],
        ),
        (
            "out-of-range override is named",
            "[grid]\nentry_pct = 0.3\n",
            vec![env("FLYWHEEL_GRID__ENTRY_PCT", "0")],
            vec!["FLYWHEEL_GRID__ENTRY_PCT: grid.entry_pct: must be > 0"],
        ),
    ];
    for (name, text, overrides, want) in cases {
        let got = problems(text, &overrides);
        assert_eq!(got.len(), want.len(), "case {name}: {got:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!(g.starts_with(w), "case {name}: got {g:?}, want {w:?}…");
        }
    }
}

#[test]
fn bad_overrides_are_named() {
    let cases = [
        (
            "unknown key",
            "FLYWHEEL_GRID__NOPE",
            "1",
            "unknown field `nope`",
        ),
        (
            "unknown section",
            "FLYWHEEL_NOPE__ENTRY_PCT",
            "1",
            "unknown field `nope`",
        ),
        (
            "wrong type",
            "FLYWHEEL_GRID__PRICE_DECIMALS",
            "six",
            "invalid type",
        ),
        (
            "too many decimals",
            "FLYWHEEL_GRID__ENTRY_PCT",
            "0.0000000001",
            "more than 9",
        ),
    ];
    for (name, var, value, want) in cases {
        let got = problems("[grid]\n", &[env(var, value)]);
        assert_eq!(got.len(), 1, "case {name}: {got:?}");
        assert!(
            got[0].starts_with(&format!("{var}: ")),
            "case {name}: {got:?}"
        );
        assert!(got[0].contains(want), "case {name}: {got:?}");
    }
}

#[test]
fn override_under_a_non_table_is_an_error() {
    let got = problems("grid = 5\n", &[env("FLYWHEEL_GRID__ENTRY_PCT", "0.3")]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("FLYWHEEL_GRID__ENTRY_PCT: grid.entry_pct: cannot set"));
}

#[test]
fn overrides_apply_in_order_and_without_a_file() {
    let overrides = [
        env("FLYWHEEL_GRID__ENTRY_PCT", "0.5"),
        env("FLYWHEEL_GRID__STICKY_MODE_ENABLED", "false"),
        env("FLYWHEEL_GRID__ENTRY_PCT_A", "\"0.25\""),
    ];
    let cfg = parse_config("<defaults>", "", &overrides)
        .expect("valid")
        .config;
    assert_eq!(cfg.grid.entry_pct, "0.5".parse().expect("decimal"));
    assert_eq!(cfg.grid.entry_pct_a, Some("0.25".parse().expect("decimal")));
    assert!(!cfg.grid.sticky_mode_enabled);
}

#[test]
fn every_section_is_documented() {
    let cfg = FlywheelConfig::default();
    let table = toml::Table::try_from(&cfg).expect("serializes");
    let sections = cfg.section_docs().expect("serializes");
    let mut documented: Vec<&str> = sections.iter().map(|s| s.name).collect();
    let mut present: Vec<&str> = table.keys().map(String::as_str).collect();
    documented.sort_unstable();
    present.sort_unstable();
    assert_eq!(
        present, documented,
        "sections missing from `config defaults`"
    );
    for section in &sections {
        let mut keys: Vec<&str> = section.examples.keys().map(String::as_str).collect();
        let mut docs: Vec<&str> = section.keys.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        docs.sort_unstable();
        assert_eq!(
            keys, docs,
            "section {}: keys without a doc line",
            section.name
        );
    }
}

#[test]
fn venue_fill_model_keys_table() {
    use flywheel_venue::{AggressorRule, FillRule, SimConfig};
    let defaults = SimConfig::default();
    // The file's defaults are the simulator's.
    let cfg = parse_config("<defaults>", "", &[]).expect("valid").config;
    assert_eq!(cfg.venue.sim(), defaults);
    // (case, [venue] text, the simulator configuration it gives)
    let cases = [
        (
            "every fill-model key",
            "[venue]\nlatency_ms = 0\nfill_rule = \"touch\"\naggressor = \"tick\"\n\
             queue_window_sec = 60\nqueue_ahead_multiple = 2.5\nioc_half_spread_bps = 1.5\n",
            SimConfig {
                latency_ms: 0,
                fill_rule: FillRule::Touch,
                aggressor: AggressorRule::Tick,
                queue_window_sec: 60,
                queue_ahead_multiple: "2.5".parse().expect("decimal"),
                ioc_half_spread_bps: "1.5".parse().expect("decimal"),
                ..defaults.clone()
            },
        ),
        (
            "the model before the fill-model keys",
            "[venue]\nlatency_ms = 0\nfill_rule = \"strict\"\naggressor = \"ignore\"\n\
             ioc_half_spread_bps = 0\n",
            SimConfig::frictionless(),
        ),
    ];
    for (name, text, want) in cases {
        let cfg = parse_config("cfg.toml", text, &[])
            .unwrap_or_else(|e| panic!("case {name}: {e:?}"))
            .config;
        assert_eq!(cfg.venue.sim(), want, "case {name}");
    }
    // Out-of-range and unknown values are refused, naming the key.
    let cases = [
        ("queue_window_sec = 0", "venue.queue_window_sec"),
        ("queue_ahead_multiple = 101", "venue.queue_ahead_multiple"),
        ("ioc_half_spread_bps = 500.1", "venue.ioc_half_spread_bps"),
        ("aggressor = \"guess\"", "venue.aggressor"),
        ("fill_rule = \"through\"", "venue.fill_rule"),
    ];
    for (line, key) in cases {
        let got = problems(&format!("[venue]\n{line}\n"), &[]);
        assert!(
            got.iter().any(|p| p.contains(key)),
            "{line}: {got:?} does not name {key}"
        );
    }
}
