"""Back-office page of the counter's staffing (窓口の人員配置): for an office and a day, the windows each hour needs to
keep the expected wait under a target, against the contract's windows, as a chart and a table. Contractor lead
only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from markupsafe import Markup

from core import clock
from core.roles import STAFFING_READERS
from counter import staffing
from counter.offices import list_offices, service_label
from counter.staffing_chart import staffing_chart
from portal.web.guards import requires
from portal.web.ids import QueryId
from portal.web.templating import page

STAFFING = "/staff/counter/staffing"
Target = Annotated[float | None, QueryParameter(ge=1, le=240)]


class CounterStaffingController(Controller):
    """Windows needed per hour at an office (Erlang C on the forecast from the counter statistics)."""

    path = "/counter/staffing"
    include_in_schema = False
    guards = [requires(*STAFFING_READERS)]

    @get("/", name="counter_staffing")
    async def show(
        self,
        request: Request,
        office: QueryId = None,
        date: FromQuery[dt.date | None] = None,
        target: Target = None,
    ) -> Template:
        offices = [(office.id, office.name) for office in await list_offices()]
        day = date or clock.today()
        target_minutes = target or staffing.DEFAULT_TARGET_MINUTES
        office_id = office or (offices[0][0] if offices else None)
        result = await staffing.office_staffing(office_id, day, target_minutes) if office_id else None
        chart = staffing_chart(result.plan) if result and result.plan.periods else None
        return page(
            request,
            "staff/counter/staffing.html",
            offices=offices,
            office_id=office_id,
            day=day,
            target=target_minutes,
            result=result,
            chart={"id": chart.id, "title": chart.title, "svg": Markup(chart.svg)} if chart else None,
            service_label=service_label,
            unforecast=[service_label(kind) for kind in result.kinds_without_forecast] if result else [],
            contract_windows=staffing.CONTRACT_WINDOWS,
        )
