#!/usr/bin/env python3
"""Draws training runs as one SVG: validation loss (solid) and smoothed training loss (dashed) in nats
per character, one colour per run.

Against the characters trained (the default), for the budget sweep's fixed-step runs
(scripts/budget-sweep.sh), whose wall time only the machine's load moves:

    python3 scripts/budget_plot.py --out docs/budget-sweep-tinyshakespeare.svg \
        "2×256 d0.1=sweeps/budget/tinyshakespeare-lstm-2x256-s100-d0.1-lr2e-3-2100" …

Against minutes of wall time (--against minutes), for `charnn train --time` runs: a label
"PANEL/NAME" puts the run in a panel of its own per corpus; a folder holding ensemble.json is drawn
member after member on one time axis, and the mixture's validation as a dot at the end:

    python3 scripts/budget_plot.py --against minutes --out docs/budget-rows.svg \
        "tinyshakespeare/--time 60m=runs/ts60" "Truyện Kiều/--time 5m=runs/kieu5" …
"""
import argparse, csv, json, os

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]


def metrics(folder):
    return list(csv.DictReader(open(os.path.join(folder, "metrics.csv"))))


def series(rows, x):
    """The training and validation losses of metrics rows, each against x(row)."""
    train = [(x(r), float(r["train_loss"])) for r in rows if r["train_loss"] not in ("", "nan")]
    return train, [(x(r), float(r["val_loss"])) for r in rows if r["val_loss"]]


def by_characters(folder):
    """([train], [val], mixture) against millions of characters; the window is read from the folder's name."""
    per_step = 50 * (100 if "-s100-" in folder else 50)
    train, val = series(metrics(folder), lambda r: int(r["step"]) * per_step / 1e6)
    return [train], [val], None


def by_minutes(folder):
    """([train], [val], mixture) against minutes, a line per member: an ensemble's members follow one another."""
    manifest_path = os.path.join(folder, "ensemble.json")
    if os.path.exists(manifest_path):
        manifest = json.load(open(manifest_path))
        members = [os.path.join(folder, os.path.dirname(m)) for m in manifest["members"]]
    else:
        manifest, members = None, [folder]
    train, val, offset = [], [], 0.0
    for member in members:
        rows = metrics(member)
        member_train, member_val = series(rows, lambda r, start=offset: start + float(r["elapsed_s"]) / 60)
        train.append(member_train)
        val.append(member_val)
        offset += float(rows[-1]["elapsed_s"]) / 60
    mixture = (offset, manifest["validation_loss"]) if manifest else None
    return train, val, mixture


def panel(runs, x_title, left, top, width, height, y_low, y_high):
    bottom = 40
    xmax = max(x for _, train, val, _ in runs for line in train + val for x, _ in line)
    def sx(x): return left + 50 + (width - 50) * x / xmax
    def sy(y): return top + (height - bottom) * (y_high - min(max(y, y_low), y_high)) / (y_high - y_low)
    out = [f'<line x1="{sx(0)}" y1="{sy(y_low)}" x2="{sx(xmax)}" y2="{sy(y_low)}" stroke="#333"/>',
           f'<line x1="{sx(0)}" y1="{sy(y_low)}" x2="{sx(0)}" y2="{sy(y_high)}" stroke="#333"/>',
           f'<text x="{sx(xmax / 2)}" y="{top + height - 6}" text-anchor="middle" font-size="12">{x_title}</text>']
    steps = round((y_high - y_low) * 10)
    for i in range(steps + 1):
        y = y_low + i / 10
        out.append(f'<line x1="{sx(0)}" y1="{sy(y)}" x2="{sx(xmax)}" y2="{sy(y)}" stroke="#eee"/>')
        out.append(f'<text x="{sx(0) - 4}" y="{sy(y) + 4}" text-anchor="end" font-size="10">{y:.1f}</text>')
    for i in range(6):
        x = xmax * i / 5
        out.append(f'<text x="{sx(x)}" y="{sy(y_low) + 14}" text-anchor="middle" font-size="10">{x:.0f}</text>')
    for i, (label, train, val, mixture) in enumerate(runs):
        colour = COLOURS[i % len(COLOURS)]
        for lines, dash in ((val, ""), (train, ' stroke-dasharray="4 3"')):
            for points in lines:
                path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
                out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.4"{dash} points="{path}"/>')
        best = min(v for line in val for _, v in line)
        text = f"{label}: best {best:.4f}"
        if mixture:
            out.append(f'<circle cx="{sx(mixture[0]):.1f}" cy="{sy(mixture[1]):.1f}" r="4" fill="{colour}"/>')
            text = f"{label}: members' best {best:.4f}, mixture (dot) {mixture[1]:.4f}"
        out.append(f'<text x="{sx(xmax) - 4}" y="{top + 14 + 16 * i}" text-anchor="end" font-size="11" fill="{colour}">{text}</text>')
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--against", choices=["characters", "minutes"], default="characters")
    parser.add_argument("--low", type=float, default=1.0, help="lowest loss drawn (nats/char)")
    parser.add_argument("--high", type=float, default=2.0, help="highest loss drawn (nats/char)")
    parser.add_argument("runs", nargs="+", help="label=run folder (holding metrics.csv, or ensemble.json)")
    args = parser.parse_args()
    read = by_minutes if args.against == "minutes" else by_characters
    panels = {}
    for label, folder in (r.split("=", 1) for r in args.runs):
        name, _, label = label.rpartition("/") if args.against == "minutes" else ("", "", label)
        panels.setdefault(name, []).append((label, *read(folder)))
    x_title = "minutes of wall time" if args.against == "minutes" else "characters trained (millions)"
    width, panel_height = 900, 440
    height = panel_height * len(panels) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="14" y="{height / 2}" font-size="12" transform="rotate(-90 14 {height / 2})" '
           'text-anchor="middle">nats per character (solid: validation, dashed: training)</text>']
    for k, (name, runs) in enumerate(panels.items()):
        top = 30 + k * panel_height
        if name:
            out.append(f'<text x="{width / 2}" y="{top - 8}" text-anchor="middle" font-size="13" font-weight="bold">{name}</text>')
        out += panel(runs, x_title, 20, top, width - 40, panel_height - 20, args.low, args.high)
    out.append("</svg>")
    open(args.out, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
