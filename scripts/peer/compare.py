#!/usr/bin/env python3
"""charnn against PyTorch, side by side in one run: for each config and mode the two alternate
(charnn, PyTorch, charnn, PyTorch, ...) and the medians and their ratio are printed. Alternating
matters on shared machines, whose speed swings within minutes: only a ratio from one run is a
measurement.

  bash scripts/peer/setup.sh                      # once: a venv with the CPU build of PyTorch
  python3 scripts/peer/compare.py --charnn .build/release/charnn [--configs S,L] [--modes train,sample]
"""
import argparse, json, os, statistics, subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = {
    "S": dict(cell="lstm", layers=2, hidden=128, batch=50, seq=50),
    "S-GRU": dict(cell="gru", layers=2, hidden=128, batch=50, seq=50),
    "M": dict(cell="lstm", layers=2, hidden=256, batch=64, seq=100),
    "L": dict(cell="lstm", layers=3, hidden=512, batch=64, seq=100),
    "L-GRU": dict(cell="gru", layers=3, hidden=512, batch=64, seq=100),
}


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in:\n" + text[-1000:])


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-1000:]}")
    return last_json(done.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--charnn", required=True)
    ap.add_argument("--python", help="python with torch (default: the one scripts/peer/setup.sh prints)")
    ap.add_argument("--configs", default="S,S-GRU,M,L,L-GRU")
    ap.add_argument("--modes", default="train,sample")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--charnn-args", default="", help="more flags for charnn bench, e.g. '--weights f16'")
    a = ap.parse_args()
    python = a.python or subprocess.run(["bash", os.path.join(HERE, "setup.sh")], capture_output=True, text=True,
                                        check=True).stdout.strip().splitlines()[-1]
    for name in a.configs.split(","):
        flags = [f"--{k}={v}" for k, v in CONFIGS[name].items()]
        flags += ["--embed=64", "--vocab=65", f"--threads={a.threads}"]
        for mode in a.modes.split(","):
            key = "chars_per_s" if mode == "train" else "sample_chars_per_s"
            ours, theirs = [], []
            for _ in range(a.rounds):
                ours.append(run([a.charnn, "bench", "--json", f"--mode={mode}"] + flags + a.charnn_args.split()))
                theirs.append(run([python, os.path.join(HERE, "torch_peer.py"), "--json", f"--mode={mode}"] + flags))
            o = statistics.median(r[key] for r in ours)
            t = statistics.median(r[key] for r in theirs)
            rss_o = statistics.median(r["peak_rss_mb"] for r in ours)
            rss_t = statistics.median(r["peak_rss_mb"] for r in theirs)
            line = (f"{name:6} {mode:6} charnn {o:10.1f}  pytorch {t:10.1f}  ratio {o / t:6.2f}x   "
                    f"rss {rss_o:.0f} vs {rss_t:.0f} MB")
            if mode == "train":
                line += "   " + peak_share(ours, o, t)
            print(line, flush=True)


def peak_share(ours, o, t):
    """Both peers' chars/s as fractions of the FMA peak charnn measured on its threads in its rounds,
    at the FLOPs per character charnn counts (the same model, so the same work for both), and the
    ratio charnn would reach at that peak against this PyTorch: a target above it cannot be met on
    this CPU."""
    flops_per_char = statistics.median(r["gflops"] * 1e9 / r["chars_per_s"] for r in ours)
    peak = statistics.median(r["peak_gflops"] for r in ours) * 1e9
    mine, theirs = o * flops_per_char / peak, t * flops_per_char / peak
    return f"of peak {mine:.2f} vs {theirs:.2f}  ratio at peak {1 / theirs:5.2f}x"


if __name__ == "__main__":
    main()
