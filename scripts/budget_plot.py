#!/usr/bin/env python3
"""Draws the budget sweep's runs (scripts/budget-sweep.sh) as one SVG: validation loss (solid) and
smoothed training loss (dashed) in nats per character against the characters trained, one colour
per run. Characters, not seconds: the runs are fixed step counts, and the machine's load moves only
their wall time.

    python3 scripts/budget_plot.py --out docs/budget-sweep-tinyshakespeare.svg \
        "2×256 d0.1=sweeps/budget/tinyshakespeare-lstm-2x256-s100-d0.1-lr2e-3-2100" …
"""
import argparse, csv, os

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
Y_LOW, Y_HIGH = 1.0, 2.0


def read(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "metrics.csv"))))
    seq = 100 if "-s100-" in folder else 50
    per_step = 50 * seq
    train = [(int(r["step"]) * per_step / 1e6, float(r["train_loss"])) for r in rows if r["train_loss"] not in ("", "nan")]
    val = [(int(r["step"]) * per_step / 1e6, float(r["val_loss"])) for r in rows if r["val_loss"]]
    return train, val


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("runs", nargs="+", help="label=run folder (holding metrics.csv)")
    args = parser.parse_args()
    runs = [(label, *read(folder)) for label, folder in (r.split("=", 1) for r in args.runs)]
    width, height, left, bottom, top = 900, 480, 60, 40, 20
    xmax = max(x for _, train, val in runs for x, _ in train + val)
    def sx(x): return left + (width - left - 200) * x / xmax
    def sy(y): return top + (height - top - bottom) * (Y_HIGH - min(max(y, Y_LOW), Y_HIGH)) / (Y_HIGH - Y_LOW)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<line x1="{sx(0)}" y1="{sy(Y_LOW)}" x2="{sx(xmax)}" y2="{sy(Y_LOW)}" stroke="#333"/>',
           f'<line x1="{sx(0)}" y1="{sy(Y_LOW)}" x2="{sx(0)}" y2="{sy(Y_HIGH)}" stroke="#333"/>',
           f'<text x="{sx(xmax / 2)}" y="{height - 6}" text-anchor="middle" font-size="12">characters trained (millions)</text>',
           f'<text x="14" y="{sy((Y_LOW + Y_HIGH) / 2)}" font-size="12" transform="rotate(-90 14 {sy((Y_LOW + Y_HIGH) / 2)})" '
           'text-anchor="middle">nats per character (solid: validation, dashed: training)</text>']
    for i in range(11):
        y = Y_LOW + (Y_HIGH - Y_LOW) * i / 10
        out.append(f'<line x1="{sx(0)}" y1="{sy(y)}" x2="{sx(xmax)}" y2="{sy(y)}" stroke="#eee"/>')
        out.append(f'<text x="{sx(0) - 4}" y="{sy(y) + 4}" text-anchor="end" font-size="10">{y:.1f}</text>')
    for i in range(6):
        x = xmax * i / 5
        out.append(f'<text x="{sx(x)}" y="{sy(Y_LOW) + 14}" text-anchor="middle" font-size="10">{x:.0f}</text>')
    for i, (label, train, val) in enumerate(runs):
        colour = COLOURS[i % len(COLOURS)]
        for points, dash in ((val, ""), (train, ' stroke-dasharray="4 3"')):
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.4"{dash} points="{path}"/>')
        best = min(v for _, v in val)
        out.append(f'<text x="{width - 190}" y="{top + 14 + 16 * i}" font-size="11" fill="{colour}">{label}: best {best:.4f}</text>')
    out.append("</svg>")
    open(args.out, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
