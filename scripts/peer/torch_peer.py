#!/usr/bin/env python3
"""The PyTorch peer of `charnn bench`: the same model (Embedding -> nn.LSTM/nn.GRU -> Linear), the same
flags, random data, one JSON line with chars_per_s (train) or sample_chars_per_s (sample) and peak_rss_mb.

  python3 torch_peer.py --cell lstm --layers 2 --hidden 128 --embed 64 --vocab 65 --batch 50 --seq 50 --mode train
"""
import argparse, json, resource, statistics, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seq", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mode", choices=["train", "sample"], default="train")
    ap.add_argument("--steps", type=int, default=15, help="timed training steps (after 3 untimed)")
    ap.add_argument("--sample-len", type=int, default=400)
    ap.add_argument("--sample-reps", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    a, _ = ap.parse_known_args()

    import torch
    import torch.nn as nn
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    rnn_type = nn.LSTM if a.cell == "lstm" else nn.GRU

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(a.vocab, a.embed)
            self.rnn = rnn_type(a.embed, a.hidden, a.layers)
            self.decoder = nn.Linear(a.hidden, a.vocab)

        def forward(self, ids, state=None):
            out, state = self.rnn(self.embedding(ids), state)
            return self.decoder(out), state

    model = CharRNN()
    result = dict(peer="pytorch", mode=a.mode, cell=a.cell, layers=a.layers, hidden=a.hidden, embed=a.embed,
                  vocab=a.vocab, batch=a.batch, seq=a.seq, threads=a.threads, torch=torch.__version__)
    if a.mode == "train":
        optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
        loss_fn = nn.CrossEntropyLoss()
        ids = torch.randint(0, a.vocab, (a.seq + 1, a.batch))
        times, state = [], None
        for step in range(3 + a.steps):
            start = time.perf_counter()
            logits, state = model(ids[:-1], state)
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            loss = loss_fn(logits.reshape(-1, a.vocab), ids[1:].reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            if step >= 3:
                times.append(time.perf_counter() - start)
        result["chars_per_s"] = a.batch * a.seq / statistics.median(times)
    else:
        rates = []
        with torch.no_grad():
            for _ in range(a.sample_reps):
                start = time.perf_counter()
                token, state = torch.zeros((1, 1), dtype=torch.long), None
                for _ in range(a.sample_len):
                    logits, state = model(token, state)
                    probabilities = torch.softmax(logits[0, 0] / 0.8, dim=-1)
                    token = torch.multinomial(probabilities, 1).view(1, 1)
                rates.append(a.sample_len / (time.perf_counter() - start))
        result["sample_chars_per_s"] = statistics.median(rates)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result) if a.json else result)


if __name__ == "__main__":
    main()
