#!/usr/bin/env bash
# Builds the checkpoint reader with libFuzzer and AddressSanitizer and fuzzes it.
#   scripts/fuzz-checkpoint.sh [SECONDS] [extra libFuzzer flags]   (default 600 seconds)
# Seeds are small valid checkpoints written by charnn; crashes land in .build-fuzz/crashes/ and
# should become regression cases in Tests/CharRNNTests/CheckpointRobustnessTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"; shift || true
out=.build-fuzz
mkdir -p "$out/corpus" "$out/crashes"

module_maps=()
for m in COpenBLAS CZstd CMPI CCPUFeatures/include; do module_maps+=(-Xcc "-fmodule-map-file=Sources/$m/module.modulemap"); done
clang -O2 -c Sources/CCPUFeatures/CPUFeatures.c -I Sources/CCPUFeatures/include -o "$out/CPUFeatures.o"
# shellcheck disable=SC2046
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name CharRNN \
  $(find Sources/CharRNN -name '*.swift' | sort) scripts/fuzz/CheckpointFuzzer.swift "$out/CPUFeatures.o" \
  "${module_maps[@]}" $(pkg-config --cflags openblas libzstd ompi-c | sed 's/-I/-Xcc -I/g') \
  $(pkg-config --libs openblas libzstd ompi-c | sed 's/-L/-L /g') \
  -o "$out/checkpoint-fuzzer"

# Seeds: checkpoints of tiny LSTM and GRU models, raw (mode byte 0) and compressed (mode byte 1).
if [ -z "$(ls -A "$out/corpus")" ]; then
  swift build -c release --product charnn >/dev/null
  head -c 3000 corpora/tinyshakespeare.txt 2>/dev/null > "$out/seed.txt" || yes "to be or not to be" | head -c 3000 > "$out/seed.txt"
  for cell in lstm gru; do
    .build/release/charnn train "$out/seed.txt" --cell "$cell" --hidden 4 --embed 2 --layers 1 --batch 2 --seq 8 \
      --steps 1 --val-frac 0.2 --out "$out/seed-$cell" >/dev/null 2>&1
    { printf '\001'; cat "$out/seed-$cell/latest.safetensors.zst"; } > "$out/corpus/$cell-zst"
    { printf '\000'; zstd -dc "$out/seed-$cell/latest.safetensors.zst"; } > "$out/corpus/$cell-raw"
  done
fi
"$out/checkpoint-fuzzer" "$out/corpus" -artifact_prefix="$out/crashes/" -max_total_time="$seconds" \
  -max_len=65536 -print_final_stats=1 "$@"
