// Flywheel dashboard. Reads GET /api/status once, then follows GET /api/events (SSE: `status`
// and `journal` events) and redraws the cards from each status. Actions POST to
// /api/actions/{name} with the operator token typed once and kept in sessionStorage.
//
// Rules kept here: every string from the API reaches the DOM through textContent or an
// attribute (never parsed as markup); money arrives as decimal strings and is rounded for display as
// a decimal string (BigInt), never through a float; nothing is loaded from another origin.
"use strict";
(function () {
  const TOKEN_KEY = "flywheel.operator_token";
  const RING = 720; // chart points kept (~12 minutes at 1 update/s)
  const SET_KEYS = {
    grid: ["rebalance.enabled", "rebalance.target_idle_pct", "rebalance.kp", "rebalance.kd"],
    maker: ["maker.spread_bps", "maker.base_size", "maker.size_max", "maker.inventory_soft_cap",
      "hedger.trigger_units"],
  };
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg"; // the SVG namespace name (not fetched)
  const history = [];
  let last = null; // the last status received
  let source = null; // the EventSource
  let backoff = 1000;

  // ---- formatting -------------------------------------------------------------------------

  const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

  // A decimal string (or number) rounded half away from zero to `dp` places, with thousands
  // separators. `dp` null keeps every digit given. Non-numbers come back as they are.
  function dec(v, dp) {
    if (v === null || v === undefined || v === "") return "—";
    let s = typeof v === "number" ? (Number.isFinite(v) ? v.toFixed(12) : String(v)) : String(v);
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
    if (!m) return s;
    const neg = m[1] === "-";
    let int = m[2] || "0";
    let frac = m[3] || "";
    if (dp === null || dp === undefined) {
      if (typeof v === "number") frac = frac.replace(/0+$/, "");
    } else if (frac.length > dp) {
      const scaled = BigInt(int + frac.slice(0, dp)) + (Number(frac[dp]) >= 5 ? 1n : 0n);
      const t = scaled.toString().padStart(dp + 1, "0");
      int = t.slice(0, t.length - dp);
      frac = t.slice(t.length - dp);
    } else {
      frac = frac.padEnd(dp, "0");
    }
    const zero = /^0*$/.test(int + frac);
    return (neg && !zero ? "-" : "") + group(int.replace(/^0+(?=\d)/, "")) + (frac ? "." + frac : "");
  }
  // a − b for two decimal strings, exactly (BigInt on a common scale).
  function decSub(a, b) {
    const parts = [String(a), String(b)].map((x) => /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(x.trim()));
    if (parts.some((p) => !p)) return null;
    const scale = Math.max(...parts.map((p) => (p[3] || "").length));
    const [x, y] = parts.map((p) => (p[1] === "-" ? -1n : 1n) * BigInt((p[2] || "0") + (p[3] || "").padEnd(scale, "0")));
    const d = x - y;
    const neg = d < 0n;
    const t = (neg ? -d : d).toString().padStart(scale + 1, "0");
    return (neg ? "-" : "") + (scale ? t.slice(0, t.length - scale) + "." + t.slice(t.length - scale) : t);
  }
  const usd = (v) => (v === null || v === undefined ? "—" : "$" + dec(v, 2)).replace("$-", "-$");
  const pct = (ratio, dp = 1) => (typeof ratio === "number" ? dec(ratio * 100, dp) + "%" : "—");
  const signed = (x, dp) => (Number.isFinite(x) ? (x >= 0 ? "+" : "") + dec(x, dp) : "—");
  const yesno = (b) => (b === true ? "yes" : b === false ? "no" : "—");

  function age(seconds) {
    if (typeof seconds !== "number") return "—";
    if (seconds < 60) return dec(seconds, 1) + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " m " + Math.floor(seconds % 60) + " s";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " m";
    return Math.floor(seconds / 86400) + " d " + Math.floor((seconds % 86400) / 3600) + " h";
  }
  function when(ms, now) {
    if (typeof ms !== "number") return "—";
    const d = new Date(ms);
    const abs = d.toISOString().slice(0, 19).replace("T", " ") + " UTC";
    return typeof now === "number" && now >= ms ? abs + " (" + age((now - ms) / 1000) + " ago)" : abs;
  }

  // ---- DOM helpers (text only) ------------------------------------------------------------

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function setText(id, text) {
    const e = $(id);
    if (e) e.textContent = text === undefined || text === null ? "" : String(text);
  }
  // Fill a <dl> with [label, value, class?] rows.
  function kv(id, rows) {
    const dl = $(id);
    const frag = document.createDocumentFragment();
    for (const [k, v, cls] of rows) {
      const dt = el("dt", k);
      const dd = el("dd", v, cls);
      dd.dataset.key = k;
      frag.append(dt, dd);
    }
    dl.replaceChildren(frag);
  }
  function rows(tableId, data, cells) {
    const body = $(tableId).tBodies[0];
    const frag = document.createDocumentFragment();
    for (const d of data) {
      const tr = el("tr");
      for (const c of cells(d)) tr.append(el("td", c));
      frag.append(tr);
    }
    if (!data.length) {
      const tr = el("tr");
      const td = el("td", "none", "muted");
      td.colSpan = $(tableId).tHead.rows[0].cells.length;
      tr.append(td);
      frag.append(tr);
    }
    body.replaceChildren(frag);
  }
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  // A horizontal bar: `frac` of the width filled, an optional marker at `mark` (0..1).
  function bar(id, frac, mark, cls) {
    const f = Math.max(0, Math.min(1, Number.isFinite(frac) ? frac : 0));
    const parts = [svgEl("rect", { x: 0, y: 0, width: 100, height: 10, class: "bar-bg" }),
      svgEl("rect", { x: 0, y: 0, width: f * 100, height: 10, class: "bar-fill " + (cls || "") })];
    if (Number.isFinite(mark)) {
      const x = Math.max(0, Math.min(1, mark)) * 100;
      parts.push(svgEl("rect", { x: Math.max(0, x - 0.6), y: 0, width: 1.2, height: 10, class: "bar-mark" }));
    }
    $(id).replaceChildren(...parts);
  }

  // ---- cards ------------------------------------------------------------------------------

  // Seed 000 §9.2: green while the governor skews, gray when disabled or neutral, yellow when
  // damped or held (a gate, or an infeasible target, keeps the skewed side at ×1.00).
  function governorColor(r) {
    if (!r.enabled) return "gray";
    if (r.damped || r.held_by || r.infeasible) return "yellow";
    if (r.skew_direction === "buy_doge" || r.skew_direction === "sell_doge") return "green";
    return "gray";
  }
  function governorArrow(r) {
    if (!r.enabled) return "○";
    if (r.held_by || r.infeasible) return "■";
    return r.skew_direction === "buy_doge" ? "▶" : r.skew_direction === "sell_doge" ? "◀" : "■";
  }

  function renderGovernor(s) {
    const r = s.rebalancer;
    const card = $("card-governor");
    card.hidden = !r && !s.scoreboard;
    if (card.hidden) return;
    if (r) {
      const color = governorColor(r);
      const gov = $("gov");
      gov.className = "gov " + color;
      gov.dataset.color = color;
      setText("gov-arrow", governorArrow(r));
      setText("gov-text", s.rebalancer_dashboard || "");
      const details = [["error", signed(r.error, 3)], ["smoothed error", signed(r.smoothed_error, 4)],
        ["velocity", signed(r.velocity, 4) + " /h"]];
      for (const k of ["kp", "kd"]) if (typeof r[k] === "number") details.push([k === "kp" ? "Kp" : "Kd", dec(r[k], null)]);
      details.push(["skew", signed(r.skew * 100, 1) + "%"], ["size A / B", "×" + dec(r.size_mult_a, 2) + " / ×" + dec(r.size_mult_b, 2)],
        ["held by", r.held_by ? r.held_by.replace(/_/g, " ") + " gate" : "no gate"],
        ["infeasible", r.infeasible || "no"], ["damped", yesno(r.damped)], ["sign flips (1 h)", String(r.sign_flips_1h ?? "—")]);
      kv("gov-details", details);
      gov.title = details.map(([k, v]) => k + ": " + v).join("\n");
      const side = !r.enabled ? "governor disabled" : r.held_by ? "held by the " + r.held_by.replace(/_/g, " ") + " gate"
        : r.skew_direction === "buy_doge" ? "B side (buys) scaled up" : r.skew_direction === "sell_doge" ? "A side (sells) scaled up" : "no skew";
      setText("gov-side", side);
    }
    const sb = s.scoreboard || {};
    const idle = Number(sb.idle_usd_pct);
    const target = r ? r.target * 100 : NaN;
    bar("idle-bar", idle / 100, target / 100, Math.abs(idle - target) <= 5 ? "ok" : "off");
    kv("scoreboard", [["idle USD", dec(sb.idle_usd_pct, 1) + "% (" + usd(sb.idle_usd) + ")"],
      ["target", r ? pct(r.target, 0) : "—"], ["observed USD", usd(sb.observed_usd)],
      ["in buy orders", usd(sb.usd_committed_buy_orders)], ["runway floor", usd(sb.usd_runway_floor)]]);
  }

  // Seed 001 §6.4: amber when any slot is balance-degraded, red when more than half of the
  // slots are. "The slots" are all of them (the status's `slots`, the card's "d/n");
  // `max_bilateral_slots` (how many the USD can keep bilateral) stands in only when `slots`
  // is absent.
  function bSideColor(h, slots) {
    const d = Number(h.balance_degraded_slots) || 0;
    const n = Number(slots) > 0 ? Number(slots) : Number(h.max_bilateral_slots) || 0;
    return d * 2 > n && d > 0 ? "red" : d > 0 ? "amber" : "green";
  }
  function renderBSide(s) {
    const h = s.b_side_health;
    const card = $("card-bside");
    card.hidden = !h;
    if (!h) return;
    const color = bSideColor(h, s.slots);
    const text = $("bside-text");
    text.textContent = (s.b_side_health_card && s.b_side_health_card.text) || "B-Side Health";
    text.className = "cardtext bside " + color;
    text.dataset.color = color;
    const server = s.b_side_health_card && s.b_side_health_card.color;
    const mismatch = $("bside-mismatch");
    mismatch.hidden = !server || server === color;
    mismatch.textContent = mismatch.hidden ? "" : "The engine colours this card " + server + "; its counts say " + color + ".";
    const f = h.failures_24h || {};
    kv("bside-details", Object.keys(f).map((k) => [k.replace(/_/g, " "), dec(f[k], 0)])
      .concat([["recoveries (24 h)", dec(h.recoveries_24h, 0)], ["ancillary profit", usd(h.ancillary_profit_usd)]]));
  }

  function renderMaker(s) {
    const card = $("card-maker");
    card.hidden = s.strategy !== "maker";
    if (card.hidden) return;
    const regime = s.maker_regime_state === 1 ? "1 aggressive" : s.maker_regime_state === 0 ? "0 defensive" : String(s.maker_regime_state ?? "—");
    const on = (b) => (b ? "ON" : "off");
    kv("maker-gauges", [["FIFO realized", usd(s.maker_fifo_realized_quote), Number(s.maker_fifo_realized_quote) < 0 ? "neg" : ""],
      ["unrealized", usd(s.unrealized_quote)], ["regime", regime],
      ["volatility", dec(s.maker_volatility_bps, 2) + " bps"],
      ["trend-down guard", on(s.maker_trend_down_guard), s.maker_trend_down_guard ? "hot" : ""],
      ["PnL guard", on(s.maker_pnl_guard_active), s.maker_pnl_guard_active ? "hot" : ""],
      ["volatility pause", on(s.maker_volatility_paused), s.maker_volatility_paused ? "hot" : ""],
      ["bid / ask size", dec(s.bid_size, null) + " / " + dec(s.ask_size, null)],
      ["size at floor", yesno(s.size_floor_bound)], ["fee schedule", s.fee_schedule ?? "—"]]
      .concat(Object.entries(s.paused_seconds || {}).map(([k, v]) => ["paused " + k.replace(/_/g, " "), age(v)])));
    const inv = Number(s.inventory_base);
    const cap = Number(s.inventory_soft_cap);
    const over = cap > 0 && Math.abs(inv) > cap;
    bar("inv-bar", cap > 0 ? Math.abs(inv) / (2 * cap) : 0, 0.5, over ? "off" : "ok");
    setText("inv-text", "inventory " + dec(s.inventory_base, null) + " vs soft cap " + dec(s.inventory_soft_cap, null) + (over ? " — OVER" : ""));
    kv("hedger", [["volume (base)", dec(s.hedger_volume_base, null)], ["cost (fees)", usd(s.hedger_fees_quote)],
      ["fills passive / aggressive", dec(s.hedger_passive_fills, 0) + " / " + dec(s.hedger_aggressive_fills, 0)],
      ["emergency orders", dec(s.hedger_emergency_orders, 0), s.hedger_emergency_orders ? "hot" : ""],
      ["skipped clips", dec(s.hedger_skipped_clips, 0)], ["two-step flattens", dec(s.hedger_two_step_flattens, 0)],
      ["clips over cap", dec(s.hedger_clips_over_cap, 0)]]);
  }

  function renderConnectivity(s) {
    const c = s.connectivity || {};
    const halt = $("halt");
    halt.hidden = !s.halt;
    halt.textContent = s.halt ? "HALTED: " + s.halt : "";
    const d = c.dead_man_switch;
    const rc = c.reconcile || {};
    const rate = c.rate_counter;
    const items = [["ready", yesno(s.ready), s.ready ? "" : "hot"], ["paused", yesno(s.paused), s.paused ? "hot" : ""],
      ["halt", s.halt || "no", s.halt ? "bad" : ""],
      ["dead-man switch", d ? (d.armed ? "armed" : "DISARMED") + ", " + age(d.seconds_to_trigger) + " to trigger (timeout " + age(d.timeout_s) + ")" : "n/a (paper)", d && !d.armed ? "hot" : ""],
      ["reconcile", c.reconcile ? (rc.state || "—") + ", runs " + dec(rc.runs, 0) + ", discrepancies " + dec(rc.discrepancies, 0) : "n/a (paper)", rc.discrepancies ? "hot" : ""],
      ["last reconcile", c.reconcile ? when(rc.last_at, s.now) : "—"],
      ["rate counter", rate ? dec(rate.value, 1) + " / " + dec(rate.limit, 0) + " (headroom " + dec(rate.limit - rate.value, 1) + ")" : "n/a (paper)",
        rate && rate.value > 0.8 * rate.limit ? "hot" : ""],
      ["engine time", when(s.now)]];
    kv("conn-state", items);
    rows("feeds", c.feeds || [], (f) => [f.feed, f.connected ? "yes" : "NO", age(f.last_message_age_s), dec(f.reconnects, 0)]);
    const run = s.run || {};
    setText("run-info", [s.symbol, s.strategy, run.mode, run.venue, run.version ? "v" + run.version : ""].filter(Boolean).join(" · "));
  }

  function renderEquity(s) {
    const e = s.equity || {};
    const b = s.balances || {};
    const vs = e.quote != null && e.hold_quote != null ? decSub(e.quote, e.hold_quote) : null;
    kv("equity", [["equity", usd(e.quote)], ["holding would be", usd(e.hold_quote)],
      ["vs holding", vs === null ? "—" : (vs.startsWith("-") ? "" : "+") + usd(vs), vs && vs.startsWith("-") ? "neg" : ""],
      ["realized", usd(e.realized_quote)], ["fees", usd(e.fees_quote)],
      [(b.base_asset || "base") + " balance", dec(b.base, null)], [(b.quote_asset || "quote") + " balance", usd(b.quote)],
      ["mark", dec(s.mark, null)]]);
  }

  // An order of the slot table: side, qty @ price, then what is known of it (its state, a
  // partial fill, the entry price an exit closes).
  function orderText(o) {
    if (!o) return "—";
    const notes = [];
    if (o.state) notes.push(o.state);
    if (o.partially_filled) notes.push("partial");
    if (o.entry_price) notes.push("entry " + dec(o.entry_price, null));
    return o.side + " " + dec(o.qty, null) + " @ " + dec(o.price, null) + (notes.length ? " (" + notes.join(", ") + ")" : "");
  }
  function renderOrders(s) {
    rows("slots", s.slot_table || [], (x) => [dec(x.slot, 0), x.trade ?? "—", x.stage ?? "—", orderText(x.entry), orderText(x.exit)]);
    const open = s.open_orders || [];
    setText("orders-count", "(" + open.length + ")");
    rows("orders", open, (o) => [o.slot ?? "—", o.role ?? "—", o.side, dec(o.price, null), dec(o.qty, null), dec(o.filled, null), o.state, o.cl_ord_id]);
  }

  // ---- charts (client-side ring buffer of the statuses received) --------------------------

  function record(s) {
    const t = typeof s.now === "number" ? s.now : Date.now();
    // Engine time going back means another run (a replay restarted): start the charts over.
    if (history.length && history[history.length - 1].t > t) history.length = 0;
    if (history.length && history[history.length - 1].t === t) history.pop();
    history.push({
      t,
      idle: s.scoreboard ? Number(s.scoreboard.idle_usd_pct) : NaN,
      target: s.rebalancer ? s.rebalancer.target * 100 : NaN,
      equity: s.equity ? Number(s.equity.quote) : NaN,
      hold: s.equity ? Number(s.equity.hold_quote) : NaN,
    });
    if (history.length > RING) history.shift();
  }
  // Lines for the given series keys, scaled to the 300×100 box together.
  function chart(id, legendId, keys, fmt) {
    const pts = history.filter((h) => keys.some((k) => Number.isFinite(h[k])));
    const vals = pts.flatMap((h) => keys.map((k) => h[k])).filter(Number.isFinite);
    const svg = $(id);
    if (!vals.length) {
      svg.replaceChildren();
      setText(legendId, "no data yet");
      return;
    }
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    const t0 = pts[0].t, t1 = pts[pts.length - 1].t;
    const x = (t) => (t1 > t0 ? ((t - t0) / (t1 - t0)) * 300 : 150);
    const y = (v) => 100 - ((v - lo) / (hi - lo)) * 100;
    const lines = keys.map((k, i) => {
      const p = pts.filter((h) => Number.isFinite(h[k])).map((h) => x(h.t).toFixed(1) + "," + y(h[k]).toFixed(1));
      if (p.length === 1) p.push("300," + p[0].split(",")[1]);
      return svgEl("polyline", { points: p.join(" "), class: "line s" + i, "vector-effect": "non-scaling-stroke" });
    });
    svg.replaceChildren(...lines);
    const lastPt = pts[pts.length - 1];
    const legend = $(legendId);
    legend.replaceChildren(...keys.map((k, i) => el("span", k + " " + fmt(lastPt[k]), "key s" + i)),
      el("span", "range " + fmt(lo + pad) + " … " + fmt(hi - pad), "muted"));
  }
  function renderCharts() {
    chart("chart-idle", "chart-idle-legend", ["idle", "target"], (v) => (Number.isFinite(v) ? dec(v, 1) + "%" : "—"));
    chart("chart-equity", "chart-equity-legend", ["equity", "hold"], (v) => (Number.isFinite(v) ? usd(v.toFixed(2)) : "—"));
  }

  // ---- the whole page ---------------------------------------------------------------------

  function render(s) {
    last = s;
    const parts = [renderGovernor, renderBSide, renderMaker, renderConnectivity, renderEquity, renderOrders];
    for (const part of parts) {
      try { part(s); } catch (e) { console.error(part.name, e); }
    }
    record(s);
    renderCharts();
    fillSetKeys(s.strategy);
    document.body.dataset.updated = String(Date.now());
  }

  function journal(rec) {
    const list = $("journal");
    const t = typeof rec.ts === "number" ? rec.ts : rec.t;
    const li = el("li");
    li.append(el("span", typeof t === "number" ? new Date(t).toISOString().slice(11, 19) : "—", "muted"), " ",
      el("b", rec.kind || "event"), " ");
    const rest = Object.assign({}, rec);
    delete rest.kind; delete rest.ts; delete rest.t;
    li.append(el("code", JSON.stringify(rest)));
    list.prepend(li);
    while (list.children.length > 50) list.lastChild.remove();
  }

  function conn(state, cls) {
    const c = $("conn");
    c.textContent = state;
    c.className = "pill " + cls;
  }

  function connect() {
    if (source) source.close();
    source = new EventSource("/api/events");
    source.addEventListener("open", () => { backoff = 1000; conn("live", "green"); });
    source.addEventListener("status", (ev) => {
      try { render(JSON.parse(ev.data)); } catch (e) { console.error("status event", e); }
    });
    source.addEventListener("journal", (ev) => {
      try { journal(JSON.parse(ev.data)); } catch (e) { console.error("journal event", e); }
    });
    // The server drops journal records for a client too slow to read them, and says so.
    source.addEventListener("lagged", (ev) => {
      let n = "?";
      try { n = JSON.parse(ev.data).skipped; } catch (_) { /* keep "?" */ }
      journal({ kind: "lagged", t: Date.now(), skipped: n, note: "journal records skipped by the server" });
    });
    source.addEventListener("error", () => {
      // The browser retries by itself while the stream is CONNECTING; once CLOSED (an HTTP
      // error), reconnect here with a growing delay.
      if (source.readyState === EventSource.CLOSED) {
        conn("offline, retrying", "red");
        setTimeout(start, backoff);
        backoff = Math.min(backoff * 2, 30000);
      } else {
        conn("reconnecting…", "yellow");
      }
    });
  }

  async function start() {
    try {
      const r = await fetch("/api/status", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      render(await r.json());
    } catch (e) {
      conn("no status (" + e.message + ")", "red");
    }
    connect();
  }

  // ---- actions ----------------------------------------------------------------------------

  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
  function showToken() {
    setText("token-state", token() ? "token kept for this tab" : "no token: actions will be refused");
  }
  let filledFor = null;
  function fillSetKeys(strategy) {
    const keys = SET_KEYS[strategy] || SET_KEYS.grid;
    if (filledFor === strategy) return;
    filledFor = strategy;
    $("set-key").replaceChildren(...keys.map((k) => { const o = el("option", k); o.value = k; return o; }));
  }

  async function act(name, body) {
    const reply = $("action-reply");
    reply.className = "reply";
    reply.textContent = name + "…";
    // No token, no header: the server answers 401 and the reply says so.
    const headers = token() ? { Authorization: "Bearer " + token() } : {};
    if (body) headers["Content-Type"] = "application/json";
    try {
      const r = await fetch("/api/actions/" + encodeURIComponent(name), {
        method: "POST", headers, body: body ? JSON.stringify(body) : undefined, cache: "no-store",
      });
      let msg = "";
      try { const j = await r.json(); msg = j.message || JSON.stringify(j); } catch (_) { msg = r.statusText; }
      reply.textContent = name + ": " + r.status + " " + msg;
      reply.className = "reply " + (r.ok ? "ok" : "bad");
    } catch (e) {
      reply.textContent = name + ": failed (" + e.message + ")";
      reply.className = "reply bad";
    }
  }

  function wire() {
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = $("token").value.trim();
      if (v) sessionStorage.setItem(TOKEN_KEY, v);
      $("token").value = "";
      showToken();
    });
    $("token-clear").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); showToken(); });
    for (const b of document.querySelectorAll("button.action")) {
      b.addEventListener("click", () => act(b.dataset.action));
    }
    $("set-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      act("set", { key: $("set-key").value, value: $("set-value").value.trim() });
    });
    showToken();
    fillSetKeys("grid");
    // A stale page must not look live: flag it when no status came for 15 s.
    setInterval(() => {
      const u = Number(document.body.dataset.updated || 0);
      if (u && Date.now() - u > 15000 && $("conn").textContent === "live") conn("live, no update for " + age((Date.now() - u) / 1000), "yellow");
    }, 5000);
  }

  // The formatters, read-only, for the browser test's table of cases.
  window.flywheelFormat = Object.freeze({ dec, decSub, usd, age });
  document.addEventListener("DOMContentLoaded", () => { wire(); start(); });
})();
