#!/usr/bin/env bash
# The measurement matrix of docs/governor.md and docs/usd-leak.md (issue 10): the three DOGE
# months, 10 slots, $200 and $20 of start quote, under named configurations. Prints one
# markdown row per run. Needs a release build and jq; data from ../shared/data.
#
#   cargo build --release && scripts/capital-matrix.sh [config-name ...] > /tmp/matrix.md
#
# Columns: mean |idle − target| and share of post-warm-up time within ±5 pp (the governor's
# neutral band), free quote not committed to buys beyond the governor's runway (mean share of
# the quote balance), B-entry failures by reason, balance-degraded slot-seconds, equity change
# vs holding the start balances, realized, max drawdown, skew sign flips per hour.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/flywheel
data=${FLYWHEEL_DATA:-../shared/data}
months=(2021-04-02_2021-05-14 2021-05-15_2021-06-15 2021-09-17_2021-10-17)

# name → overrides
declare -A configs=(
  [defaults]=""
  [target_0]="--set rebalance.target_idle_pct=0"
  [target_0.2]="--set rebalance.target_idle_pct=0.2"
  [governor_off]="--set rebalance.enabled=false"
  [patches_off]="--set leak.enabled=false"
  [legacy]="--set leak.enabled=false --set rebalance.enabled=false --set grid.quote_first_allocation=false --set grid.legacy_b_sizing=true"
)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(defaults target_0 target_0.2 governor_off patches_off legacy)

echo "| month | quote | config | mean abs(idle−target) | within ±5 pp | free beyond runway | B failures | degraded slot-s | vs hold | realized | drawdown | flips/h |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for m in "${months[@]}"; do
  for q in 200 20; do
    for name in "${names[@]}"; do
      # shellcheck disable=SC2086
      "$bin" backtest --quiet --data "$data/binance_DOGEUSDT_1m_$m.json.gz" \
        --set grid.slots=10 --set backtest.start_quote=$q ${configs[$name]} --json - |
        jq -r --arg m "$m" --arg q "$q" --arg n "$name" '
          def r2: (. * 100 | round) / 100;
          [ $m, ("$" + $q), $n,
            (.rebalancer.mean_abs_error | r2 | tostring),
            ((.rebalancer.in_band_share * 100 | round | tostring) + " %"),
            ((.idle_usd.free_quote_beyond_runway_mean_share * 1000 | round / 10 | tostring) + " %"),
            (.leak.b_failures | to_entries | map(select(.value > 0) | "\(.key) \(.value)") | join(", ") | if . == "" then "0" else . end),
            (.leak.balance_degraded_slot_seconds | tostring),
            (.pnl.vs_hold_usd | tonumber | r2 | tostring),
            (.pnl.realized_usd | tonumber | r2 | tostring),
            (.pnl.max_drawdown_usd | tonumber | r2 | tostring),
            (.rebalancer.sign_flips_per_hour | r2 | tostring)
          ] | "| " + join(" | ") + " |"'
    done
  done
done
