//! `--http ADDR`: the operator API, the dashboard and `/metrics` of a running session, served
//! by the session's own async runtime while the engine thread keeps the engine.
//!
//! The engine thread calls [`OperatorSurface::service`] between steps: it answers the queued
//! operator commands (each applied by the session as an input, so it is journaled, recorded
//! and — live — persisted) and publishes the status document at most every
//! [`PUBLISH_EVERY`] (a replay at full speed applies thousands of prints a second; building
//! the document for each would cost more than the steps).
//!
//! With a webhook (`FW_ALERT_WEBHOOK` or `--alert-webhook-file`), the same hub feeds the
//! alerter (flywheel_operator::alerts): halts, governor oscillation, the B-Side card turning
//! amber or red, hedger emergencies, reconnect storms, reconciliation discrepancies.
//!
//! Invariants:
//! - The HTTP side never touches the engine: it reads what was published and queues commands.
//! - Off unless `--http` is given; bound where it says (127.0.0.1 in the examples). A
//!   non-loopback address needs a token, and every POST needs it (`FW_API_TOKEN` or
//!   `--api-token-file`); without a token the dashboard is read-only.
//! - The token never reaches a log or an error message (it lives in a redacting type).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use flywheel_kraken::net::dead_man::DeadManState;
use flywheel_kraken::net::ws::WsState;
use flywheel_operator::alerts::{AlertConfig, Alerter, Preset};
use flywheel_operator::{
    Action, ActionReply, Command, CommandReceiver, Hub, HubConfig, ServerConfig,
};
use flywheel_runner::command::{CommandOutcome, OperatorCommand};
use flywheel_runner::journal_tee::Consumer;
use flywheel_runner::status_view::{RunInfo, SessionFacts};
use serde_json::{json, Value};

/// The status document is rebuilt and published at most this often.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// The environment variable holding the API token (not `FLYWHEEL_*`: that namespace is the
/// config file's overrides).
pub const TOKEN_ENV: &str = "FW_API_TOKEN";

/// Options of the operator surface.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Serve the operator API, the dashboard (`/`) and `/metrics` at this address, e.g.
    /// `127.0.0.1:8080` (port 0 picks a free one). Off without it.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// A file holding the bearer token for POST actions (else `FW_API_TOKEN`); it must not
    /// be readable by group or others. Without a token the dashboard is read-only.
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,
    /// Post alerts (halts, governor oscillation, B-side amber/red, hedger emergencies,
    /// reconnect storms, reconciliation discrepancies, invariant violations) to the webhook
    /// URL in this file (else `FW_ALERT_WEBHOOK`); a URL often holds a secret, so it is
    /// never a flag. Works without `--http`.
    #[arg(long, value_name = "FILE")]
    pub alert_webhook_file: Option<PathBuf>,
    /// The webhook's body shape.
    #[arg(long, value_enum, default_value_t = AlertPreset::Json)]
    pub alert_preset: AlertPreset,
    /// The Telegram chat to post to (`--alert-preset telegram`).
    #[arg(long, value_name = "ID")]
    pub alert_chat_id: Option<String>,
    /// At most one alert of a kind per this many seconds (the ones held back are counted
    /// in the next).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub alert_min_interval: u64,
}

/// The environment variable holding the alerts webhook URL.
pub const WEBHOOK_ENV: &str = "FW_ALERT_WEBHOOK";

/// Body shapes of the alerts webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlertPreset {
    /// `{"kind","severity","message","symbol","at"}`
    Json,
    /// Telegram `sendMessage` (`--alert-chat-id` needed).
    Telegram,
    Discord,
    Slack,
}

/// The alerts configuration, or `None` when no webhook is set.
fn alert_config(args: &HttpArgs) -> anyhow::Result<Option<AlertConfig>> {
    let url = match std::env::var(WEBHOOK_ENV) {
        Ok(u) if !u.trim().is_empty() => u.trim().to_string(),
        _ => match &args.alert_webhook_file {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("--alert-webhook-file {}", p.display()))?
                .trim()
                .to_string(),
            None => return Ok(None),
        },
    };
    let cfg = AlertConfig {
        webhook_url: url,
        preset: match args.alert_preset {
            AlertPreset::Json => Preset::Json,
            AlertPreset::Telegram => Preset::Telegram,
            AlertPreset::Discord => Preset::Discord,
            AlertPreset::Slack => Preset::Slack,
        },
        min_interval: Duration::from_secs(args.alert_min_interval),
        chat_id: args.alert_chat_id.clone(),
    };
    cfg.validate().context("alerts")?;
    Ok(Some(cfg))
}

