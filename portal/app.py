"""The Litestar app factory: settings, database lifecycle, sessions, CSRF, i18n, security headers, routes."""

from __future__ import annotations

import gc
import hashlib
from pathlib import Path

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

import wiring
from booking.booths import BoothCache
from core.db import close_pool, start_pool
from core.i18n import load_catalogs
from core.jobs import BackgroundRunner
from core.settings import Settings, configure, environment_settings, get_settings
from counter.status import CounterCache
from portal.api.bookings import BookingApi
from portal.api.health import healthz
from portal.api.offices import OfficeApi, TicketApi
from portal.api.pickups import PickupApi
from portal.api.sessions import SessionApi
from portal.api.waitlist import WaitlistApi
from portal.public.booking import BookingFormController, ManageController
from portal.public.counter import board_live, board_page, offices_page, ticket_live, ticket_page
from portal.public.feeds import FeedCache, venue_feed
from portal.public.flyers import booth_flyer, booth_flyer_image, month_poster
from portal.public.home import booth_page, favicon, home
from portal.public.invitations import InvitationAnswerController
from portal.public.language import set_language
from portal.public.pickups import PickupController
from portal.public.waitlist import WaitlistEntryController, WaitlistFormController
from portal.staff import SignInController, staff_router
from portal.web.app_settings import provide_settings
from portal.web.errors import EXCEPTION_HANDLERS
from portal.web.front import API_PATHS, gated, install_front
from portal.web.guards import session_config
from portal.web.ids import refuse_ids_out_of_range
from portal.web.requests import PortalRequest
from portal.web.templating import build_environment
from portal.web.throttle import AccountThrottle, SearchThrottle, ThrottleMiddleware

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The largest request body the residents' side (the API, the booking and manage forms) and sign-in accept: a
# booking's fields fit in well under 4 KB even at their longest (booking.bookings.MAX_TYPED). Anything bigger is a 413
# before it is read; the back office sets its own, larger limit for uploads (portal.staff.STAFF_BODY_LIMIT).
BODY_LIMIT = 8 * 1024
COUNTER_CACHE_SECONDS = 0.5  # the most the counter's waiting times, tickets and boards lag behind (at most the booths')
# Paths without a staff session: the API, the health check, the static files (as the session cookie's exclude says).
SESSIONLESS_PATHS = (*API_PATHS, "/static/")


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the portal on ``settings`` (default: the environment's), which become the settings of the process
    (``core.settings.configure``): the domain services its pages call read the same ones."""
    if settings is None:
        settings = environment_settings()
    configure(settings)
    wiring.register()
    load_catalogs()
    pooled = settings.db_pool

    async def open_pool() -> None:
        """Open the database's connection pool unless the settings say not to (DB_POOL=0)."""
        await start_pool(pooled)

    # Litestar's CSRF middleware, added below behind a gate: the API authenticates nothing by cookie (a code and
    # token are the key), so /api/ and /healthz go past it; every other request, every form, goes through it.
    csrf = CSRFConfig(
        secret=hashlib.sha256(("csrf:" + settings.secret_key).encode()).hexdigest(),
        cookie_name="outreach_csrf",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        header_name="x-csrftoken",
    )
    app = Litestar(
        route_handlers=[
            home,
            booth_page,
            booth_flyer,
            booth_flyer_image,
            month_poster,
            BookingFormController,
            ManageController,
            WaitlistFormController,
            WaitlistEntryController,
            PickupController,
            venue_feed,
            offices_page,
            ticket_page,
            ticket_live,
            board_page,
            board_live,
            InvitationAnswerController,
            favicon,
            set_language,
            healthz,
            SessionApi,
            BookingApi,
            WaitlistApi,
            PickupApi,
            OfficeApi,
            TicketApi,
            SignInController,
            staff_router(),
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                name="static",
                cache_control=CacheControlHeader(max_age=3600, public=True),
            ),
        ],
        # Security headers and the locale are outside all of this (install_front, below); see portal.web.front.
        middleware=[
            gated(session_config(settings).middleware, SESSIONLESS_PATHS),
            DefineMiddleware(ThrottleMiddleware, settings=settings),
            gated(DefineMiddleware(CSRFMiddleware, config=csrf), API_PATHS),
        ],
        before_request=refuse_ids_out_of_range,
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, gzip_compress_level=6, exclude=["/api/", "/schema"]
        ),  # JSON for machines: no CPU on gzip
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(build_environment(data_credit=settings.data_credit))
        ),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=BODY_LIMIT,
        request_class=PortalRequest,
        on_startup=[open_pool],
        state=State(
            {
                "settings": settings,
                "booths": BoothCache(settings.public_cache_seconds),
                "feeds": FeedCache(settings.public_cache_seconds),
                # the counter's queues: a call shows on the phones and the boards within a second and one read
                "counter": CounterCache(min(COUNTER_CACHE_SECONDS, settings.public_cache_seconds)),
                "search_throttle": SearchThrottle(settings),
                "sign_in_throttle": AccountThrottle(settings),
            }
        ),
        dependencies={"settings": provide_settings(settings)},
        on_shutdown=[close_pool],
        # The document only, at /schema and /schema/openapi.json: the viewers Litestar offers load their scripts,
        # fonts and icon from CDNs (a blank page under our CSP) and start with inline script.
        openapi_config=OpenAPIConfig(
            title="outreach", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        debug=settings.debug,
    )
    install_front(app, settings)
    return app


async def freeze_startup_objects() -> None:
    """Put everything built at start-up (modules, the app, templates, message catalogs) out of the garbage
    collector's way (``gc.freeze``, made for long-running servers). A full collection then walks only what requests
    created: about 5 ms instead of about 110 ms during which the worker answered nothing — the slowest percent of
    the booking benchmark's requests. Objects still go when nothing refers to them; only cycles among the frozen
    start-up objects are never collected, and those live as long as the process anyway."""
    gc.collect()
    gc.freeze()


def create_served_app() -> Litestar:
    """The portal as `outreach serve` runs it in each worker process, with the job runner (core.jobs) inside unless
    SERVE_WORKER is off (then `outreach worker` runs it). Tests build ``create_app``: no background work runs behind
    their back, and the collector stays as it is."""
    settings = get_settings()
    app = create_app(settings)
    if settings.serve_worker:
        runner = BackgroundRunner()
        app.on_startup.append(runner.start)
        app.on_shutdown.insert(0, runner.stop)  # before the pool closes: the runner's job goes back to the queue
    app.on_startup.append(freeze_startup_objects)
    return app
