//! The dashboard in a real headless Chromium: against a fake operator API in-process (always,
//! when Chromium is installed; required under `CI`), and against a real `flywheel run` server
//! when `FW_DASHBOARD_URL` and `FW_DASHBOARD_TOKEN` are set.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/fake_operator.rs"]
mod fake_operator;

use std::io::Write;
use std::time::Duration;

use browser::checks::{cards_match_eventually, dd, no_horizontal_scroll, wait_loaded};
use browser::{target_dir, Browser};
use fake_operator::{FakeOperator, TOKEN};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Fail the test with the step's own message (every browser step returns `Result<_, String>`).
trait Step<T> {
    fn step(self, what: &str) -> T;
}
impl<T> Step<T> for Result<T, String> {
    fn step(self, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

/// A status in which the governor is held by a gate, more than half the slots are degraded
/// (the card turns red) and trading is halted with a reason that looks like markup.
fn held_and_halted(grid: &Value) -> Value {
    let mut s = grid.clone();
    s["now"] = json!(1_700_000_900_000_u64);
    s["rebalancer"]["held_by"] = json!("capacity");
    s["rebalancer"]["kp"] = json!(2.5);
    s["rebalancer"]["kd"] = json!(0.75);
    s["rebalancer_dashboard"] = json!(
        "Governor: ■ Held by the capacity gate (skew +5%)\nSize B: ×1.00  |  Size A: ×1.00\nIdle USD: 97% → target 40%"
    );
    s["b_side_health"]["balance_degraded_slots"] = json!(2);
    s["b_side_health_card"] = json!({"color": "red", "text":
        "B-Side Health\n  Fund guard blocks: 3 | Floor blocks: 1 | Degraded slots: 2/2\n  Last recovery: 4m ago"});
    s["halt"] = json!("ledger <img src=x id=injected> differs from BalanceEx");
    s["scoreboard"]["idle_usd_pct"] = json!("55.5");
    s["equity"]["quote"] = json!("409.80");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let grid = fixture("grid_status.json");
    let fake = FakeOperator::start(grid.clone()).await;
    b.set_window(1280, 900).await.step("desktop window");
    b.goto(&fake.url).await.step("load the page");
    wait_loaded(&b).await.step("page load");

    // 0. The page's formatters, on a table of cases: money stays exact (decimal strings, BigInt),
    //    rounds half away from zero, groups thousands.
    let cases = [
        ("cents", json!(["dec", "1234567.891", 2]), "1,234,567.89"),
        (
            "negative rounds away from zero",
            json!(["dec", "-17.345", 2]),
            "-17.35",
        ),
        ("half rounds up", json!(["dec", "0.005", 2]), "0.01"),
        (
            "negative zero loses its sign",
            json!(["dec", "-0.004", 2]),
            "0.00",
        ),
        (
            "carry into thousands",
            json!(["dec", "999.995", 2]),
            "1,000.00",
        ),
        (
            "beyond f64 precision",
            json!(["dec", "12345678901234567.125", 2]),
            "12,345,678,901,234,567.13",
        ),
        ("digits kept", json!(["dec", "0.1790", null]), "0.1790"),
        ("not a number", json!(["dec", "n/a", 2]), "n/a"),
        ("absent", json!(["dec", null, 2]), "—"),
        ("usd negative", json!(["usd", "-17.346903304"]), "-$17.35"),
        ("exact difference", json!(["decSub", "0.3", "0.1"]), "0.2"),
        (
            "difference below zero",
            json!(["decSub", "405.1", "412.35"]),
            "-7.25",
        ),
        ("age in hours", json!(["age", 3725]), "1 h 2 m"),
    ];
    for (name, call, want) in cases {
        let got = b
            .eval_with(
                "const [fn, ...args] = arguments[0]; return window.flywheelFormat[fn](...args);",
                call.clone(),
            )
            .await
            .step(name);
        assert_eq!(got, json!(want), "{name}: {call}");
    }

    // 1. The cards show what /api/status returns.
    cards_match_eventually(&b, &grid, WAIT)
        .await
        .step("grid status");
    assert_eq!(dd(&b, "scoreboard", "target").await.step("target"), "40%");
    assert_eq!(
        dd(&b, "equity", "vs holding").await.step("equity"),
        "+$7.25",
        "412.35 - 405.10, exactly"
    );

    // 2. A status pushed over SSE changes them (held: yellow; 2/2 degraded: red; halted).
    let held = held_and_halted(&grid);
    fake.push_status(held.clone());
    cards_match_eventually(&b, &held, WAIT)
        .await
        .step("SSE update");
    // More than half of the USD-supported slots, but not of all slots: amber (seed 001 §6.4
    // counts slots; the engine's card says "1/4").
    let mut few = held.clone();
    few["slots"] = json!(4);
    few["b_side_health"]["max_bilateral_slots"] = json!(1);
    few["b_side_health"]["balance_degraded_slots"] = json!(1);
    few["b_side_health_card"] = json!({"color": "amber", "text":
        "B-Side Health\n  Fund guard blocks: 3 | Floor blocks: 1 | Degraded slots: 1/4\n  Last recovery: 4m ago"});
    fake.push_status(few.clone());
    cards_match_eventually(&b, &few, WAIT)
        .await
        .step("amber by the slot count");
    assert_eq!(
        b.attr_of("#bside-text", "data-color").await.step("colour"),
        Some("amber".to_string())
    );
    fake.push_status(held.clone());
    cards_match_eventually(&b, &held, WAIT)
        .await
        .step("back to red");
    let injected = b
        .eval("return document.getElementById('injected') !== null;")
        .await;
    assert_eq!(
        injected.step("probe"),
        json!(false),
        "the halt reason became markup"
    );
    fake.push_journal(
        json!({"kind": "governor_update", "ts": 1_700_000_900_000_u64, "skew": 0.05}),
    );
    b.wait_for("the journal line", WAIT, || async {
        Ok(b.text_of("#journal li")
            .await?
            .filter(|t| t.contains("governor_update")))
    })
    .await
    .step("journal event");
    fake.push_event("lagged", json!({"skipped": 7}));
    b.wait_for("the lagged note", WAIT, || async {
        Ok(b.text_of("#journal li")
            .await?
            .filter(|t| t.contains("lagged") && t.contains("\"skipped\":7")))
    })
    .await
    .step("lagged event");

    // 3. Pause from the page reaches the server with the bearer token, never in the URL.
    b.click("#btn-pause").await.step("pause without a token");
    let refused = b
        .wait_for("the refusal", WAIT, || async {
            Ok(b.text_of("#action-reply")
                .await?
                .filter(|t| t.contains("401")))
        })
        .await
        .step("pause without token");
    assert!(refused.starts_with("pause: 401"), "{refused}");
    b.type_into("#token", TOKEN).await.step("type the token");
    b.click("#token-save").await.step("keep the token");
    b.click("#btn-pause").await.step("pause");
    let reply = b
        .wait_for("the pause reply", WAIT, || async {
            Ok(b.text_of("#action-reply")
                .await?
                .filter(|t| t.contains("200")))
        })
        .await
        .step("pause");
    assert_eq!(reply, "pause: 200 pause applied");
    let posts = fake.posts();
    let pause = posts.last().expect("a POST reached the fake server");
    assert_eq!(pause.action, "pause");
    assert_eq!(
        pause.authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let href = b.eval("return location.href;").await.step("href");
    assert!(
        !href.to_string().contains(TOKEN),
        "token in the URL: {href}"
    );
    assert_eq!(
        b.eval("return document.getElementById('token').value;")
            .await
            .step("field"),
        json!("")
    );
    assert_eq!(
        fake.status()["paused"],
        json!(true),
        "the fake applied the pause"
    );
    let mut paused = held.clone();
    paused["paused"] = json!(true);
    cards_match_eventually(&b, &paused, WAIT)
        .await
        .step("paused shown");

    // The Set form posts {key, value}.
    b.select("#set-key", "rebalance.kp")
        .await
        .step("choose key");
    b.type_into("#set-value", "2.5").await.step("type value");
    b.click("#set-submit").await.step("set");
    b.wait_for("the set POST", WAIT, || async {
        Ok(fake.posts().into_iter().find(|p| p.action == "set"))
    })
    .await
    .map(|p| {
        let body: Value = serde_json::from_str(&p.body).unwrap_or(Value::Null);
        assert_eq!(body, json!({"key": "rebalance.kp", "value": "2.5"}));
    })
    .step("set");

    // 4. The charts draw the statuses received: an hour of minutes in which idle USD falls
    //    toward the target and equity moves against holding.
    let mut last = grid.clone();
    for i in 0..60u32 {
        let x = f64::from(i);
        let mut s = grid.clone();
        s["now"] = json!(1_700_001_000_000_u64 + u64::from(i) * 60_000);
        s["scoreboard"]["idle_usd_pct"] = json!(format!("{:.4}", 70.0 - 0.5 * x));
        let wiggle = f64::from(i % 7) * 0.3;
        s["equity"]["quote"] = json!(format!("{:.2}", 405.0 + 0.12 * x + wiggle));
        s["equity"]["hold_quote"] = json!(format!("{:.2}", 405.10 + 0.05 * x));
        fake.push_status(s.clone());
        last = s;
        // A busy engine's pace (the contract: at most ~4 statuses a second), only faster.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cards_match_eventually(&b, &last, WAIT)
        .await
        .step("after the hour");
    let points = b
        .eval(
            "return [...document.querySelectorAll('#chart-idle polyline, #chart-equity polyline')] \
               .map(p => p.getAttribute('points').trim().split(/\\s+/).length);",
        )
        .await
        .step("chart points");
    // A point per engine time seen: the first status, the held one (the pause re-sent it at
    // the same time, replacing its point), then the hour's 60.
    assert_eq!(
        points,
        json!([62, 62, 62, 62]),
        "two lines per chart, a point per status"
    );

    // 5. Screenshots, desktop then phone (390 px: no horizontal scroll, cards stacked).
    // The whole page in one picture (the README shows it): a viewport as tall as the page
    // (the window adds its own frame), measured twice because a resize can reflow the page.
    for _ in 0..2 {
        let size = b
            .eval(
                "window.scrollTo(0, 0); \
                 return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
            )
            .await
            .step("height");
        let height = size.as_u64().unwrap_or(900).clamp(600, 2400) as u32;
        b.set_window(1280, height).await.step("full-height window");
    }
    let desktop = target_dir().join("dashboard-screenshot.png");
    b.screenshot(&desktop).await.step("desktop screenshot");
    b.set_window(390, 844).await.step("phone window");
    let width = b.eval("return window.innerWidth;").await.step("width");
    assert_eq!(width, json!(390), "the viewport is a phone's");
    no_horizontal_scroll(&b).await.step("phone layout, grid");
    let stacked = b
        .eval(
            "const r = ['card-governor', 'card-bside'].map(id => document.getElementById(id).getBoundingClientRect()); \
             return r[1].top >= r[0].bottom;",
        )
        .await
        .step("stacked");
    assert_eq!(stacked, json!(true), "cards side by side on a phone");
    let phone = target_dir().join("dashboard-phone.png");
    b.screenshot(&phone).await.step("phone screenshot");

    // 6. The maker card renders for a maker status (and the grid cards go away).
    let maker = fixture("maker_status.json");
    fake.push_status(maker.clone());
    cards_match_eventually(&b, &maker, WAIT)
        .await
        .step("maker status");
    assert_eq!(
        b.attr_of("#card-governor", "hidden").await.step("gov"),
        Some(String::new())
    );
    assert_eq!(
        dd(&b, "hedger", "cost (fees)").await.step("hedger cost"),
        "$16.10"
    );
    assert_eq!(
        dd(&b, "maker-gauges", "FIFO realized").await.step("fifo"),
        "-$17.35"
    );
    no_horizontal_scroll(&b).await.step("phone layout, maker");

    for p in [&desktop, &phone] {
        let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "{} is {len} bytes", p.display());
        println!("screenshot: {} ({len} bytes)", p.display());
    }
    b.close().await;
}

/// The same checks against a running `flywheel run` (set `FW_DASHBOARD_URL`, e.g.
/// `http://127.0.0.1:8080/`, and `FW_DASHBOARD_TOKEN`). Pauses the bot, then resumes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_against_a_real_server() {
    let (Ok(url), Ok(token)) = (
        std::env::var("FW_DASHBOARD_URL"),
        std::env::var("FW_DASHBOARD_TOKEN"),
    ) else {
        // Straight to stderr: libtest captures eprintln!, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: set FW_DASHBOARD_URL and FW_DASHBOARD_TOKEN to check a real server"
        );
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    b.goto(&url).await.step("load the page");
    wait_loaded(&b).await.step("page load");
    let fetch_status = || async {
        b.eval_async("fetch('/api/status', {cache: 'no-store'}).then(r => r.json()).then(done, e => done({error: String(e)}));")
            .await
    };
    // The status moves on while we look: compare with a fresh one until they agree.
    b.wait_for(
        "the cards to match /api/status",
        Duration::from_secs(30),
        || async {
            let s = fetch_status().await?;
            browser::checks::cards_match(&b, &s).await.map(Some)
        },
    )
    .await
    .step("cards vs /api/status");
    // The picture of a real session (the README's, from a replay run), the whole page.
    b.set_window(1280, 900).await.step("desktop window");
    let size = b
        .eval("window.scrollTo(0, 0); return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;")
        .await
        .step("height");
    let height = size.as_u64().unwrap_or(900).clamp(600, 2400) as u32;
    b.set_window(1280, height).await.step("full-height window");
    let shot = target_dir().join("dashboard-real-screenshot.png");
    b.screenshot(&shot).await.step("screenshot");
    println!("screenshot: {}", shot.display());

    b.type_into("#token", &token).await.step("type the token");
    b.click("#token-save").await.step("keep the token");
    for (button, action, want) in [
        ("#btn-pause", "pause", true),
        ("#btn-resume", "resume", false),
    ] {
        b.click(button).await.step(button);
        // The server's answer first (a refused token fails here, with the server's reason).
        let reply = b
            .wait_for("the action's reply", Duration::from_secs(20), || async {
                let t = b.text_of("#action-reply").await?.unwrap_or_default();
                Ok((t.starts_with(&format!("{action}: ")) && !t.ends_with('…')).then_some(t))
            })
            .await
            .step(button);
        assert!(
            reply.starts_with(&format!("{action}: 200")),
            "{button}: {reply}"
        );
        b.wait_for("paused to change", Duration::from_secs(20), || async {
            let s = fetch_status().await?;
            Ok((s["paused"] == Value::Bool(want)).then_some(()))
        })
        .await
        .step(button);
    }
    b.close().await;
}
