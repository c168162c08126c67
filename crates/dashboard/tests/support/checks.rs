//! The dashboard's cards compared with the status they were drawn from. The colour rules are
//! written again here, from the seeds, independently of app.js: a page that colours wrongly
//! fails these checks instead of agreeing with itself.

use std::time::Duration;

use serde_json::Value;

use super::Browser;

/// Seed 000 §9.2: green while skewing, gray when disabled or neutral, yellow when damped or
/// held (a gate or an infeasible target holds the skewed side at ×1.00).
pub fn governor_color(r: &Value) -> &'static str {
    let on = |k: &str| !r[k].is_null() && r[k] != Value::Bool(false);
    if r["enabled"] != Value::Bool(true) {
        "gray"
    } else if on("damped") || on("held_by") || on("infeasible") {
        "yellow"
    } else if r["skew_direction"] == "buy_doge" || r["skew_direction"] == "sell_doge" {
        "green"
    } else {
        "gray"
    }
}

/// Seed 001 §6.4: amber when any slot is balance-degraded, red when more than half of the
/// slots are: all the slots (`slots` of the status, the "d/n" of the card text), not
/// `max_bilateral_slots` (how many the USD can keep bilateral), which stands in only when
/// `slots` is absent.
pub fn b_side_color(s: &Value) -> &'static str {
    let h = &s["b_side_health"];
    let d = h["balance_degraded_slots"].as_u64().unwrap_or(0);
    let n = s["slots"]
        .as_u64()
        .filter(|n| *n > 0)
        .or_else(|| h["max_bilateral_slots"].as_u64())
        .unwrap_or(0);
    if d > 0 && d * 2 > n {
        "red"
    } else if d > 0 {
        "amber"
    } else {
        "green"
    }
}

/// The page has drawn at least one status.
pub async fn wait_loaded(b: &Browser) -> Result<(), String> {
    b.wait_for(
        "the first status drawn",
        Duration::from_secs(20),
        || async { Ok(b.attr_of("body", "data-updated").await?.map(|_| ())) },
    )
    .await
}

async fn expect_text(b: &Browser, css: &str, want: &str) -> Result<(), String> {
    let got = b.text_of(css).await?;
    if got.as_deref() == Some(want) {
        Ok(())
    } else {
        Err(format!("{css}: page shows {got:?}, API says {want:?}"))
    }
}

async fn expect_attr(b: &Browser, css: &str, attr: &str, want: Option<&str>) -> Result<(), String> {
    let got = b.attr_of(css, attr).await?;
    if got.as_deref() == want {
        Ok(())
    } else {
        Err(format!(
            "{css}[{attr}]: page has {got:?}, expected {want:?}"
        ))
    }
}

/// The text of the `<dd>` after the `<dt>` named `key` inside `dl`.
pub async fn dd(b: &Browser, dl: &str, key: &str) -> Result<String, String> {
    b.text_of(&format!("#{dl} dd[data-key=\"{key}\"]"))
        .await?
        .ok_or_else(|| format!("#{dl} has no {key:?} row"))
}

