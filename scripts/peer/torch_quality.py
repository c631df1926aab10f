#!/usr/bin/env python3
"""Validation loss per wall-clock time of a PyTorch char-RNN trained on charnn's data layout, to set
beside `charnn train CORPUS --time T` (run it with the venv python of scripts/peer/setup.sh).

Layout as charnn's for one file: the vocabulary is the sorted distinct characters; the last
floor(val_frac · n) characters are validation. The training ids (N of them) are read as B streams
of S = (N − 1) // B characters; window k feeds x[b, t] = ids[b·S + k·T + t] and scores the next
character; the state is carried from window to window and zeroed at each epoch. Validation lays the
held-out ids out the same way and scores every position of its windows with the state carried.
Adam (PyTorch's defaults), global-norm clipping, a constant rate. Dropout between layers and before
the decoder. Prints a JSON line per validation and a summary line last.

    python3 scripts/peer/torch_quality.py corpora/tinyshakespeare.txt --seconds 300 --layers 2 --hidden 256 --seq 100
"""
import argparse, json, time
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, vocabulary, embed, hidden, layers, cell, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, embed)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocabulary)

    def forward(self, x, state):
        output, state = self.rnn(self.embedding(x), state)
        return self.decoder(self.drop(output)), state


def as_streams(ids, batch):
    """(batch, S + 1) rows: stream b is ids[b·S ... b·S + S]."""
    length = (len(ids) - 1) // batch
    return length, torch.stack([ids[b * length: b * length + length + 1] for b in range(batch)])


def window(streams, k, seq):
    x = streams[:, k * seq: k * seq + seq].t().contiguous()
    y = streams[:, k * seq + 1: k * seq + seq + 1].t().contiguous()
    return x, y


def detached(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def validate(model, ids, batch, seq):
    length, streams = as_streams(ids, batch)
    model.eval()
    state, total, count = None, 0.0, 0
    with torch.inference_mode():
        for k in range(length // seq):
            x, y = window(streams, k, seq)
            logits, state = model(x, state)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                                 reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seq", type=int, default=50)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--val-frac", type=float, default=0.05)
    parser.add_argument("--val-every", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300, help="wall-clock budget of training and validation")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    text = open(args.corpus, encoding="utf-8").read()
    vocabulary = sorted(set(text))
    index = {c: i for i, c in enumerate(vocabulary)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    held_out = int(args.val_frac * len(ids))
    training, validation = ids[:len(ids) - held_out], ids[len(ids) - held_out:]
    length, streams = as_streams(training, args.batch)
    windows_per_epoch = length // args.seq

    model = Model(len(vocabulary), args.embed, args.hidden, args.layers, args.cell, args.dropout)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    started = time.perf_counter()
    step, best, state = 0, float("inf"), None
    while time.perf_counter() - started < args.seconds:
        k = step % windows_per_epoch
        if k == 0:
            state = None
        x, y = window(streams, k, args.seq)
        logits, state = model(x, detached(state))
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        if args.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimiser.step()
        step += 1
        if step % args.val_every == 0:
            value = validate(model, validation, args.batch, args.seq)
            best = min(best, value)
            print(json.dumps({"step": step, "elapsed_s": round(time.perf_counter() - started, 1),
                              "train_loss": round(loss.item(), 4), "val_nats": round(value, 4)}), flush=True)
    value = validate(model, validation, args.batch, args.seq)
    best = min(best, value)
    seconds = time.perf_counter() - started
    print(json.dumps({"summary": True, "cell": args.cell, "layers": args.layers, "hidden": args.hidden,
                      "batch": args.batch, "seq": args.seq, "dropout": args.dropout, "steps": step,
                      "seconds": round(seconds, 1), "chars_per_s": round(step * args.batch * args.seq / seconds),
                      "best_val_nats": round(best, 4)}), flush=True)


if __name__ == "__main__":
    main()
