"""The shared rate-limit counter (Redis): a rush of requests waits for a few connections instead of opening one each,
and still counts every request."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from limits import RateLimitItemPerMinute

from core.settings import get_settings
from portal.web.throttle import REDIS_CONNECTIONS, limiter_of
from tests.support import servers


@pytest.fixture
def redis_url():
    with servers.redis_server() as url:
        yield url


async def test_a_rush_shares_a_few_redis_connections_and_counts_every_hit(redis_url):
    import redis.asyncio as redis

    limiter = limiter_of(dataclasses.replace(get_settings(), redis_url=redis_url))
    limit = RateLimitItemPerMinute(250)
    outcomes = await asyncio.gather(*(limiter.hit(limit, "booking", "203.0.113.7") for _ in range(300)))
    assert outcomes.count(True) == 250 and outcomes.count(False) == 50  # the limit holds under the rush

    observer = redis.from_url(redis_url)
    try:
        clients = await observer.client_list()
    finally:
        await observer.aclose()
    assert len(clients) <= REDIS_CONNECTIONS + 1  # the limiter's few, and this observer
