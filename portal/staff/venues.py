"""Back-office pages of the venue registry (会場台帳): list, map, detail, edit, deactivate, blackout dates, export."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from core.audit import list_events
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.roles import EDITORS
from core.settings import Settings
from core.users import Actor
from portal.documents.maps import Tiles, venue_map_html
from portal.public.feeds import venue_feed_urls
from portal.web import forms
from portal.web.guards import requires
from portal.web.security import map_frame_policy
from portal.web.templating import page
from portal.web.urls import venue_url
from venues import services
from venues.facility_list import VENUE_KINDS
from venues.feeds import feed_token, rotate_feed_token
from venues.opening_rules import describe_rule
from venues.schemas import BlackoutCreate, VenueFilter, VenueUpdate


def venue_filter(
    kind: str | None, town: str | None, access: list[str] | None, status: str | None, q: str | None
) -> VenueFilter:
    """The list's filters from its query string."""
    access = access or []
    return VenueFilter(
        kind=kind if kind in VENUE_KINDS else None,
        town=town or None,
        wheelchair="wheelchair" in access,
        barrier_free_toilet="barrier_free_toilet" in access,
        priority_parking="priority_parking" in access,
        active={"active": True, "inactive": False, "all": None}.get(status or "active", True),
        query=q or None,
    )


