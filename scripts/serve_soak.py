#!/usr/bin/env python3
"""A bounded soak of `charnn serve`, on loopback only: mixed load for a given duration.

C concurrent clients (default 16) each repeat a random mix until the duration ends: streamed
completions (10% of them leave mid-stream), whole completions, sessions (create, feed, complete,
delete), scores, activations, and bad bodies (malformed JSON, wrong types, unknown characters).
Every minute it samples the server's resident memory and prints one line: requests by status,
p50/p99 time to first character of the streamed completions, RSS. At the end it waits for the
streams to drain and prints /health's active streams and sessions, and a summary; with --csv, the
per-minute rows for a plot (scripts/serve_soak_plot.py).

    python3 scripts/serve_soak.py --port 8080 --server-pid PID --minutes 60 --csv soak.csv

Exit status 1 when any response was a 5xx, or streams or sessions were left active.
"""
import argparse, asyncio, collections, json, random, sys, time

from serve_load import percentile, rss_kib  # the load client next to this script

HOST = "127.0.0.1"  # loopback only
BAD_BODIES = [b"{", b"[]", b'{"prompt": 5}', b'{"max_tokens": "many"}', b'{"temperature": -1}',
              b'{"prompt": "\\u2603\\u2603 not in the vocabulary"}', b"\xff\xfe"]


async def request(port, method, path, body=b"", stream_cut=None, timing=None):
    """One HTTP/1.1 request; returns (status, body bytes). For a streamed completion, records the
    time to the first text in `timing` and, with `stream_cut`, leaves after that many characters."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split(b" ")[1])
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        if timing is None:
            return status, await reader.read()
        characters, buffered = 0, b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return status, b""
            buffered += chunk
            while b"\n\n" in buffered:
                event, buffered = buffered.split(b"\n\n", 1)
                start = event.find(b"data: {")  # after the chunked encoding's size line, if any
                if start < 0:
                    continue
                for choice in json.loads(event[start + 6:]).get("choices", []):
                    if choice.get("text"):
                        if characters == 0:
                            timing.append(time.perf_counter() - started)
                        characters += len(choice["text"])
                if stream_cut is not None and characters >= stream_cut:
                    writer.transport.abort()  # the client goes away mid-stream
                    return status, b""
    finally:
        writer.close()


def body(value):
    return json.dumps(value).encode()


async def one_action(port, rng, minute, max_tokens):
    """One action of a random kind, each response counted in the minute it arrived in."""
    def count(kind, status):
        minute["statuses"][(kind, status)] += 1

    kind = rng.choices(["stream", "whole", "session", "score", "activations", "bad"],
                       weights=[40, 15, 15, 10, 10, 10])[0]
    seed = rng.randrange(1 << 32)
    if kind == "stream":
        cut = rng.randint(1, max_tokens // 2) if rng.random() < 0.1 else None
        payload = body({"prompt": "ROMEO:", "max_tokens": max_tokens, "temperature": 0.8, "seed": seed, "stream": True})
        status, _ = await request(port, "POST", "/v1/completions", payload, stream_cut=cut, timing=minute["first"])
        count("stream", status)
    elif kind == "whole":
        payload = body({"prompt": "The ", "max_tokens": max_tokens // 2, "seed": seed, "n": rng.randint(1, 2)})
        status, _ = await request(port, "POST", "/v1/completions", payload)
        count("whole", status)
    elif kind == "session":
        status, reply = await request(port, "POST", "/v1/sessions", b"{}")
        count("session create", status)
        if status != 201:
            return
        session = json.loads(reply)["id"]
        status, _ = await request(port, "POST", f"/v1/sessions/{session}/feed", body({"text": "First Citizen:\n"}))
        count("session feed", status)
        status, _ = await request(port, "POST", f"/v1/sessions/{session}/complete",
                                  body({"max_tokens": max_tokens // 4, "seed": seed}))
        count("session complete", status)
        status, _ = await request(port, "DELETE", f"/v1/sessions/{session}")
        count("session delete", status)
    elif kind == "score":
        status, _ = await request(port, "POST", "/v1/score", body({"text": "To be, or not to be, that is the question."}))
        count("score", status)
    elif kind == "activations":
        payload = body({"text": "All the world's a stage", "layer": rng.randint(0, 1), "quantity": "hidden"})
        status, _ = await request(port, "POST", "/v1/activations", payload)
        count("activations", status)
    else:
        status, _ = await request(port, "POST", "/v1/completions", rng.choice(BAD_BODIES))
        count("bad body", status)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--csv", help="per-minute rows: minute, requests, 5xx, ttfc_p50_ms, ttfc_p99_ms, rss_kib")
    args = parser.parse_args()

    end = time.perf_counter() + 60 * args.minutes
    totals = collections.Counter()
    minute = {"statuses": collections.Counter(), "first": []}
    rows = []

    async def client(index):
        rng = random.Random(index)
        while time.perf_counter() < end:
            try:
                await one_action(args.port, rng, minute, args.max_tokens)
            except (OSError, ValueError, IndexError) as error:
                minute["statuses"][("client error " + type(error).__name__, 0)] += 1

    async def reporter():
        number = 0
        print("minute | requests | 5xx | TTFC p50 ms | TTFC p99 ms | RSS KiB | statuses", flush=True)
        while time.perf_counter() < end:
            await asyncio.sleep(min(60, max(0.1, end - time.perf_counter())))
            number += 1
            statuses, first = minute["statuses"], minute["first"]
            minute["statuses"], minute["first"] = collections.Counter(), []
            totals.update(statuses)
            count = sum(statuses.values())
            errors = sum(n for (_, status), n in statuses.items() if status >= 500)
            row = (number, count, errors, 1e3 * percentile(first, 0.5), 1e3 * percentile(first, 0.99),
                   rss_kib(args.server_pid))
            rows.append(row)
            by_status = collections.Counter()
            for (_, status), n in statuses.items():
                by_status[status] += n
            by_status = dict(sorted(by_status.items()))
            print(f"{row[0]} | {row[1]} | {row[2]} | {row[3]:.1f} | {row[4]:.1f} | {row[5]} | {by_status}", flush=True)

    await asyncio.gather(reporter(), *(client(i) for i in range(args.clients)))
    # Let cut streams free their slots, then ask the server what is left.
    await asyncio.sleep(2)
    _, health = await request(args.port, "GET", "/health")
    health = json.loads(health)
    print("requests by kind and status:", dict(sorted(totals.items())))
    server_errors = sum(n for (_, status), n in totals.items() if status >= 500)
    print(f"5xx: {server_errors}; active streams at the end: {health['active_streams']}; "
          f"active sessions at the end: {health['active_sessions']}")
    if len(rows) >= 20:
        warm = [r[5] for r in rows[1:11]]
        last = [r[5] for r in rows[-10:]]
        change = (sum(last) / len(last)) / (sum(warm) / len(warm)) - 1
        print(f"RSS: minutes 2-11 mean {sum(warm) / len(warm):.0f} KiB, last 10 minutes mean "
              f"{sum(last) / len(last):.0f} KiB ({100 * change:+.2f}%)")
    if args.csv:
        with open(args.csv, "w") as out:
            out.write("minute,requests,server_errors,ttfc_p50_ms,ttfc_p99_ms,rss_kib\n")
            for row in rows:
                out.write(",".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row) + "\n")
    sys.exit(1 if server_errors or health["active_streams"] or health["active_sessions"] else 0)


if __name__ == "__main__":
    asyncio.run(main())
