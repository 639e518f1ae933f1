"""The settings of the app that serves a request: those ``create_app(settings)`` was given, handed to handlers as
the ``settings`` dependency (or read from ``request.app.state`` by helpers that have only the request)."""

from __future__ import annotations

from typing import cast

from litestar import Request
from litestar.di import Provide

from core.settings import Settings


def provide_settings(settings: Settings) -> Provide:
    """The app-level ``settings`` dependency: always these settings, given without a thread hop."""

    def settings_dependency() -> Settings:
        return settings

    return Provide(settings_dependency, sync_to_thread=False)


def settings_of(request: Request) -> Settings:
    """The settings of the app serving ``request``."""
    return cast(Settings, request.app.state.settings)