/// The HTTP side of a session, held by the engine thread.
#[derive(Debug)]
pub struct OperatorSurface {
    hub: Hub,
    commands: CommandReceiver,
    pub run: RunInfo,
    pub facts: SessionFacts,
    published: Option<Instant>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Where the API listens (`None`: alerts only, no `--http`).
    pub addr: Option<SocketAddr>,
}

impl OperatorSurface {
    /// Binds and starts serving on `rt` (with `--http`), starts the alerts (with a
    /// webhook); `None` with neither.
    pub fn start(
        rt: &tokio::runtime::Runtime,
        args: &HttpArgs,
        run: RunInfo,
    ) -> anyhow::Result<Option<OperatorSurface>> {
        let alerts = alert_config(args)?;
        if args.http.is_none() && alerts.is_none() {
            return Ok(None);
        }
        let (hub, commands) = Hub::new(HubConfig::default());
        if let Some(cfg) = alerts {
            let alerter = Alerter::start(cfg, rt.handle()).context("alerts")?;
            // A fresh hub has no alerter yet.
            let _ = hub.set_alerter(alerter);
            eprintln!("alerts go to the webhook ({:?} preset)", args.alert_preset);
        }
        let Some(addr) = args.http else {
            hub.set_ready(false, "starting");
            return Ok(Some(OperatorSurface {
                hub,
                commands,
                run,
                facts: SessionFacts::default(),
                published: None,
                stop: None,
                server: None,
                addr: None,
            }));
        };
        let token = flywheel_operator::load_token(TOKEN_ENV, args.api_token_file.as_deref())
            .context("the API token")?;
        flywheel_operator::check_bind(addr, token.as_ref()).context("--http")?;
        let has_token = token.is_some();
        let app = flywheel_operator::router(
            hub.clone(),
            ServerConfig {
                token,
                command_timeout: Duration::from_secs(5),
            },
        )
        .merge(flywheel_dashboard::routes());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind(addr))
            .with_context(|| format!("--http {addr}: cannot listen"))?;
        let bound = listener.local_addr().context("--http: the bound address")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(flywheel_operator::serve(listener, app, async move {
            let _ = stopped.await;
        }));
        eprintln!(
            "operator API and dashboard on http://{bound}/{}",
            if has_token {
                ""
            } else {
                " (read-only: no API token; set FW_API_TOKEN or --api-token-file)"
            }
        );
        hub.set_ready(false, "starting");
        Ok(Some(OperatorSurface {
            hub,
            commands,
            run,
            facts: SessionFacts::default(),
            published: None,
            stop: Some(stop),
            server: Some(server),
            addr: Some(bound),
        }))
    }

    /// The journal records' second consumer: the SSE stream, and `/api/fills` for fills.
    pub fn journal_consumer(&self) -> Consumer {
        let hub = self.hub.clone();
        Box::new(move |rec: Value| {
            if let Some(fill) = fill_of(&rec) {
                hub.record_fill(fill);
            }
            hub.publish_journal(rec);
        })
    }

    /// Readiness (`/readyz`, and POSTs other than pause wait for it).
    pub fn set_ready(&mut self, ready: bool, reason: &str) {
        self.facts.ready = ready;
        self.hub.set_ready(ready, reason);
        self.published = None;
    }

    /// The store's commit time of a step (the `flywheel_store_commit_seconds` histogram).
    pub fn observe_commit(&self, secs: f64) {
        self.hub.observe_commit(secs);
    }

    /// Answers the queued commands with `apply` (on the session `ctx`), then publishes the
    /// status when it is due or a command changed it. `view` builds the document. An error
    /// of `apply` (the store or the recording failed) is answered to the operator and ends
    /// the session.
    pub fn service<S>(
        &mut self,
        ctx: &mut S,
        mut apply: impl FnMut(&mut S, OperatorCommand) -> anyhow::Result<CommandOutcome>,
        view: impl FnOnce(&S, &RunInfo, &SessionFacts) -> Value,
    ) -> anyhow::Result<()> {
        let mut changed = false;
        while let Some(Command { action, reply }) = self.commands.try_recv() {
            let name = action.name();
            let (answer, failed) = match apply(ctx, to_command(action)) {
                Ok(o) => (
                    ActionReply {
                        ok: o.ok,
                        message: o.message,
                    },
                    None,
                ),
                Err(e) => (
                    ActionReply {
                        ok: false,
                        message: format!("the session failed: {e:#}"),
                    },
                    Some(e),
                ),
            };
            tracing::info!(
                target: "flywheel::operator",
                action = name,
                ok = answer.ok,
                message = %answer.message,
                "operator action"
            );
            // The HTTP side may have stopped waiting (timeout): the action stands anyway.
            let _ = reply.send(answer);
            if let Some(e) = failed {
                return Err(e);
            }
            changed = true;
        }
        let due = self.published.is_none_or(|t| t.elapsed() >= PUBLISH_EVERY);
        if changed || due {
            let doc = view(ctx, &self.run, &self.facts);
            if let Some(orders) = doc.get("open_orders") {
                self.hub.set_orders(orders.clone());
            }
            self.hub.publish_status(doc);
            self.published = Some(Instant::now());
        }
        Ok(())
    }

    /// Ends the event streams and stops the server (the last status stays published until
    /// then).
    pub fn shutdown(mut self, rt: &tokio::runtime::Runtime) {
        self.hub.set_ready(false, "stopped");
        self.hub.close();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            match rt.block_on(server) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("warning: the operator server stopped with: {e}"),
                Err(e) => eprintln!("warning: the operator server task failed: {e}"),
            }
        }
    }
}