/// One comparison of every card with `s` (a `/api/status` body); the first mismatch.
pub async fn cards_match(b: &Browser, s: &Value) -> Result<(), String> {
    if let Some(r) = s.get("rebalancer").filter(|r| r.is_object()) {
        expect_text(
            b,
            "#gov-text",
            s["rebalancer_dashboard"].as_str().unwrap_or(""),
        )
        .await?;
        expect_attr(b, "#gov", "data-color", Some(governor_color(r))).await?;
        let tip = b.attr_of("#gov", "title").await?.unwrap_or_default();
        let mut want = vec!["error: ".to_string(), "velocity: ".to_string()];
        if let Some(gate) = r["held_by"].as_str() {
            want.push(format!("held by: {} gate", gate.replace('_', " ")));
        }
        for (k, label) in [("kp", "Kp: "), ("kd", "Kd: ")] {
            if r[k].is_number() {
                want.push(label.to_string());
            }
        }
        if let Some(missing) = want.iter().find(|w| !tip.contains(w.as_str())) {
            return Err(format!("governor tooltip lacks {missing:?}: {tip:?}"));
        }
    }
    if s.get("b_side_health").is_some_and(Value::is_object) {
        let card = &s["b_side_health_card"];
        expect_text(
            b,
            "#bside-text",
            card["text"].as_str().unwrap_or("B-Side Health"),
        )
        .await?;
        let color = b_side_color(s);
        expect_attr(b, "#bside-text", "data-color", Some(color)).await?;
        // The engine's own colour agrees with the rule, or the page says it does not.
        let flagged = b.attr_of("#bside-mismatch", "hidden").await?.is_none();
        let differs = card["color"].as_str().is_some_and(|c| c != color);
        if flagged != differs {
            return Err(format!(
                "B-side colour cross-check: engine {:?}, rule {color}, page flagged {flagged}",
                card["color"]
            ));
        }
    }
    let maker = s["strategy"] == "maker";
    let maker_hidden = b.attr_of("#card-maker", "hidden").await?.is_some();
    if maker == maker_hidden {
        return Err(format!(
            "maker card hidden={maker_hidden} for strategy {}",
            s["strategy"]
        ));
    }
    if maker {
        let regime = dd(b, "maker-gauges", "regime").await?;
        let want = s["maker_regime_state"].to_string();
        if !regime.starts_with(&want) {
            return Err(format!("maker regime shows {regime:?}, API says {want}"));
        }
        let inv = b.text_of("#inv-text").await?.unwrap_or_default();
        for k in ["inventory_base", "inventory_soft_cap"] {
            let v = s[k].as_str().unwrap_or("?");
            if !inv.contains(v) {
                return Err(format!("inventory line {inv:?} lacks {k} {v}"));
            }
        }
        let vol = dd(b, "hedger", "volume (base)").await?;
        if vol != s["hedger_volume_base"].as_str().unwrap_or("?") {
            return Err(format!(
                "hedger volume shows {vol:?}, API says {}",
                s["hedger_volume_base"]
            ));
        }
    }
    match s["halt"].as_str() {
        Some(why) => {
            expect_attr(b, "#halt", "hidden", None).await?;
            expect_text(b, "#halt", &format!("HALTED: {why}")).await?;
        }
        None => expect_attr(b, "#halt", "hidden", Some("")).await?,
    }
    for key in ["ready", "paused"] {
        let want = if s[key] == Value::Bool(true) {
            "yes"
        } else {
            "no"
        };
        let got = dd(b, "conn-state", key).await?;
        if got != want {
            return Err(format!("connectivity {key}: page {got:?}, API {want:?}"));
        }
    }
    let open = s["open_orders"].as_array().map_or(0, Vec::len);
    expect_text(b, "#orders-count", &format!("({open})")).await?;
    let slots = s["slot_table"].as_array().map_or(0, Vec::len);
    let rows = b
        .eval("return document.querySelectorAll('#slots tbody tr td:first-child:not(.muted)').length;")
        .await?;
    if rows.as_u64() != Some(slots as u64) {
        return Err(format!("slot table has {rows} rows, API {slots}"));
    }
    Ok(())
}

/// [`cards_match`] until it holds (the page follows the SSE stream), at most `timeout`.
pub async fn cards_match_eventually(
    b: &Browser,
    s: &Value,
    timeout: Duration,
) -> Result<(), String> {
    b.wait_for("the cards to match the status", timeout, || async {
        cards_match(b, s).await.map(Some)
    })
    .await
}

/// Nothing on the page reaches past the viewport's right edge (no horizontal scroll).
pub async fn no_horizontal_scroll(b: &Browser) -> Result<(), String> {
    let v = b
        .eval(
            "const w = window.innerWidth; \
             const over = [...document.querySelectorAll('body *')] \
               .filter(e => e.closest('.scroll') === null || e.classList.contains('scroll')) \
               .filter(e => e.getBoundingClientRect().right > w + 0.5) \
               .map(e => e.tagName + (e.id ? '#' + e.id : '')); \
             return {inner: w, scroll: document.documentElement.scrollWidth, over: over.slice(0, 8)};",
        )
        .await?;
    let inner = v["inner"].as_f64().unwrap_or(0.0);
    let scroll = v["scroll"].as_f64().unwrap_or(f64::MAX);
    if scroll > inner || v["over"].as_array().is_some_and(|o| !o.is_empty()) {
        return Err(format!("horizontal overflow at {inner}px: {v}"));
    }
    Ok(())
}
