#!/usr/bin/env bash
# Makes (once) a Python venv with the CPU build of PyTorch for scripts/peer/compare.py and prints its
# python on the last line. PEER_VENV chooses where (default ~/.cache/charnn-peers/venv).
set -euo pipefail
venv="${PEER_VENV:-$HOME/.cache/charnn-peers/venv}"
works() { "$venv/bin/python" -c "import torch; torch.zeros(1).sum().item()" >/dev/null 2>&1; }
if [ -x "$venv/bin/python" ] && works; then echo "$venv/bin/python"; exit 0; fi
rm -rf "$venv"; mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv"
# The CPU-only wheel is about 200 MB; the default one pulls gigabytes of CUDA libraries.
"$venv/bin/pip" install -q "torch==2.13.0+cpu" >&2 \
  || "$venv/bin/pip" install -q --index-url https://download.pytorch.org/whl/cpu torch >&2 \
  || "$venv/bin/pip" install -q torch >&2
works || { echo "PyTorch does not import in $venv" >&2; exit 1; }
echo "$venv/bin/python"
