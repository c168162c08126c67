//! Operator commands through the engine thread (issue 14): what an operator action becomes
//! ([`OperatorCommand`]), what it answers ([`CommandOutcome`]), how `set` is validated
//! ([`SetValidator`]) and how a command is applied to either strategy ([`apply_command`]).
//!
//! A command is an input like a print or a tick: the engine thread stamps it, records it
//! (`{"t":…,"command":"pause"}`, `{"t":…,"command":{"set":{"key":…,"value":…}}}`) and applies
//! it between steps; a replay of the recording applies it at the same stamp and writes the
//! same journal. Every command, applied or refused, writes one `operator` journal record.
//!
//! Invariants:
//! - **Validation is the configuration file's.** `set` goes through the session's
//!   [`SetValidator`] (the CLI's applies the key to the run's configuration through the same
//!   parser and checks as the file, and refuses keys outside the runtime whitelist); a
//!   session without one refuses every `set`. A replay must hold the same validator (built
//!   from the same configuration) to refuse and accept the same values.
//! - **Reconcile needs the network**, which the engine thread has not: in paper it is a
//!   no-op ("paper: nothing to reconcile"); in live it is journaled and *requested*
//!   ([`crate::live::session::LiveSession::take_reconcile_request`]), and the caller runs the
//!   reconciliation (`live::reconcile::reconcile`) before its next input.

use flywheel_core::Timestamp;
use flywheel_engine::maker_journal::MakerSink;
use flywheel_engine::maker_run::MakerEngine;
use flywheel_engine::operator::{OperatorParams, OperatorResult, Setting};
use flywheel_engine::{Engine, JournalSink};
use flywheel_venue::Venue;
use serde::{Deserialize, Serialize};

/// An operator action, as the HTTP API (`POST /api/actions/{action}`) names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorCommand {
    /// No new entries (grid) or quotes (maker); exits and the hedger go on.
    Pause,
    Resume,
    /// Cancel the resting entries (grid) or quotes (maker).
    CancelEntries,
    /// Reconcile with the exchange (live only).
    Reconcile,
    /// Change one runtime-settable configuration key.
    Set {
        key: String,
        value: String,
    },
}

impl OperatorCommand {
    /// The action's name (`pause`, `cancel_entries`, `set`, …).
    pub fn action(&self) -> &'static str {
        match self {
            OperatorCommand::Pause => "pause",
            OperatorCommand::Resume => "resume",
            OperatorCommand::CancelEntries => "cancel_entries",
            OperatorCommand::Reconcile => "reconcile",
            OperatorCommand::Set { .. } => "set",
        }
    }

    /// The journal's `params` (the key and value of a `set`, else none).
    pub fn params(&self) -> OperatorParams {
        match self {
            OperatorCommand::Set { key, value } => OperatorParams::set(key, value),
            _ => OperatorParams::default(),
        }
    }
}

/// What the engine answered: the API's `{"ok": …, "message": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutcome {
    pub ok: bool,
    pub message: String,
}

impl From<OperatorResult> for CommandOutcome {
    fn from(r: OperatorResult) -> Self {
        match r {
            Ok(message) => CommandOutcome { ok: true, message },
            Err(message) => CommandOutcome { ok: false, message },
        }
    }
}

/// A validated `set`: the typed value the engine applies.
pub type ValidatedSet = Setting;

/// Validates `set key=value` exactly as the configuration file would (see the module docs).
pub trait SetValidator: Send + std::fmt::Debug {
    /// The typed value, or the refusal (the configuration file's own message, or the list
    /// of settable keys for a key outside it).
    fn validate(&self, key: &str, value: &str) -> Result<ValidatedSet, String>;
}

/// Where the command runs: reconcile means something only live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunVenue {
    Paper,
    Live,
}

/// What the engine thread does after a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub outcome: CommandOutcome,
    /// A live reconcile was requested: the caller runs it.
    pub reconcile: bool,
}

/// The operations a strategy's engine offers the command channel.
pub trait Operable {
    fn pause(&mut self, now: Timestamp) -> OperatorResult;
    fn resume(&mut self, now: Timestamp) -> OperatorResult;
    /// Grid: the resting entries; maker: the quotes.
    fn cancel_entries(&mut self, now: Timestamp) -> OperatorResult;
    fn apply_setting(&mut self, now: Timestamp, s: &Setting, raw: &str) -> OperatorResult;
    fn journal(
        &mut self,
        now: Timestamp,
        action: &str,
        params: &OperatorParams,
        r: Result<&str, &str>,
    );
}