/// The API's action as the engine's command.
fn to_command(a: Action) -> OperatorCommand {
    match a {
        Action::Pause => OperatorCommand::Pause,
        Action::Resume => OperatorCommand::Resume,
        Action::CancelEntries => OperatorCommand::CancelEntries,
        Action::Reconcile => OperatorCommand::Reconcile,
        Action::Set { key, value } => OperatorCommand::Set { key, value },
    }
}

/// A fill of the journal, in the shape of `/api/fills` (`t` orders `since`): the grid's
/// venue fills and the maker's fills.
fn fill_of(rec: &Value) -> Option<Value> {
    let kind = rec.get("kind")?.as_str()?;
    let (ev, t) = match kind {
        "venue" => {
            let ev = rec.get("event")?;
            (ev.get("type")?.as_str()? == "fill").then_some((ev, ev.get("ts")?))?
        }
        "fill" => (rec, rec.get("ts")?),
        _ => return None,
    };
    let pick = |k: &str| ev.get(k).cloned().unwrap_or(Value::Null);
    Some(json!({
        "t": t,
        "trade_id": ev.get("exec_id").or_else(|| ev.get("txid")).cloned().unwrap_or(Value::Null),
        "cl_ord_id": pick("cl_ord_id"),
        "side": pick("side"),
        "price": pick("price"),
        "qty": pick("qty"),
        "fee": pick("fee"),
        "liquidity": pick("liquidity"),
        "slot": rec.get("slot").cloned().unwrap_or(Value::Null),
        "role": rec.get("role").cloned().unwrap_or(Value::Null),
    }))
}

/// One feed's line of the `connectivity` block.
pub fn feed_view(name: &str, st: &WsState) -> Value {
    json!({
        "feed": name,
        "connected": st.connected,
        "last_message_age_s": st.last_message_age.map(|d| d.as_secs_f64()),
        "reconnects": st.reconnects,
    })
}

/// The dead-man switch's line of the `connectivity` block.
pub fn dms_view(st: &DeadManState, timeout_s: u32, now_ms: i64) -> Value {
    json!({
        "armed": st.trigger_at.is_some(),
        "timeout_s": timeout_s,
        "seconds_to_trigger": st.trigger_at.map(|t| (t.millis() - now_ms) as f64 / 1e3),
        "rearms": st.rearms,
        "failures": st.failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_venue_fills_and_maker_fills_become_api_fills_and_nothing_else_does() {
        let cases = [
            (
                "grid venue fill",
                json!({"kind": "venue", "ts": 5, "event": {"type": "fill", "cl_ord_id": "fw1a",
                    "txid": "T1", "side": "buy", "price": "0.1", "qty": "10", "fee": "0.01",
                    "liquidity": "maker", "ts": 4, "leaves": "0"}}),
                Some(("T1", 4)),
            ),
            (
                "exec id wins over the order txid",
                json!({"kind": "venue", "event": {"type": "fill", "txid": "O1", "exec_id": "E1", "ts": 7}}),
                Some(("E1", 7)),
            ),
            (
                "grid ack",
                json!({"kind": "venue", "event": {"type": "acked", "ts": 4}}),
                None,
            ),
            (
                "maker fill",
                json!({"kind": "fill", "ts": 9, "txid": "M1", "side": "sell"}),
                Some(("M1", 9)),
            ),
            ("loop start", json!({"kind": "loop_start", "ts": 1}), None),
            ("not a record", json!([1, 2]), None),
        ];
        for (name, rec, want) in cases {
            let got = fill_of(&rec);
            match want {
                None => assert!(got.is_none(), "{name}: {got:?}"),
                Some((id, t)) => {
                    let f = got.unwrap_or_else(|| panic!("{name}: no fill"));
                    assert_eq!(f["trade_id"], id, "{name}");
                    assert_eq!(f["t"], t, "{name}");
                }
            }
        }
    }
}
