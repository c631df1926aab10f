#!/usr/bin/env python3
"""A bounded load client for `charnn serve`, on loopback only.

Each of C concurrent clients sends R streaming completions one after another (asyncio, raw
HTTP/1.1, no dependencies) and records the time to the first generated character and the
characters received. Bounded in count (C × R requests) and time (--deadline seconds, after which
no new request starts). Optionally a fraction of the requests disconnect mid-stream.

    python3 scripts/serve_load.py --port 8080 --clients 1,8,32,128 --requests 4 --max-tokens 200
    python3 scripts/serve_load.py --port 8080 --clients 64 --requests 50 --disconnect 0.1 --server-pid PID

Prints one line per concurrency: aggregate characters/s (all characters received over the wall
time of that round), time-to-first-character p50/p99, requests, status counts. With --server-pid,
also the server's resident memory before and after, and /health's active streams after.
"""
import argparse, asyncio, json, random, statistics, sys, time

HOST = "127.0.0.1"  # loopback only


async def http(port, method, path, body=None):
    reader, writer = await asyncio.open_connection(HOST, port)
    data = json.dumps(body).encode() if body is not None else b""
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest


async def one_stream(port, body, disconnect_after):
    """Returns (status, characters, seconds to first character or None)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    data = json.dumps(body).encode()
    writer.write(f"POST /v1/completions HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split(b" ")[1])
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    characters, first, buffered = 0, None, b""
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            buffered += chunk
            while b"\n\n" in buffered:
                event, buffered = buffered.split(b"\n\n", 1)
                start = event.find(b"data: ")
                if start < 0 or event[start:].startswith(b"data: [DONE]"):
                    continue
                try:
                    payload = json.loads(event[start + 6:])
                except ValueError:
                    continue
                for choice in payload.get("choices", []):
                    text = choice.get("text", "")
                    if text and first is None:
                        first = time.perf_counter() - started
                    characters += len(text)
                if disconnect_after is not None and characters >= disconnect_after:
                    writer.transport.abort()  # the client goes away mid-stream
                    return status, characters, first
    finally:
        writer.close()
    return status, characters, first


async def round_of(port, clients, requests, args, deadline):
    results = []

    async def client(index):
        rng = random.Random(index)
        for r in range(requests):
            if time.perf_counter() > deadline:
                return
            body = {"prompt": args.prompt, "max_tokens": args.max_tokens, "temperature": 0.8,
                    "seed": index * 1000 + r, "stream": True}
            cut = rng.randint(1, max(1, args.max_tokens // 2)) if rng.random() < args.disconnect else None
            try:
                results.append(await one_stream(port, body, cut))
            except (OSError, ValueError, IndexError) as error:
                results.append((f"error {type(error).__name__}", 0, None))

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return results, time.perf_counter() - started


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", default="1,8,32,128", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=4, help="requests per client")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--prompt", default="ROMEO:")
    parser.add_argument("--disconnect", type=float, default=0.0, help="fraction of requests that leave mid-stream")
    parser.add_argument("--deadline", type=float, default=120, help="seconds per round after which no request starts")
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args()
    if args.server_pid:
        await http(args.port, "GET", "/health")
        before = rss_kib(args.server_pid)
    print("clients | requests | chars/s (aggregate) | TTFC p50 ms | TTFC p99 ms | statuses")
    for clients in [int(c) for c in args.clients.split(",")]:
        results, seconds = await round_of(args.port, clients, args.requests, args, time.perf_counter() + args.deadline)
        chars = sum(r[1] for r in results)
        firsts = [r[2] * 1000 for r in results if r[2] is not None]
        statuses = {}
        for r in results:
            statuses[r[0]] = statuses.get(r[0], 0) + 1
        print(f"{clients} | {len(results)} | {chars / seconds:,.0f} | {percentile(firsts, 0.5):.1f} | "
              f"{percentile(firsts, 0.99):.1f} | {dict(sorted(statuses.items(), key=str))}", flush=True)
    if args.server_pid:
        await asyncio.sleep(0.5)
        status, body = await http(args.port, "GET", "/health")
        health = json.loads(body)
        print(f"after: active_streams {health['active_streams']}, server RSS {before} KiB before, "
              f"{rss_kib(args.server_pid)} KiB after")
    fives = sum(1 for r in results if isinstance(r[0], int) and r[0] >= 500)
    return 1 if fives else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
