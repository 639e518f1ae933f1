"""What every back-office page shares (portal/staff/__init__.py): no browser or proxy keeps a copy."""

from __future__ import annotations

import pytest

from core.tables import Role


@pytest.mark.parametrize(
    "path", ["/staff/venues", "/staff/outbox", "/staff/users", "/staff/audit", "/staff/reports", "/staff/retention"]
)
async def test_staff_pages_are_never_stored(client, signed_in, path):
    await signed_in(Role.admin)
    response = await client.get(path)
    assert response.status_code == 200, path
    assert response.headers["cache-control"] == "no-store"
