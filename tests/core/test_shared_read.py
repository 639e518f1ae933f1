"""core.shared_read: requests that need the same read wait for one, and all go on together when it ends."""

from __future__ import annotations

import asyncio

import pytest

from core.shared_read import SharedRead


async def test_callers_meanwhile_share_one_read_and_go_on_in_the_same_turn():
    shared, reads, release = SharedRead(), [], asyncio.Event()

    async def read() -> str:
        reads.append(1)
        await release.wait()
        return "fresh"

    resumed: list[int] = []
    turn = 0

    async def caller() -> str:
        value = await shared.run(read)
        resumed.append(turn)
        return value

    callers = [asyncio.ensure_future(caller()) for _ in range(40)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert shared.running and len(reads) == 1
    release.set()
    while not all(c.done() for c in callers):
        await asyncio.sleep(0)
        turn += 1
    assert [c.result() for c in callers] == ["fresh"] * 40 and len(reads) == 1
    # an asyncio.Lock handed on one waiter per turn: the last of 40 went on 40 turns after the first
    assert max(resumed) - min(resumed) <= 1, resumed
    assert not shared.running
    assert await shared.run(read) == "fresh" and len(reads) == 2  # the next need starts a new read


async def test_a_cancelled_caller_leaves_the_read_to_the_others_and_a_failure_reaches_them_all():
    shared, release = SharedRead(), asyncio.Event()

    async def read() -> str:
        await release.wait()
        raise RuntimeError("database gone")

    leaving, staying = asyncio.ensure_future(shared.run(read)), asyncio.ensure_future(shared.run(read))
    await asyncio.sleep(0)
    leaving.cancel()
    await asyncio.sleep(0)
    assert shared.running
    release.set()
    with pytest.raises(RuntimeError, match="database gone"):
        await staying
    assert not shared.running