impl<V: Venue, J: JournalSink> Operable for Engine<V, J> {
    fn pause(&mut self, now: Timestamp) -> OperatorResult {
        self.operator_pause(now)
    }
    fn resume(&mut self, now: Timestamp) -> OperatorResult {
        self.operator_resume(now)
    }
    fn cancel_entries(&mut self, now: Timestamp) -> OperatorResult {
        Engine::cancel_entries(self, now)
    }
    fn apply_setting(&mut self, now: Timestamp, s: &Setting, raw: &str) -> OperatorResult {
        Engine::apply_setting(self, now, s, raw)
    }
    fn journal(
        &mut self,
        now: Timestamp,
        action: &str,
        params: &OperatorParams,
        r: Result<&str, &str>,
    ) {
        self.journal_operator(now, action, params, r);
    }
}

impl<V: Venue, J: MakerSink> Operable for MakerEngine<V, J> {
    fn pause(&mut self, now: Timestamp) -> OperatorResult {
        self.operator_pause(now)
    }
    fn resume(&mut self, now: Timestamp) -> OperatorResult {
        self.operator_resume(now)
    }
    fn cancel_entries(&mut self, now: Timestamp) -> OperatorResult {
        self.cancel_quotes(now)
    }
    fn apply_setting(&mut self, now: Timestamp, s: &Setting, raw: &str) -> OperatorResult {
        MakerEngine::apply_setting(self, now, s, raw)
    }
    fn journal(
        &mut self,
        now: Timestamp,
        action: &str,
        params: &OperatorParams,
        r: Result<&str, &str>,
    ) {
        self.journal_operator(now, action, params, r);
    }
}

/// The answer to a reconcile in paper.
pub const PAPER_RECONCILE: &str = "paper: nothing to reconcile";

/// Apply `cmd` at `now` to `engine` (see the module docs); exactly one journal record.
pub fn apply_command<E: Operable>(
    engine: &mut E,
    cmd: &OperatorCommand,
    now: Timestamp,
    validator: Option<&dyn SetValidator>,
    venue: RunVenue,
) -> Applied {
    let mut reconcile = false;
    let result = match cmd {
        OperatorCommand::Pause => engine.pause(now),
        OperatorCommand::Resume => engine.resume(now),
        OperatorCommand::CancelEntries => engine.cancel_entries(now),
        OperatorCommand::Reconcile => {
            let r = match venue {
                RunVenue::Paper => PAPER_RECONCILE,
                RunVenue::Live => {
                    reconcile = true;
                    "reconcile requested"
                }
            };
            engine.journal(now, cmd.action(), &cmd.params(), Ok(r));
            Ok(r.to_string())
        }
        OperatorCommand::Set { key, value } => {
            let checked = match validator {
                Some(v) => v.validate(key, value),
                None => Err("runtime settings are not available in this session".to_string()),
            };
            match checked {
                Ok(setting) => engine.apply_setting(now, &setting, value),
                Err(why) => {
                    engine.journal(now, cmd.action(), &cmd.params(), Err(&why));
                    Err(why)
                }
            }
        }
    };
    Applied {
        outcome: result.into(),
        reconcile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_serialize_as_the_recording_holds_them() {
        let cases = [
            ("pause", OperatorCommand::Pause, r#""pause""#),
            ("resume", OperatorCommand::Resume, r#""resume""#),
            (
                "cancel entries",
                OperatorCommand::CancelEntries,
                r#""cancel_entries""#,
            ),
            ("reconcile", OperatorCommand::Reconcile, r#""reconcile""#),
            (
                "set",
                OperatorCommand::Set {
                    key: "rebalance.kp".into(),
                    value: "2.5".into(),
                },
                r#"{"set":{"key":"rebalance.kp","value":"2.5"}}"#,
            ),
        ];
        for (name, cmd, json) in cases {
            assert_eq!(serde_json::to_string(&cmd).expect("json"), json, "{name}");
            let back: OperatorCommand = serde_json::from_str(json).expect("parses");
            assert_eq!(back, cmd, "{name}");
            assert!(json.contains(cmd.action()), "{name}: action name");
        }
    }
}
