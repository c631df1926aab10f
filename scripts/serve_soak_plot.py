#!/usr/bin/env python3
"""Draws serve_soak.py's per-minute CSV files as one SVG: resident memory and p99 time to first
character against the minute, one curve per file (e.g. model S and model L).

    python3 scripts/serve_soak_plot.py --out docs/serve-soak.svg S=soak-s.csv L=soak-l.csv
"""
import argparse, csv, math

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def panel(x0, y0, width, height, title, unit, series):
    """One plot: `series` is [(label, colour, [(minute, value)])]."""
    points = [p for _, _, values in series for p in values if not math.isnan(p[1])]
    if not points:
        return ""
    xmax = max(p[0] for p in points)
    ymax = max(p[1] for p in points) * 1.1 or 1
    def sx(x): return x0 + 50 + (width - 60) * x / max(xmax, 1)
    def sy(y): return y0 + height - 30 - (height - 50) * y / ymax
    out = [f'<text x="{x0 + width / 2}" y="{y0 + 14}" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(xmax)}" y2="{sy(0)}" stroke="#333"/>',
           f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(0)}" y2="{sy(ymax)}" stroke="#333"/>',
           f'<text x="{sx(xmax / 2)}" y="{y0 + height - 5}" text-anchor="middle" font-size="11">minute</text>']
    for i in range(5):
        y = ymax * i / 4
        out.append(f'<text x="{sx(0) - 4}" y="{sy(y) + 4}" text-anchor="end" font-size="10">{y:.0f}</text>')
        x = xmax * i / 4
        out.append(f'<text x="{sx(x)}" y="{sy(0) + 12}" text-anchor="middle" font-size="10">{x:.0f}</text>')
    out.append(f'<text x="{x0 + 4}" y="{y0 + 30}" font-size="10">{unit}</text>')
    for i, (label, colour, values) in enumerate(series):
        path = " ".join(f"{sx(m):.1f},{sy(v):.1f}" for m, v in values if not math.isnan(v))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        out.append(f'<text x="{x0 + width - 10}" y="{y0 + 30 + 14 * i}" text-anchor="end" font-size="11" '
                   f'fill="{colour}">{label}</text>')
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("runs", nargs="+", help="LABEL=FILE.csv")
    args = parser.parse_args()
    rss, ttfc = [], []
    for i, run in enumerate(args.runs):
        label, path = run.split("=", 1)
        rows = list(csv.DictReader(open(path)))
        colour = COLOURS[i % len(COLOURS)]
        rss.append((label, colour, [(int(r["minute"]), int(r["rss_kib"]) / 1024) for r in rows]))
        ttfc.append((label, colour, [(int(r["minute"]), float(r["ttfc_p99_ms"])) for r in rows]))
    width, height = 900, 300
    body = panel(0, 0, width / 2, height, "server resident memory", "MiB", rss) + "\n" + \
        panel(width / 2, 0, width / 2, height, "p99 time to first character", "ms", ttfc)
    with open(args.out, "w") as out:
        out.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                  f'font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')


if __name__ == "__main__":
    main()
