"""A rush on one slot (read by bench_booking.py): ATTEMPTS residents press 予約する on the same slot at once.

Every attempt has a connection of its own, opened before the rush; then all requests are written in one go and the
script waits for every answer. It measures how long the last resident waits for an answer (the crowd a full booth
attracts: nearly all of them are refused) and counts the answers.

    python rush.py URL SLOT_ID ATTEMPTS RUN

With ``--wait``, the script says ``READY`` once its connections are open and starts the rush when it reads a line
from stdin; after its figures it keeps the connections open until it reads another line. bench_booking.py reads the
server's CPU between these steps, so that the CPU per answer counts the requests as the write mix's (on keep-alive
connections) counts them, and opening and closing the 300 connections is measured apart.

prints one line: ``RUSH {json}`` with the counts by answer, the seconds until the last answer and the latency
percentiles in ms.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def warm(connections: list, i: int, host: str, port: int) -> None:
    """One GET /healthz on connection ``i``; a new connection instead while the server asks it to close (a worker
    that holds more than its share sends its clients to another: core.serving)."""
    while True:
        reader, writer = connections[i]
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(x[15:]) for x in head.split(b"\r\n") if x[:15].lower() == b"content-length:"), 0)
        await reader.readexactly(length)
        if b"connection: close" not in head.lower():
            return
        writer.close()
        connections[i] = await asyncio.open_connection(host, port)


async def main(url: str, slot_id: int, attempts: int, run: str, wait: bool = False) -> None:
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    connections = [await asyncio.open_connection(host, port) for _ in range(attempts)]
    if wait:
        # Each connection asks GET /healthz once, so that the server has accepted it and made its protocol (as the
        # write mix's keep-alive connections have): the CPU measured from READY on is then the rush's requests'.
        await asyncio.gather(*(warm(connections, i, host, port) for i in range(attempts)))
        print("READY", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    counts = {"created": 0, "refused": 0, "limited": 0, "client_errors": 0, "server_errors": 0, "socket_errors": 0}
    latencies: list[float] = []
    with_alternatives = 0

    def request(serial: int) -> bytes:
        body = json.dumps(
            {"slot_id": slot_id, "name_kana": "カナザワ ハナコ", "phone": f"070{serial:08d}", "party_size": 1}
        ).encode()
        return (
            f"POST /api/bookings HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: rush-{run}-{serial}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def attempt(serial: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal with_alternatives
        try:
            writer.write(request(serial))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts["socket_errors"] += 1
            return
        latencies.append(time.perf_counter() - started)
        if status == 201:
            counts["created"] += 1
        elif status == 409:
            counts["refused"] += 1
            with_alternatives += bool(json.loads(body).get("alternatives"))
        elif status == 429:
            counts["limited"] += 1
        elif status >= 500:
            counts["server_errors"] += 1
        else:
            counts["client_errors"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(attempt(i, r, w) for i, (r, w) in enumerate(connections)))
    figures = {
        "attempts": attempts,
        "seconds": time.perf_counter() - started,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        "refusals_with_alternatives": with_alternatives,
        **counts,
    }
    print("RUSH " + json.dumps(figures), flush=True)
    if wait:
        await asyncio.to_thread(sys.stdin.readline)
    for _reader, writer in connections:
        writer.close()


if __name__ == "__main__":
    try:
        import uvloop  # a lighter client, so that the server gets the CPU

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    url_, slot_, attempts_, run_ = sys.argv[1:5]
    asyncio.run(main(url_, int(slot_), int(attempts_), run_, wait="--wait" in sys.argv[5:]))
