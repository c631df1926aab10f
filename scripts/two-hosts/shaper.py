#!/usr/bin/env python3
"""A user-space stand-in for `tc qdisc add dev IF root netem delay D loss P`, for kernels built
without sch_netem: packets that an nftables rule sends to NFQUEUE QUEUE are held for D
milliseconds and then accepted, or dropped with probability P; order is kept (a FIFO), as netem
keeps it. Only the netlink protocol of nfnetlink_queue (linux/netfilter/nfnetlink_queue.h) is
spoken, from the standard library.

    shaper.py QUEUE DELAY_MS LOSS_PERCENT SEED

Runs until SIGTERM; prints one line of counts (held, dropped) on exit.
"""
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NF_DROP, NF_ACCEPT = 0, 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def attribute(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def message(kind, queue, attributes, flags=NLM_F_REQUEST, sequence=0):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attributes)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, sequence, 0) + body


def main():
    queue, delay_ms, loss_percent, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    config = [
        attribute(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, socket.AF_INET)),
        attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)),
        attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 1 << 16)),
    ]
    for sequence, attributes in enumerate(([config[0]], config[1:]), start=1):
        sock.send(message(NFQNL_MSG_CONFIG, queue, attributes, NLM_F_REQUEST | NLM_F_ACK, sequence))
        reply = sock.recv(65536)
        length, kind = struct.unpack_from("=IH", reply)
        if kind == NLMSG_ERROR and struct.unpack_from("=i", reply, 16)[0] != 0:
            error = -struct.unpack_from("=i", reply, 16)[0]
            sys.exit(f"shaper: binding netfilter queue {queue} failed: {os.strerror(error)}")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    held = dropped = 0
    pending = []  # (due, packet id, verdict): a FIFO, since the delay is constant
    delay = delay_ms / 1000
    print(f"shaper: queue {queue}, delay {delay_ms:g} ms, loss {loss_percent:g}%", file=sys.stderr, flush=True)
    while not stopping or pending:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, packet, verdict = heapq.heappop(pending)
            sock.send(message(NFQNL_MSG_VERDICT, queue,
                              [attribute(NFQA_VERDICT_HDR, struct.pack("!II", verdict, packet))]))
        if stopping:
            # Everything still held is released at once, so no connection is left waiting.
            for _, packet, verdict in pending:
                sock.send(message(NFQNL_MSG_VERDICT, queue,
                                  [attribute(NFQA_VERDICT_HDR, struct.pack("!II", verdict, packet))]))
            break
        timeout = max(0.0, pending[0][0] - now) if pending else 0.5
        try:
            ready, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        if not ready:
            continue
        try:
            data = sock.recv(1 << 16)
        except OSError as error:  # ENOBUFS: the kernel dropped queue messages; those packets are lost
            print(f"shaper: {error}", file=sys.stderr, flush=True)
            continue
        offset = 0
        arrived = time.monotonic()
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                position = offset + 20  # nlmsghdr (16) + nfgenmsg (4)
                while position + 4 <= offset + length:
                    attribute_length, attribute_kind = struct.unpack_from("=HH", data, position)
                    if attribute_length < 4:
                        break
                    if attribute_kind & 0x7FFF == NFQA_PACKET_HDR:
                        packet = struct.unpack_from("!I", data, position + 4)[0]
                        lost = rng.random() * 100 < loss_percent
                        dropped += lost
                        held += 1
                        heapq.heappush(pending, (arrived + delay, packet, NF_DROP if lost else NF_ACCEPT))
                        break
                    position += (attribute_length + 3) & ~3
            offset += (length + 3) & ~3
    print(f"shaper: queue {queue}: {held} packets held {delay_ms:g} ms, {dropped} dropped", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
