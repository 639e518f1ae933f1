"""An open-loop load of bookings and cancellations at a fixed offered rate (read by bench_booking.py).

wrk (closed loop) sends a connection's next request only when the previous answer is in, so its latency at full
throughput is set by the number of connections (Little's law: 64 connections / requests per second), not by how
long a resident waits at a given load. Here requests are due at the times of a Poisson process of the offered rate,
whatever the answers do; each is sent on the first of CONNECTIONS keep-alive connections that is free, and its
latency is counted from the moment it was due (queueing for a connection included: no coordinated omission).

    python open_loop.py URL RATE CONNECTIONS SECONDS SLOT_FILE CANCEL_SHARE RUN

prints one line: ``OPENLOOP {json}`` with the counts by answer and the latency percentiles in ms.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(
    url: str, rate: float, connections: int, seconds: float, slot_file: str, cancel_share: float, run: str
) -> dict:
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    slots = [int(x) for x in Path(slot_file).read_text().split()]  # read before the load starts
    rng = random.Random(run)
    due: asyncio.Queue[float | None] = asyncio.Queue()
    pending: list[tuple[str, str]] = []  # (code, token) of bookings made, oldest first
    latencies: list[float] = []
    counts = {
        "sent_bookings": 0,
        "sent_cancels": 0,
        "created": 0,
        "cancelled": 0,
        "refused": 0,
        "limited": 0,
        "client_errors": 0,
        "server_errors": 0,
        "socket_errors": 0,
    }
    serial = 0
    party_sizes = [1, 1, 1, 1, 2, 2, 3]

    def next_request() -> bytes:
        nonlocal serial
        if pending and rng.random() < cancel_share:
            code, token = pending.pop(0)
            counts["sent_cancels"] += 1
            return (
                f"POST /api/bookings/{code}/cancel?token={token} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
            ).encode()
        serial += 1
        counts["sent_bookings"] += 1
        body = json.dumps(
            {
                "slot_id": rng.choice(slots),
                "name_kana": "カナザワ タロウ",
                "phone": f"080{serial:08d}",
                "party_size": rng.choice(party_sizes),
            }
        ).encode()
        return (
            f"POST /api/bookings HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: open-{run}-{serial}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while (intended := await due.get()) is not None:
            try:
                writer.write(next_request())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
            except (OSError, asyncio.IncompleteReadError, ValueError):
                counts["socket_errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            latencies.append(time.perf_counter() - intended)
            if status == 201:
                counts["created"] += 1
                data = json.loads(body)
                pending.append((data["code"], data["token"]))
            elif status == 200:
                counts["cancelled"] += 1
            elif status == 409:
                counts["refused"] += 1
            elif status == 429:
                counts["limited"] += 1
            elif status >= 500:
                counts["server_errors"] += 1
            else:
                counts["client_errors"] += 1
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open
    started = time.perf_counter()
    moment, offered = started, 0
    while moment < started + seconds:
        moment += rng.expovariate(rate)
        wait = moment - time.perf_counter()
        if wait > 0.001:
            await asyncio.sleep(wait)
        due.put_nowait(moment)
        offered += 1
    backlog = due.qsize()  # requests due but not yet sent when the offered load ends
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    return {
        "offered": offered,
        "offered_rate": offered / seconds,
        "seconds": elapsed,
        "answered": len(latencies),
        "backlog_at_end": backlog,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p90_ms": percentile(latencies, 0.9) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        **counts,
    }


if __name__ == "__main__":
    try:
        import uvloop  # installed with uvicorn[standard]: a lighter client, so that the server gets the CPU

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    url_, rate_, connections_, seconds_, slot_file_, cancel_share_, run_ = sys.argv[1:8]
    result = asyncio.run(
        main(url_, float(rate_), int(connections_), float(seconds_), slot_file_, float(cancel_share_), run_)
    )
    print("OPENLOOP " + json.dumps(result), flush=True)
