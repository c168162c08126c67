#!/usr/bin/env bash
# The tables of docs/backtest-model.md, "How the results move": the maker (Gemini SOL day,
# its defaults and Phase 1 under round 1's rules) and the grid (Coinbase DOGE trades day,
# Binance DOGE 1-minute month) with each fill-model assumption switched on alone, all of them
# (the defaults), and variations; then the aggressor rules compared. Each cell is
# "vs hold / realized / fills / fees" in USD (see the page). Needs a release build and jq;
# data from ../shared/data (or $FLYWHEEL_DATA). Nothing is written but the tables (stdout).
#
#   cargo build --release && scripts/fill-model-matrix.sh > /tmp/fill-model.md
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/flywheel
data=${FLYWHEEL_DATA:-../shared/data}

# The maker's Phase 1 under round 1's rules (docs/maker.md).
P1R1="--set maker.flatten_sizing=desired --set maker.min_size_policy=reduce_only
      --set maker.pause_reducing_quotes=false --set hedger.closable_clips=false
      --set hedger.poll_interval_seconds=0 --set maker.requote_on_fill=false
      --set maker.asymmetric_enabled=false --set maker.inventory_tiers_enabled=false"
# Columns: name, strategy, data file, overrides.
cols=(m_def m_p1 g_trades g_bars)
declare -A strategy=([m_def]=maker [m_p1]=maker [g_trades]=grid [g_bars]=grid)
declare -A file=(
  [m_def]=gemini_SOLUSD_trades_2025-10-10.csv.gz
  [m_p1]=gemini_SOLUSD_trades_2025-10-10.csv.gz
  [g_trades]=coinbase_DOGE-USD_trades_2025-10-10.csv.gz
  [g_bars]=binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz
)
declare -A colset=([m_def]="" [m_p1]="$P1R1" [g_trades]="" [g_bars]="")

OFF="--set venue.latency_ms=0 --set venue.fill_rule=strict --set venue.aggressor=ignore --set venue.ioc_half_spread_bps=0"
rows=(
  "all off (the model before the fill-model work)|$OFF"
  "+ aggressor side (\`aggressor=data_or_tick\`)|--set venue.latency_ms=0 --set venue.fill_rule=strict --set venue.ioc_half_spread_bps=0"
  "+ queue position (\`fill_rule=queue\`)|--set venue.latency_ms=0 --set venue.aggressor=ignore --set venue.ioc_half_spread_bps=0"
  "+ IOC half-spread (\`ioc_half_spread_bps=2\`)|--set venue.latency_ms=0 --set venue.fill_rule=strict --set venue.aggressor=ignore"
  "+ latency (\`latency_ms=200\`)|--set venue.fill_rule=strict --set venue.aggressor=ignore --set venue.ioc_half_spread_bps=0"
  "**all on (the defaults)**|"
  "all on, \`fill_rule=touch\` (no queue: the flattering limit)|--set venue.fill_rule=touch"
  "all on, \`partial_fills=false\`|--set venue.partial_fills=false"
  "all on, fees: grid none (\`grid.maker_fee_pct=0 venue.taker_fee_pct=0\`), maker Kraken's (\`maker.fee_schedule=kraken\`)|FEES"
)

# $1 column, $2 row overrides -> "cell | post-only refusals". Warnings (Kraken's fees on the
# maker) go to standard error.
cell() {
  local c=$1 set=$2
  if [ "$set" = FEES ]; then
    if [ "${strategy[$c]}" = maker ]; then set="--set maker.fee_schedule=kraken"
    else set="--set grid.maker_fee_pct=0 --set venue.taker_fee_pct=0"; fi
  fi
  # shellcheck disable=SC2086
  "$bin" backtest --strategy "${strategy[$c]}" --quiet --data "$data/${file[$c]}" \
    ${colset[$c]} $set --json - |
    jq -r '
      # n decimals, fixed, no "-0.00"
      def fx(n): tonumber | pow(10; n) as $p | (. * $p | round) as $c
        | ($c | fabs) as $a | ($a / $p | floor | tostring) as $i
        | (($a - ($a / $p | floor) * $p) | tostring) as $f
        | (if $c < 0 then "-" else "" end) + $i
          + (if n > 0 then "." + ("0" * (n - ($f | length))) + $f else "" end);
      def r2: fx(2) | if test("^[-0.]+$") or startswith("-") then . else "+" + . end;
      if .strategy == "maker" then
        .maker as $m |
        "\(($m.fifo_realized_quote | tonumber) + ($m.unrealized_quote | tonumber) | r2) / \($m.fifo_realized_quote | r2) / \($m.quote_fills)+\($m.hedger.clips) / \($m.fees_quote | fx(2))"
        + " | \(.orders.rejected.post_only_would_take // 0)"
      else
        "\(.pnl.vs_hold_usd | r2) / \(.pnl.realized_usd | r2) / \(.orders.filled) / \(.pnl.fees_usd | fx(2))"
        + " | \(.orders.rejected.post_only_would_take // 0)"
      end'
}

echo "| assumption | maker, Gemini SOL day, defaults | maker, Gemini SOL day, Phase 1 (round 1's rules) | grid, Coinbase DOGE day (trades) | grid, Binance DOGE 1m, 2021-09-17..10-17 |"
echo "|---|---|---|---|---|"
refusals=()
for r in "${rows[@]}"; do
  label=${r%%|*} set=${r#*|} line="| $label |" ref=""
  for c in "${cols[@]}"; do
    out=$(cell "$c" "$set")
    line+=" ${out%% | *} |"
    ref+="${out##* | } "
  done
  echo "$line"
  # shellcheck disable=SC2086
  refusals+=("| $label |$(printf ' %s |' $ref)")
done
echo
echo "| post-only refusals (\`orders.rejected.post_only_would_take\`) | maker, defaults | maker, Phase 1 (round 1) | grid, Coinbase DOGE | grid, Binance DOGE 1m |"
echo "|---|---|---|---|---|"
for r in "${refusals[@]}"; do echo "$r"; done

echo
echo "| \`aggressor\` | maker defaults, Gemini SOL | maker defaults, Kraken SOL excerpt (\`maker.min_notional=1.15\`) | grid, Coinbase DOGE |"
echo "|---|---|---|---|"
file[m_kr]=kraken_SOLUSD_timesales_2023-07-01_excerpt.csv
strategy[m_kr]=maker
colset[m_kr]="--set maker.min_notional=1.15"
for a in data_or_tick data_or_both tick ignore; do
  line="| \`$a\` |"
  for c in m_def m_kr g_trades; do
    out=$(cell "$c" "--set venue.aggressor=$a")
    line+=" ${out%% | *} |"
  done
  echo "$line"
done
