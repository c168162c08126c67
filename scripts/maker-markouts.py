#!/usr/bin/env python3
"""Where the maker's money goes: fills from a maker journal against the data file's prints.

    target/release/flywheel backtest --strategy maker --data DATA --journal /tmp/j.jsonl --quiet
    scripts/maker-markouts.py DATA /tmp/j.jsonl

The mid is the last print, as in the simulator. Fills are grouped by kind: the maker's quotes
by the side's role when the order was decided (adding: its fill moves |inv| away from flat;
flattening) and its size (the multipliers' size, or floor-bound: raised to the venue minimum,
or a residue's |inv| + minimum), then the hedger's passive and IOC legs. Per kind: count,
volume, the fill's edge against the mid just before it (the last print with an earlier
timestamp: the half-spread it was quoted at) and just after it (the last print at or before
the fill: for a maker fill, the print that filled it), markouts at 1 s, 5 s, 60 s and 300 s
(volume-weighted, bps of the fill price, positive = in our favour), and the edge after the
fill in USD. Then the exact split of the run's result:

    realized + unrealized = sum over fills of dir * qty * (last mid - price) - fees
                          = edge at the fills (vs the mid after each)
                          + inventory carried across later mid moves
                          - fees

Money sums are exact (Decimal); bps are floats for reading. Standard library only. Reads
Tardis trades CSV (.csv or .csv.gz, microseconds) and Kraken Time & Sales (seconds).
"""

import bisect
import csv
import gzip
import json
import sys
from decimal import Decimal

HORIZONS_MS = [1_000, 5_000, 60_000, 300_000]
KINDS = [
    "quote, adding, multipliers' size",
    "quote, adding, raised to the minimum",
    "quote, flattening, sized",
    "quote, flattening, floor-bound",
    "quote, all",
    "hedge_passive",
    "hedge_ioc",
]


def prints(path):
    """[(ts_ms, price)] in file order (the replay's order)."""
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", newline="") as f:
        rows = csv.reader(f)
        header = [h.strip().lower() for h in next(rows)]
        if "timestamp" in header and "price" in header:  # Tardis
            t, p, unit = header.index("timestamp"), header.index("price"), "us"
        else:  # Kraken Time & Sales: TS,PRICE,VOLUME
            t, p, unit = 0, 1, "s"
        for r in rows:
            ts = int(r[t]) // 1000 if unit == "us" else int(r[t]) * 1000
            out.append((ts, Decimal(r[p])))
    return out


def journal_fills(path):
    """[(kinds, ts, side, price, qty, fee)]: each maker fill with the kind of the decision
    (quote or requote) that placed its order."""
    decision = None
    order_kind = {}
    fills = []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            k = r.get("kind")
            if k in ("quote", "requote"):
                decision = r
            elif k == "placed" and isinstance(r["role"], dict) and decision:
                side = r["side"]
                want = decision["decision"]["bid" if side == "buy" else "ask"]
                inv = Decimal(decision["inventory"])
                adds = inv >= 0 if side == "buy" else inv <= 0
                floor = bool(want.get("quote", {}).get("floor_bound"))
                if adds:
                    kind = KINDS[1] if floor else KINDS[0]
                else:
                    kind = KINDS[3] if floor else KINDS[2]
                order_kind[r["txid"]] = kind
            elif k == "fill":
                role = r["role"]
                if isinstance(role, dict):
                    kinds = [order_kind.get(r["txid"], KINDS[4]), KINDS[4]]
                else:
                    kinds = [role]
                fills.append((kinds, r["ts"], r["side"], Decimal(r["price"]),
                              Decimal(r["qty"]), Decimal(r["fee"])))
    return fills


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    px = prints(sys.argv[1])
    times = [t for t, _ in px]

    def mid_at(ts, strict=False):
        """Last print at or before ts (strictly before with strict)."""
        i = (bisect.bisect_left if strict else bisect.bisect_right)(times, ts) - 1
        return px[i][1] if i >= 0 else None

    last_mid = px[-1][1]
    fills = journal_fills(sys.argv[2])
    cols = ["before", "after"] + HORIZONS_MS
    agg = {k: {"n": 0, "vol": Decimal(0), "usd": Decimal(0), **{c: 0.0 for c in cols}}
           for k in KINDS}
    edges = carried = fees = Decimal(0)
    for kinds, ts, side, price, qty, fee in fills:
        d = 1 if side == "buy" else -1
        after = mid_at(ts)
        marks = {"before": mid_at(ts, strict=True) or price, "after": after}
        for h in HORIZONS_MS:
            marks[h] = mid_at(ts + h)
        edge = d * qty * (after - price)
        edges += edge
        carried += d * qty * (last_mid - after)
        fees += fee
        for kind in kinds:
            a = agg[kind]
            a["n"] += 1
            a["vol"] += qty
            a["usd"] += edge
            for c, m in marks.items():
                a[c] += float(qty) * d * float((m - price) / price) * 1e4

    print("| fills | n | volume (SOL) | edge vs mid before (bps) | edge vs mid after (bps) | "
          + " | ".join(f"markout {h // 1000} s (bps)" for h in HORIZONS_MS)
          + " | edge after (USD) |")
    print("|---|" + "---|" * (5 + len(HORIZONS_MS)))
    for kind in KINDS:
        a = agg[kind]
        if a["n"] == 0:
            continue
        cells = [f"{a[c] / float(a['vol']):+.2f}" for c in cols]
        print(f"| {kind} | {a['n']} | {a['vol']} | " + " | ".join(cells) + f" | {a['usd']:+.2f} |")
    print()
    print(f"edge at the fills {edges:+.6f} + inventory carried across mid moves {carried:+.6f} "
          f"- fees {fees} = realized + unrealized {edges + carried - fees:+.6f} USD")


if __name__ == "__main__":
    main()
