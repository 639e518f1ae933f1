"""The back office (業務画面), one module per area, all under one ``/staff`` router that admits signed-in staff only
and gives every handler the ``actor`` who acts; areas that need a narrower role add their own guard."""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide

from core.roles import ALL_STAFF
from portal.staff.accounts import OwnPasswordController, UserController
from portal.staff.audit import AuditController
from portal.staff.checkin import CheckInController
from portal.staff.counter import CounterController
from portal.staff.counter_offices import CounterOfficeController
from portal.staff.counter_staffing import CounterStaffingController
from portal.staff.flyers import FlyerController
from portal.staff.home import HomeController
from portal.staff.imports import ImportController
from portal.staff.outbox import OutboxController
from portal.staff.partners import PlanInvitationController
from portal.staff.plans import PlanController, SessionController
from portal.staff.publicity import PlacementController, PublicityResultsController
from portal.staff.reports import ReportController
from portal.staff.results import DayController, YieldController
from portal.staff.retention import RetentionController
from portal.staff.review import ReviewController
from portal.staff.sign_in import SignInController
from portal.staff.venues import VenueController, VenueFeedController
from portal.staff.waitlists import WaitlistController
from portal.web.guards import provide_actor, requires

STAFF = "/staff"
STAFF_BODY_LIMIT = 10_000_000  # the back office's forms and uploads (the venue import sets its own, larger one)


def staff_router() -> Router:
    """Every back-office page behind the staff guard (sign-in itself is outside it: see ``SignInController``)."""
    return Router(
        path=STAFF,
        guards=[requires(*ALL_STAFF)],
        dependencies={"actor": Provide(provide_actor)},
        include_in_schema=False,
        request_max_body_size=STAFF_BODY_LIMIT,
        cache_control=CacheControlHeader(no_store=True),  # partners', staff's and residents' data: never kept
        route_handlers=[
            HomeController,
            VenueController,
            VenueFeedController,
            ImportController,
            PlanController,
            SessionController,
            ReviewController,
            PlanInvitationController,
            FlyerController,
            PlacementController,
            PublicityResultsController,
            CheckInController,
            WaitlistController,
            CounterOfficeController,
            CounterController,
            DayController,
            YieldController,
            ReportController,
            RetentionController,
            CounterStaffingController,
            OutboxController,
            AuditController,
            UserController,
            OwnPasswordController,
        ],
    )


__all__ = ["STAFF", "SignInController", "staff_router"]
