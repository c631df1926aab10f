#!/usr/bin/env python3
"""Score a text with a charnn checkpoint in PyTorch, the way `charnn eval` does.

Builds a module with `embedding` (nn.Embedding), `rnn` (nn.LSTM or nn.GRU) and `decoder`
(nn.Linear), loads the checkpoint's tensors into it, and reports the mean cross-entropy of
positions 2..n of the text (zero initial state, state carried; characters outside the vocabulary
removed first and counted). Needs torch, safetensors and zstandard.

    python3 scripts/torch_eval.py checkpoints/best.safetensors.zst corpora/tinyshakespeare.txt
"""
import argparse
import json
import math
import sys
import unicodedata

import torch
import zstandard
from safetensors.torch import load


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("text")
    parser.add_argument("--chunk", type=int, default=4096, help="characters per forward call")
    args = parser.parse_args()

    with open(args.checkpoint, "rb") as f:
        raw = zstandard.ZstdDecompressor().decompress(f.read())
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    meta = header["__metadata__"]
    config, vocab = json.loads(meta["config"]), json.loads(meta["vocab"])
    if config["cell"] == "gru" and config.get("gru_variant") != "reset-after":
        sys.exit("nn.GRU computes the reset-after GRU; this checkpoint is reset-before")
    tensors = load(raw)

    vocab_size, hidden = tensors["decoder.weight"].shape
    model = torch.nn.Module()
    model.embedding = torch.nn.Embedding(vocab_size, config["embed"])
    rnn = torch.nn.LSTM if config["cell"] == "lstm" else torch.nn.GRU
    model.rnn = rnn(config["embed"], hidden, config["layers"])
    model.decoder = torch.nn.Linear(hidden, vocab_size)
    missing, _ = model.load_state_dict(tensors, strict=False)
    if missing:
        sys.exit(f"checkpoint lacks {missing}")
    model.eval()

    with open(args.text, "rb") as f:
        data = f.read()
    if config["tokenizer"] == "bytes":
        symbols = [chr(b) for b in data]
    else:
        text = data.decode("utf-8")
        if config["normalize"] == "nfc":
            text = unicodedata.normalize("NFC", text)
        symbols = list(text)
    index = {s: i for i, s in enumerate(vocab)}
    ids = [index[s] for s in symbols if s in index]
    unknown = len(symbols) - len(ids)

    ids = torch.tensor(ids, dtype=torch.long)
    total, state = 0.0, None
    with torch.inference_mode():
        for start in range(0, len(ids) - 1, args.chunk):
            x = ids[start:start + args.chunk]
            y = ids[start + 1:start + args.chunk + 1]
            x = x[:len(y)]
            out, state = model.rnn(model.embedding(x).unsqueeze(1), state)
            logits = model.decoder(out.squeeze(1)).double()
            total += torch.nn.functional.cross_entropy(logits, y, reduction="sum").item()
    scored = len(ids) - 1
    nats = total / scored
    print(json.dumps({"nats_per_char": nats, "bits_per_char": nats / math.log(2), "chars_scored": scored,
                      "unknown_skipped": unknown}))


if __name__ == "__main__":
    main()
