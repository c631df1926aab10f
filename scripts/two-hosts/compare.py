#!/usr/bin/env python3
"""Largest difference between the parameters of two charnn checkpoints (NAME.safetensors.zst: one
zstd frame holding a safetensors file; README, "Checkpoint format"), from the standard library and
the `zstd` command only.

    compare.py A B

Compares the model's tensors (not Adam's moments `optimizer.*` nor the carried state `training.*`)
and prints one line: the maximum relative difference, where a tensor's difference is taken
relative to its largest magnitude in B,

    max over tensors t, entries i of |A_t[i] - B_t[i]| / max_i |B_t[i]|

so that a weight near zero cannot inflate it, and the largest absolute difference beside it.
Exits 1 when the two do not hold the same tensors with the same shapes.
"""
import array
import json
import struct
import subprocess
import sys


def tensors(path):
    raw = subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout
    (length,) = struct.unpack_from("<Q", raw)
    header = json.loads(raw[8:8 + length])
    header.pop("__metadata__", None)
    result = {}
    for name, entry in header.items():
        if name.startswith(("optimizer.", "training.")):
            continue
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {entry['dtype']}, not F32")
        begin, end = entry["data_offsets"]
        values = array.array("f")
        values.frombytes(raw[8 + length + begin:8 + length + end])
        if sys.byteorder != "little":
            values.byteswap()
        result[name] = (entry["shape"], values)
    return result


def main():
    a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
    if a.keys() != b.keys() or any(a[name][0] != b[name][0] for name in a):
        sys.exit(f"{sys.argv[1]} and {sys.argv[2]} hold different tensors")
    worst_relative, worst_absolute, where = 0.0, 0.0, ""
    for name in sorted(a):
        x, y = a[name][1], b[name][1]
        scale = max((abs(v) for v in y if v == v), default=0.0) or 1.0
        # A NaN on either side counts as an infinite difference.
        difference = max((abs(p - q) if p - q == p - q else float("inf") for p, q in zip(x, y)), default=0.0)
        worst_absolute = max(worst_absolute, difference)
        if difference / scale >= worst_relative:
            worst_relative, where = difference / scale, name
    count = sum(len(values) for _, values in a.values())
    print(f"{worst_relative:.3g} relative ({worst_absolute:.3g} absolute, worst in {where}) over {count} parameters")


if __name__ == "__main__":
    main()