def opening_rules_context(
    venue: dict[str, Any], rule: str | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the venue page shows of its opening rules: in words, the notes not read, and the rule to correct."""
    return {
        "rule_words": describe_rule(venue["opening_hours"]) if venue["opening_hours"] else [],
        "hours_unread": [line for line in venue["hours_unread"].split("\n") if line],
        "rule_form": venue["opening_hours"] if rule is None else rule,
        "rule_errors": errors or {},
    }


def update_from_form(form: dict[str, Any]) -> VenueUpdate:
    """A VenueUpdate from the edit form; unparseable numbers become field errors."""
    errors: dict[str, str] = {}
    update = VenueUpdate(
        name=forms.text(form, "name"),
        name_en=forms.text(form, "name_en"),
        kind=forms.text(form, "kind"),
        address=forms.text(form, "address"),
        town=forms.text(form, "town"),
        lat=forms.required_float(form, "lat", errors, _("Enter a latitude in Japan (between 20 and 46).")),
        lon=forms.required_float(form, "lon", errors, _("Enter a longitude in Japan (between 122 and 154).")),
        open_days="".join(form.getall("open_days", [])) if hasattr(form, "getall") else forms.text(form, "open_days"),
        open_from=forms.text(form, "open_from") or None,
        open_until=forms.text(form, "open_until") or None,
        hours_note=forms.text(form, "hours_note"),
        wheelchair=forms.checkbox(form, "wheelchair"),
        barrier_free_toilet=forms.checkbox(form, "barrier_free_toilet"),
        accessible_route=forms.checkbox(form, "accessible_route"),
        priority_parking=forms.checkbox(form, "priority_parking"),
        partner_name=forms.text(form, "partner_name"),
        partner_email=forms.text(form, "partner_email"),
        session_cap=forms.optional_int(form, "session_cap", errors, _("Enter zero or a positive number.")),
        notes=forms.text(form, "notes"),
    )
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors)
    return update


class VenueController(Controller):
    """The venue registry; every staff role may read it, contractor staff, leads and admins may change it."""

    path = "/venues"
    include_in_schema = False

    @get("/", name="venue_list")
    async def list(
        self,
        request: Request,
        kind: FromQuery[str | None] = None,
        town: FromQuery[str | None] = None,
        access: FromQuery[list[str] | None] = None,
        status: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Template:
        filters = venue_filter(kind, town, access, status, q)
        return page(
            request,
            "staff/venues/list.html",
            venues=await services.list_venues(filters),
            towns=await services.towns(),
            kinds=VENUE_KINDS,
            filters=filters,
            status=status or "active",
            filtering=filters != VenueFilter(),
            query_string=request.url.query or "",
        )

    @get("/map", name="venue_map")
    async def map_page(self, request: Request) -> Template:
        return page(request, "staff/venues/map.html", query_string=request.url.query or "")

    @get("/map.html", name="venue_map_frame")
    async def map_frame(
        self,
        settings: NamedDependency[Settings],
        kind: FromQuery[str | None] = None,
        town: FromQuery[str | None] = None,
        access: FromQuery[list[str] | None] = None,
        status: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Response:
        venues = await services.list_venues(venue_filter(kind, town, access, status, q))
        return Response(
            content=venue_map_html(venues, Tiles.of(settings)),
            media_type="text/html; charset=utf-8",
            headers=map_frame_policy(settings),
        )

    @get("/export.csv", name="venue_export")
    async def export(self, encoding: FromQuery[str] = "utf-8-sig") -> Response:
        encoding = "cp932" if encoding.lower() in {"cp932", "shift_jis", "sjis"} else "utf-8-sig"
        content = await services.export_venues(encoding=encoding)
        charset = "shift_jis" if encoding == "cp932" else "utf-8"
        return Response(
            content=content,
            media_type=f"text/csv; charset={charset}",
            headers={"Content-Disposition": 'attachment; filename="venues.csv"'},
        )

    @get("/v/{venue_id:str}", name="venue_detail")
    async def detail(self, request: Request, venue_id: FromPath[str], settings: NamedDependency[Settings]) -> Template:
        venue = await services.get_venue(venue_id)
        can_edit = request.state.actor.role in EDITORS
        feed = (
            venue_feed_urls(settings.base_url, venue_id, await feed_token(venue_id)) if can_edit else None
        )  # issued on first view
        return page(
            request,
            "staff/venues/detail.html",
            venue=venue,
            blackouts=await services.list_blackouts(venue["id"]),
            history=await list_events(object_type="venue", object_id=venue_id, limit=50),
            can_edit=can_edit,
            blackout_errors={},
            blackout_form={},
            feed=feed,
            feed_rotated=request.query_params.get("feed") == "rotated",
            **opening_rules_context(venue),
        )

    @post("/v/{venue_id:str}/opening-rules", guards=[requires(*EDITORS)])
    async def confirm_opening_rules(
        self,
        request: Request,
        venue_id: FromPath[str],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        form = await request.form()
        rule = forms.text(form, "opening_hours")
        try:
            await services.set_opening_rules(actor, venue_id, rule)
        except ValidationFailed as exc:
            venue = await services.get_venue(venue_id)
            return page(
                request,
                "staff/venues/detail.html",
                status_code=422,
                venue=venue,
                blackouts=await services.list_blackouts(venue["id"]),
                history=await list_events(object_type="venue", object_id=venue_id, limit=50),
                can_edit=True,
                blackout_errors={},
                blackout_form={},
                feed=venue_feed_urls(settings.base_url, venue_id, await feed_token(venue_id)),
                **opening_rules_context(venue, rule=rule, errors=exc.fields),
            )
        return Redirect(path=venue_url(venue_id) + "#opening-rules", status_code=303)

    @get("/v/{venue_id:str}/edit", name="venue_edit", guards=[requires(*EDITORS)])
    async def edit_form(self, request: Request, venue_id: FromPath[str]) -> Template:
        venue = await services.get_venue(venue_id)
        return page(request, "staff/venues/edit.html", venue=venue, form=venue, errors={}, kinds=VENUE_KINDS)

    @post("/v/{venue_id:str}/edit", guards=[requires(*EDITORS)])
    async def edit(
        self, request: Request, venue_id: FromPath[str], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await services.update_venue(actor, venue_id, update_from_form(form))
        except ValidationFailed as exc:
            venue = await services.get_venue(venue_id)
            values = {
                **venue,
                **{key: form.get(key) for key in form},
                "open_days": "".join(form.getall("open_days", [])),
            }
            for box in ("wheelchair", "barrier_free_toilet", "accessible_route", "priority_parking"):
                values[box] = forms.checkbox(form, box)
            return page(
                request,
                "staff/venues/edit.html",
                status_code=422,
                venue=venue,
                form=values,
                errors=exc.fields,
                message=exc.message,
                kinds=VENUE_KINDS,
            )
        return Redirect(path=venue_url(venue_id), status_code=303)

    @post("/v/{venue_id:str}/deactivate", guards=[requires(*EDITORS)])
    async def deactivate(self, venue_id: FromPath[str], actor: NamedDependency[Actor]) -> Redirect:
        await services.set_active(actor, venue_id, False)
        return Redirect(path=venue_url(venue_id), status_code=303)

    @post("/v/{venue_id:str}/activate", guards=[requires(*EDITORS)])
    async def activate(self, venue_id: FromPath[str], actor: NamedDependency[Actor]) -> Redirect:
        await services.set_active(actor, venue_id, True)
        return Redirect(path=venue_url(venue_id), status_code=303)

    @post("/v/{venue_id:str}/blackouts", guards=[requires(*EDITORS)])
    async def add_blackout(
        self,
        request: Request,
        venue_id: FromPath[str],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        form = await request.form()
        errors: dict[str, str] = {}
        date = forms.optional_date(form, "date", errors, _("Enter a date such as 2027-05-03."))
        if date is not None:
            await services.add_blackout(actor, venue_id, BlackoutCreate(date=date, reason=forms.text(form, "reason")))
            return Redirect(path=venue_url(venue_id) + "#blackouts", status_code=303)
        venue = await services.get_venue(venue_id)
        return page(
            request,
            "staff/venues/detail.html",
            status_code=422,
            venue=venue,
            blackouts=await services.list_blackouts(venue["id"]),
            history=await list_events(object_type="venue", object_id=venue_id, limit=50),
            can_edit=True,
            blackout_errors=errors,
            blackout_form=dict(form),
            feed=venue_feed_urls(settings.base_url, venue_id, await feed_token(venue_id)),
            **opening_rules_context(venue),
        )

    @post("/v/{venue_id:str}/blackouts/{blackout_id:int}/delete", guards=[requires(*EDITORS)])
    async def remove_blackout(
        self, venue_id: FromPath[str], blackout_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Redirect:
        await services.remove_blackout(actor, venue_id, blackout_id)
        return Redirect(path=venue_url(venue_id) + "#blackouts", status_code=303)


class VenueFeedController(Controller):
    """Staff who edit venues make a new feed link when the old one has gone where it should not."""

    path = "/venues/v"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    @post("/{venue_id:str}/feed/rotate", name="venue_feed_rotate")
    async def rotate(self, request: Request, venue_id: FromPath[str], actor: NamedDependency[Actor]) -> Redirect:
        await rotate_feed_token(actor, venue_id)
        request.app.state.feeds.forget(venue_id)
        return Redirect(path=venue_url(venue_id) + "?feed=rotated#feed", status_code=303)
