#!/usr/bin/env bash
# The measurement tables of docs/maker.md (issue 11): the maker on the Gemini SOL day and the
# Kraken SOL excerpt (as is, and with the minimum notional scaled to 0.061 SOL at its price),
# zero-fee (lighter) and Kraken fee schedules; Phase 1 and Phase 2 with round 1's rules, with
# the new sizing and hedger, and the defaults; all on the default fill model
# (docs/backtest-model.md). Prints one markdown table per data set and fee schedule (rows are
# figures, columns configurations). Needs a release build and jq; data from ../shared/data
# (or $FLYWHEEL_DATA). Run summaries go to a temporary folder that is removed at exit; the
# tables to standard output, warnings (Kraken's fees) to standard error.
#
#   cargo build --release && scripts/maker-matrix.sh > /tmp/maker-matrix.md
#   scripts/maker-matrix.sh --set venue.latency_ms=0   # extra overrides apply to every run
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/flywheel
data=${FLYWHEEL_DATA:-../shared/data}
extra=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Round 1's rules (before issue 11): the flattening side sized like the adding side, a size
# below the venue minimum suppressed unless its fill cannot increase |inv|, both sides
# paused in the high-vol pause (exit only at |inv| <= 0.0125), hedger clips raised to the
# minimum only when it is <= |inv| (else skipped for good), the hedger stepped at market
# events only, resting quotes re-sized at the next refresh only (not after a fill). Not
# switchable: a refresh cancels every stale quote before it places any (round 1 went side by
# side); on the default fill model these overrides give round 1's figures exactly.
R1="--set maker.flatten_sizing=desired --set maker.min_size_policy=reduce_only
    --set maker.pause_reducing_quotes=false --set hedger.closable_clips=false
    --set hedger.poll_interval_seconds=0 --set maker.requote_on_fill=false"
# Phase 1: the seed's Phase 2 rules off (asymmetric quoting, inventory spread and size tiers).
P1="--set maker.asymmetric_enabled=false --set maker.inventory_tiers_enabled=false"

names=(p1_round1 p2_round1 p1_new p2_no_timer defaults)
heads=("Phase 1 (round 1)" "Phase 2 (round 1)" "Phase 1, new sizing/hedger"
  "Phase 2, new sizing/hedger, no timer" "**Phase 2, new defaults**")
declare -A cfg=(
  [p1_round1]="$R1 $P1"
  [p2_round1]="$R1"
  [p1_new]="$P1"
  [p2_no_timer]="--set hedger.poll_interval_seconds=0"
  [defaults]=""
)

# $1 data file, $2 fee schedule, $3 extra overrides for the data set; one table.
table() {
  local file=$1 fee=$2 set=$3 files=()
  for n in "${names[@]}"; do
    # shellcheck disable=SC2086
    "$bin" backtest --strategy maker --quiet --data "$data/$file" \
      --set maker.fee_schedule="$fee" $set ${cfg[$n]} ${extra[@]+"${extra[@]}"} \
      --json "$tmp/$n.json"
    files+=("$tmp/$n.json")
  done
  echo
  echo "**$file, \`fee_schedule = \"$fee\"\`${set:+, \`$set\`}**"
  echo
  printf '| |'; printf ' %s |' "${heads[@]}"; echo
  printf '|---|'; printf -- '---|%.0s' "${heads[@]}"; echo
  jq -rs '
    # n decimals, fixed, no "-0.00"
    def fx(n): tonumber | pow(10; n) as $p | (. * $p | round) as $c
      | ($c | fabs) as $a | ($a / $p | floor | tostring) as $i
      | (($a - ($a / $p | floor) * $p) | tostring) as $f
      | (if $c < 0 then "-" else "" end) + $i
        + (if n > 0 then "." + ("0" * (n - ($f | length))) + $f else "" end);
    def r2: fx(2);
    def pct: fx(1) + " %";
    def row(name; f): "| " + name + " | " + (map(f) | join(" | ")) + " |";
    row("time with \\|inv\\| ≤ 0.01 SOL"; .maker.inventory.pct_time_within_0_01 | pct),
    row("p99 / max \\|inv\\| (SOL)"; .maker.inventory | "\(.p99_abs) / \(.max_abs)"),
    row("FIFO realized (USD)"; .maker.fifo_realized_quote | r2),
    row("unrealized (USD)"; .maker.unrealized_quote | r2),
    row("realized + unrealized (USD)";
        "**" + ((.maker.fifo_realized_quote | tonumber) + (.maker.unrealized_quote | tonumber) | r2) + "**"),
    row("fees (USD): all / hedger"; .maker | "\(.fees_quote | r2) / \(.hedger.fees_quote | r2)"),
    row("volume (SOL): all / hedger"; .maker | "\(.volume_base | r2) / \(.hedger.volume_base | r2)"),
    row("maker fills"; .maker.quote_fills | tostring),
    row("PnL-guard activations / high-vol pauses per hour";
        .maker | "\(.pnl_guard_activations_per_hour | r2) / \(.high_vol_pauses_per_hour | r2)"),
    row("time high-vol paused / no side quoted";
        .maker.pct_time_paused | "\(.high_vol // 0 | pct) / \(.no_quote // 0 | pct)"),
    row("hedger clips: passive / IOC fills";
        .maker.hedger | "\(.clips): \(.passive) / \(.aggressive)"),
    row("forced aggressive / emergency IOCs";
        .maker.hedger | "\(.forced_aggressive) / \(.emergency_orders)"),
    row("two-step / over the cap / residue episodes";
        .maker.hedger | "\(.two_step_flattens) / \(.clips_over_cap) / \(.skipped_below_minimum)"),
    row("IOC slippage vs mid (bps, mean)"; .maker.hedger.avg_slippage_bps // "–" | if type == "number" then fx(2) else . end),
    row("post-only refusals in flight"; .orders.rejected.post_only_would_take // 0 | tostring),
    row("balances reconciled / FIFO errors"; "\(.balances.reconciled) / \(.integrity.fifo_errors)")
  ' "${files[@]}"
}

gemini=gemini_SOLUSD_trades_2025-10-10.csv.gz
kraken=kraken_SOLUSD_timesales_2023-07-01_excerpt.csv
for fee in lighter kraken; do table "$gemini" "$fee" ""; done
for fee in lighter kraken; do table "$kraken" "$fee" ""; done
# At SOL ~ 18.9 the 10.5 USD minimum is 0.556 SOL, above maker.max_position_units (0.3):
# nothing trades. Scaled to the Gemini day's 0.061 SOL: 0.061 x 18.9 = 1.15 USD.
for fee in lighter kraken; do table "$kraken" "$fee" "--set maker.min_notional=1.15"; done
