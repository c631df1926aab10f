#!/usr/bin/env bash
# Trains each model of a grid for a fixed number of steps (cosine schedule to the last step) and
# appends one row per run to a CSV: the data the budget rule of `charnn train --time` is fitted on.
# Steps, not seconds: a run's result does not depend on what else the machine runs; the rule turns
# a time budget into steps with the speed it measures before training.
#
#   bash scripts/budget-sweep.sh CORPUS GRID OUT.csv [RUNS-FOLDER]
#
# GRID: one run per line, `cell layers hidden seq dropout lr steps [train flags…]` ('#' starts a
# comment), e.g. `lstm 2 512 100 0.3 2e-3 3500 --locked-dropout`.
# A run whose row is already in OUT.csv is not repeated. Every model flag is given (--batch too), so
# `charnn train`'s budget rule adds nothing to a run (before 2026-12-06 13:40 it was not given, and
# the rule chose locked masks for runs with dropout that did not ask for them).
set -euo pipefail
corpus=${1:?corpus}; grid=${2:?grid file}; table=${3:?output csv}; runs=${4:-sweeps/budget}
charnn=${CHARNN:-.build/release/charnn}
[[ -x $charnn ]] || { echo "budget-sweep: $charnn not found; run swift build -c release" >&2; exit 1; }
[[ -f $table ]] || echo "corpus,cell,layers,hidden,batch,seq,dropout,lr,steps,flags,characters_trained,epochs,best_val_nats,best_at_step,last_train_loss,seconds,chars_per_s" >"$table"
name=$(basename "$corpus" .txt)
while read -r cell layers hidden seq dropout lr steps extra; do
    [[ -z ${cell:-} || $cell == \#* ]] && continue
    key="$name,$cell,$layers,$hidden,50,$seq,$dropout,$lr,$steps,${extra:-},"
    grep -q "^$key" "$table" && continue
    out="$runs/$name-$cell-${layers}x$hidden-s$seq-d$dropout-lr$lr-$steps${extra:+-$(echo $extra | tr -d ' -')}"
    rm -rf "$out"
    warmup=$(( steps / 50 > 20 ? steps / 50 : 20 ))
    echo "budget-sweep: $cell ${layers}x$hidden seq $seq dropout $dropout lr $lr, $steps steps ($(uptime | sed 's/.*load/load/'))" >&2
    "$charnn" train "$corpus" --cell "$cell" --layers "$layers" --hidden "$hidden" --batch 50 --seq "$seq" --dropout "$dropout" \
        --lr "$lr" --steps "$steps" --schedule cosine --warmup "$warmup" --val-every 200 --save-every 0 \
        --log-every 200 ${extra:-} --out "$out" >"$out.log" 2>&1 || { echo "budget-sweep: run failed, see $out.log" >&2; continue; }
    python3 - "$out/metrics.csv" "$key" "$corpus" >>"$table" <<'PY'
import csv, sys, os
rows = list(csv.DictReader(open(sys.argv[1])))
val = [r for r in rows if r["val_loss"]]
best = min(val, key=lambda r: float(r["val_loss"]))
last = rows[-1]
parts = sys.argv[2].split(",")
steps, seq = int(parts[8]), int(parts[5])  # parts[9]: the extra flags
trained = steps * 50 * seq
corpus_chars = len(open(sys.argv[3], encoding="utf-8").read()) * 0.95
seconds = float(last["elapsed_s"])
print(f"{sys.argv[2]}{trained},{trained / corpus_chars:.2f},{float(best['val_loss']):.4f},{best['step']},"
      f"{float(last['train_loss']):.4f},{seconds:.0f},{trained / seconds:.0f}")
PY
done <"$grid"
