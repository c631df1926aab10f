#!/usr/bin/env bash
# Builds the checkpoint reader with libFuzzer and AddressSanitizer and fuzzes it.
#   scripts/fuzz-checkpoint.sh [--structured] [SECONDS] [extra libFuzzer flags]   (default 600 seconds)
# Seeds are small valid checkpoints written by charnn; crashes land in .build-fuzz/crashes/ and
# should become regression cases in Tests/CharRNNTests/CheckpointRobustnessTests.swift.
#
# Byte-level (scripts/fuzz/CheckpointFuzzer.swift): libFuzzer's mutations of the raw or the
# compressed file. --structured (scripts/fuzz/StructuredCheckpointFuzzer.swift): a custom mutator,
# Tests/CheckpointSurgery/CheckpointMutator.swift, changes the safetensors structure inside a zstd
# frame it keeps valid; its corpus and crashes are .build-fuzz/structured-corpus/ and
# .build-fuzz/structured-crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
structured=0
if [ "${1:-}" = "--structured" ]; then structured=1; shift; fi
seconds="${1:-600}"; shift || true
out=.build-fuzz
if [ "$structured" -eq 1 ]; then
  harness=(scripts/fuzz/StructuredCheckpointFuzzer.swift Tests/CheckpointSurgery/RawJSON.swift
           Tests/CheckpointSurgery/CheckpointMutator.swift)
  fuzzer="$out/structured-fuzzer" corpus="$out/structured-corpus" crashes="$out/structured-crashes"
else
  harness=(scripts/fuzz/CheckpointFuzzer.swift)
  fuzzer="$out/checkpoint-fuzzer" corpus="$out/corpus" crashes="$out/crashes"
fi
mkdir -p "$corpus" "$crashes"

# The C modules the library imports, found from its sources so that a new one needs no edit here.
# A system library (Sources/M/module.modulemap) brings its headers and its pkg-config flags; a C
# target has its .c files compiled here (optimised and instrumented, as the fuzzed code may call
# them) and its include/ folder made a module: its own include/module.modulemap if it has one, else
# the umbrella module SwiftPM would generate (include/M.h as umbrella header, or the whole folder).
clang_flags=(-O3 -g -fsanitize=address,fuzzer-no-link)
module_flags=() objects=()
rm -rf "$out/objects" "$out/modulemaps"
for m in $(grep -rhoE '^[[:space:]]*(@_implementationOnly |@preconcurrency |(public|package|internal) )*import [A-Za-z_][A-Za-z0-9_]*' \
             Sources/CharRNN | awk '{print $NF}' | sort -u); do
  [ -d "Sources/$m" ] || continue  # Foundation, Glibc, Synchronization, …
  if [ -f "Sources/$m/module.modulemap" ]; then
    module_flags+=(-Xcc "-fmodule-map-file=Sources/$m/module.modulemap")
    continue
  fi
  include="$PWD/Sources/$m/include"
  module_map="$include/module.modulemap"
  if [ ! -f "$module_map" ]; then
    mkdir -p "$out/modulemaps/$m"
    module_map="$PWD/$out/modulemaps/$m/module.modulemap"
    if [ -f "$include/$m.h" ]; then
      printf 'module %s {\n    umbrella header "%s"\n    export *\n}\n' "$m" "$include/$m.h" > "$module_map"
    else
      printf 'module %s {\n    umbrella "%s"\n    export *\n}\n' "$m" "$include" > "$module_map"
    fi
  fi
  module_flags+=(-Xcc "-fmodule-map-file=$module_map" -Xcc "-I$include")
  while IFS= read -r source; do
    object="$out/objects/$m/$(basename "${source%.c}").o"
    mkdir -p "$(dirname "$object")"
    clang "${clang_flags[@]}" -I "$include" -c "$source" -o "$object"
    objects+=("$object")
  done < <(find "Sources/$m" -name '*.c' | sort)
done
# The system libraries' packages, as Package.swift names them.
pkg_config=$(grep -oE 'pkgConfig: *"[^"]+"' Package.swift | sed -E 's/.*"(.*)"/\1/' | sort -u | tr '\n' ' ')
# lld: gold prints a warning for each of ASan's ~140 outlined check symbols it cannot export.
# shellcheck disable=SC2046,SC2086
swiftc -O -sanitize=fuzzer,address -use-ld=lld -parse-as-library -module-name CharRNN \
  $(find Sources/CharRNN -name '*.swift' | sort) "${harness[@]}" "${objects[@]}" \
  "${module_flags[@]}" $(pkg-config --cflags $pkg_config | sed 's/-I/-Xcc -I/g') \
  $(pkg-config --libs $pkg_config | sed 's/-L/-L /g') \
  -o "$fuzzer"

# Seeds: checkpoints of tiny LSTM and GRU models (and, structured, LSTM-LN); byte-level, raw (mode
# byte 0) and compressed (mode byte 1); structured, the files as written.
if [ -z "$(ls -A "$corpus")" ]; then
  # The debug build `swift build` leaves: one training step of a tiny model needs no optimiser.
  swift build --product charnn >/dev/null
  charnn="$(swift build --show-bin-path)/charnn"
  # Without the corpus (corpora/fetch.sh), a repeated line; not `yes | head`, which pipefail ends.
  head -c 3000 corpora/tinyshakespeare.txt 2>/dev/null > "$out/seed.txt" \
    || printf 'to be or not to be\n%.0s' $(seq 160) > "$out/seed.txt"
  for cell in lstm gru lstm-ln; do
    "$charnn" train "$out/seed.txt" --cell "$cell" --hidden 4 --embed 2 --layers 1 --batch 2 --seq 8 \
      --steps 1 --val-frac 0.2 --out "$out/seed-$cell" >/dev/null 2>&1
    if [ "$structured" -eq 1 ]; then
      cp "$out/seed-$cell/latest.safetensors.zst" "$corpus/$cell.safetensors.zst"
    elif [ "$cell" != lstm-ln ]; then
      { printf '\001'; cat "$out/seed-$cell/latest.safetensors.zst"; } > "$corpus/$cell-zst"
      { printf '\000'; zstd -dc "$out/seed-$cell/latest.safetensors.zst"; } > "$corpus/$cell-raw"
    fi
  done
fi
limits=(-max_len=65536)
if [ "$structured" -eq 1 ]; then
  # Room for the headers mutations grow (1,000 more tensors, 5,000 vocabulary symbols). A resident
  # size of 4 GiB: over a long run ASan's quarantine and caches take the process past libFuzzer's
  # 2 GiB default with a live heap of tens of MB (seen: 2390 MB resident, 33 MB live); one
  # allocation above 2 GiB, or an input taking 20 s, is still a finding.
  limits=(-max_len=262144 -rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=20)
fi
"$fuzzer" "$corpus" -artifact_prefix="$crashes/" -max_total_time="$seconds" "${limits[@]}" \
  -print_final_stats=1 "$@"
