"""Display names of the codes the audit log stores: actions, object types and changed venue fields.

The log keeps the codes (``venue.updated``, ``open_days``); pages show these translated names, and a code
without one (a newer action, an unknown field) as written.
"""

from __future__ import annotations

from core.calendar import is_national_holiday
from core.i18n import N_
from core.i18n import gettext as _
from planner.schemas import PlanVersionDetail
from planner.tables import SolveState, VersionState

ACTION_LABELS: dict[str, str] = {
    "venue.updated": N_("Venue edited"),
    "venue.imported": N_("Venue imported"),
    "venue.reimported": N_("Venue updated by an import"),
    "venue.deactivated": N_("Venue deactivated"),
    "venue.reactivated": N_("Venue reactivated"),
    "venue.blackout_added": N_("Blackout date added"),
    "venue.hours_confirmed": N_("Opening rules confirmed"),
    "venue.blackout_removed": N_("Blackout date removed"),
    "venues.import": N_("Facility list imported"),
    "user.created": N_("Staff account created"),
    "user.deactivated": N_("Staff account deactivated"),
    "user.reactivated": N_("Staff account reactivated"),
    "user.role_changed": N_("Staff account's role changed"),
    "user.password_reset": N_("Staff account's password reset by an administrator"),
    "user.password_changed": N_("Own password changed"),
    "plan.created": N_("Plan created"),
    "plan.solved": N_("Plan solved"),
    "plan.replan_requested": N_("Re-plan requested"),
    "session.locked": N_("Session locked"),
    "session.unlocked": N_("Session unlocked"),
    "session.moved": N_("Session moved"),
    "session.venue_swapped": N_("Session moved to another venue"),
    "session.removed": N_("Session removed"),
    "session.added": N_("Session added"),
    "session.commented": N_("Session commented on"),
    "plan.submitted": N_("Plan submitted"),
    "plan.approved": N_("Plan approved"),
    "plan.returned": N_("Plan returned with comments"),
    "plan.change_started": N_("Change to an approved plan started"),
    "placement.created": N_("Placement created"),
    "placement.updated": N_("Placement edited"),
    "placement.deactivated": N_("Placement deactivated"),
    "placement.reactivated": N_("Placement reactivated"),
    "invitation.accepted": N_("Invitation accepted"),
    "invitation.declined": N_("Invitation declined"),
    "invitations.sent": N_("Partners invited to booths already published"),
    "venue.feed_token_rotated": N_("Calendar feed address reissued"),
    "outbox.resent": N_("Email sent again"),
    "outbox.retried": N_("Email retried now"),
    "outbox.viewed": N_("Email to a resident opened"),
    "bookings.viewed": N_("Booking list viewed"),
    "pickup_waitlist.viewed": N_("Pickup waiting list viewed"),
    "pickup_waitlist.accepted": N_("Pickup waiting-list offer accepted by staff"),
    "pickup_waitlist.declined": N_("Pickup waiting-list offer declined by staff"),
    "booking.checked_in": N_("Booking checked in"),
    "booking.no_show": N_("Booking marked as a no-show"),
    "booking.released": N_("Late booking released to walk-ins"),
    "booking.restored": N_("Check-in or no-show undone"),
    "walk_in.registered": N_("Walk-in registered"),
    "walk_in.called": N_("Walk-in called"),
    "walk_in.served": N_("Walk-in served"),
    "walk_in.left": N_("Walk-in left the queue"),
    "ticket.issued": N_("Queue ticket issued"),
    "ticket.called": N_("Queue ticket called to a window"),
    "ticket.recalled": N_("Queue ticket called again"),
    "ticket.served": N_("Queue ticket served"),
    "ticket.absent": N_("Queue ticket marked absent"),
    "ticket.cancelled": N_("Queue ticket cancelled"),
    "ticket.transferred": N_("Queue ticket moved to another service"),
    "office.created": N_("Counter office added"),
    "office.updated": N_("Counter office edited"),
    "office_day.opened": N_("Counter opening day designated"),
    "office_day.closed": N_("Counter closure designated"),
    "office_day.cleared": N_("Counter designated day removed"),
    "counter_service.created": N_("Counter service added"),
    "counter_service.updated": N_("Counter service edited"),
    "booth.results_saved": N_("Booth results saved"),
    "office.counts_saved": N_("In-office counts saved"),
    "report.analysis_saved": N_("Report analysis saved"),
    "retention.scheduled": N_("Personal data purged (scheduled)"),
    "retention.end_of_contract": N_("Personal data deleted (end of contract)"),
}

CHANGE_LABELS: dict[str, str] = {
    "added": N_("Added"),
    "removed": N_("Removed"),
    "moved": N_("Moved to another date"),
    "venue": N_("Moved to another venue"),
}

VERSION_STATE_LABELS: dict[VersionState, str] = {
    VersionState.draft: N_("Draft"),
    VersionState.submitted: N_("Submitted"),
    VersionState.approved: N_("Approved"),
    VersionState.returned: N_("Returned"),
}

SOLVE_STATE_LABELS: dict[SolveState, str] = {
    SolveState.idle: N_("Not solved"),
    SolveState.queued: N_("Waiting for the planner"),
    SolveState.running: N_("Solving"),
    SolveState.done: N_("Solved"),
    SolveState.failed: N_("Failed"),
}

WEEKDAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))

OBJECT_TYPE_LABELS: dict[str, str] = {
    "venue": N_("Venue"),
    "facility_list": N_("Facility list"),
    "staff_user": N_("Staff account"),
    "plan": N_("Plan"),
    "plan_version": N_("Plan version"),
    "session": N_("Session"),
    "placement": N_("Placement"),
    "invitation": N_("Invitation"),
    "outbox_message": N_("Email"),
    "booking": N_("Booking"),
    "walk_in": N_("Walk-in"),
    "ticket": N_("Queue ticket"),
    "office": N_("Counter office"),
    "counter_service": N_("Counter service"),
    "office_day": N_("In-office day"),
    "report": N_("Report"),
    "purge_run": N_("Deletion run"),
}

FIELD_LABELS: dict[str, str] = {
    "code": N_("Code"),
    "name": N_("Name"),
    "name_kana": N_("Name in kana"),
    "name_en": N_("Name in English"),
    "kind": N_("Kind"),
    "kind_source": N_("Where the kind came from"),
    "poi_code": N_("POI code"),
    "address": N_("Address"),
    "town": N_("Area"),
    "postal_code": N_("Postal code"),
    "phone": N_("Phone"),
    "lat": N_("Latitude"),
    "lon": N_("Longitude"),
    "open_days": N_("Opening days"),
    "open_from": N_("Opens at"),
    "open_until": N_("Closes at"),
    "hours_note": N_("Notes on hours"),
    "opening_hours": N_("Opening rules"),
    "hours_unread": N_("Notes not read"),
    "hours_confirmed": N_("Opening rules confirmed"),
    "wheelchair": N_("Wheelchair access"),
    "barrier_free_toilet": N_("Barrier-free toilet"),
    "accessible_route": N_("Slope, lift or escalator"),
    "priority_parking": N_("Priority parking"),
    "url": "URL",
    "notes": N_("Notes"),
    "partner_name": N_("Partner contact name"),
    "partner_email": N_("Partner contact email"),
    "session_cap": N_("Cap on sessions per period"),
    "active": N_("Status"),
    "blackout": N_("Blackout dates"),
    "role": N_("Role"),
    # plans, versions and sessions
    "version": N_("Version"),
    "new_version": N_("New version"),
    "based_on": N_("Based on version"),
    "sessions": N_("Sessions"),
    "date": N_("Date"),
    "venue": N_("Venue"),
    "venue_id": N_("Venue ID"),
    "locked": N_("Locked"),
    "comment": N_("Comment"),
    "state": N_("State"),
    "reach": N_("Reach"),
    # the counter's offices and services
    "opens": N_("Opens at"),
    "closes": N_("Closes at"),
    "opens_weekdays": N_("Open on weekdays (not national holidays, not 29 December to 3 January)"),
    "pickup_enabled": N_("Takes card pickup reservations"),
    "amber_minutes": N_("Amber from (minutes)"),
    "red_minutes": N_("Red from (minutes, above amber)"),
    "letter": N_("Ticket letter"),
    "minutes_per_person": N_("Minutes per person"),
    "windows": N_("Windows"),
    "reservable": N_("Pickup reservations may be made for it"),
}

OUTBOX_KIND_LABELS: dict[str, str] = {
    "plan.review": N_("Plan review"),
    "venue.partner": N_("Invitation to a venue partner"),
    "invitation.declined": N_("A venue partner declined"),
    "booking.confirmed": N_("Booking confirmed"),
    "booking.moved": N_("Booking moved"),
    "booking.cancelled": N_("Booking cancelled"),
    "booking.link_reissued": N_("New link to a booking"),
    "booking.reminder": N_("Reminder of a booking"),
    "booking.booth_cancelled": N_("Booth cancelled (to its residents)"),
    "booking.booth_changed": N_("Booth changed (to its residents)"),
    "ticket.near": N_("Queue ticket: your turn is near"),
}


def _label(labels: dict[str, str], code: str) -> str:
    label = labels.get(code)
    return _(label) if label else code


def action_label(code: str) -> str:
    """The translated name of an audit action (``venue.updated`` → 会場を編集), else the code."""
    return _label(ACTION_LABELS, code)


def object_type_label(code: str) -> str:
    """The translated name of an audited object type, else the code."""
    return _label(OBJECT_TYPE_LABELS, code)


def field_label(name: str) -> str:
    """The translated name of a changed field, else the field name."""
    return _label(FIELD_LABELS, name)


def outbox_kind_label(code: str) -> str:
    """The translated name of an email's kind in the outbox (``plan.review`` → 計画の審査), else a generic name: never
    the code itself."""
    label = OUTBOX_KIND_LABELS.get(code)
    return _(label) if label else _("Other email")


def change_value(field: str, value: object) -> str:
    """One value of an audited change as people read it: states, kinds and yes/no translated, dates in the
    current language, nothing as a dash."""
    import datetime as dt

    from portal.web.templating import format_date
    from venues.facility_kinds import kind_label

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        if field == "active":
            return _("Active") if value else _("Inactive")
        return _("Yes") if value else _("No")
    if field == "state" and isinstance(value, str) and value in VersionState.__members__:
        return version_state_label(VersionState(value))
    if field == "kind" and isinstance(value, str):
        return kind_label(value)
    if field in {"version", "new_version", "based_on"}:
        return _("Version {n}").format(n=value)
    if isinstance(value, str) and len(value) == 10:
        try:
            return format_date(dt.date.fromisoformat(value), "medium")
        except ValueError:
            pass
    if isinstance(value, list):
        return _(", ").join(change_value(field, item) for item in value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def change_lines(changes: dict[str, object]) -> list[tuple[str, str | None, str]]:
    """An audit entry's changes as (field, before, after) in words; before is None where the entry has none."""
    lines = []
    for field, change in changes.items():
        if isinstance(change, dict) and ("before" in change or "after" in change):
            before = change_value(field, change["before"]) if "before" in change else None
            lines.append((field_label(field), before, change_value(field, change.get("after"))))
        else:
            lines.append((field_label(field), None, change_value(field, change)))
    return lines


def version_state_label(state: VersionState) -> str:
    """The translated name of a version's state (下書き, 提出済み, ...)."""
    return _(VERSION_STATE_LABELS[state])


def solve_label(version: PlanVersionDetail) -> str:
    """The solver's state of a version, with its result when solved (e.g. 最適（証明済み）)."""
    if version.solve_state == SolveState.done:
        return _("Optimal (proven)") if version.status == "optimal" else _("Feasible (not proven optimal)")
    return _(SOLVE_STATE_LABELS[version.solve_state])


def weekday_label(date) -> str:
    """月, 火, ... (Mon, Tue, ...) for a date, with 祝 on national holidays."""
    label = _(WEEKDAY_LABELS[date.weekday()])
    return label + ("・" + _("national holiday") if is_national_holiday(date) else "")


def change_label(kind: str) -> str:
    return _(CHANGE_LABELS[kind]) if kind in CHANGE_LABELS else kind


BOOKING_STATE_LABELS: dict[str, str] = {
    "confirmed": N_("Confirmed"),
    "checked_in": N_("Checked in"),
    "cancelled": N_("Cancelled"),
    "no_show": N_("Did not come"),
}


def booking_state_label(state: str) -> str:
    return _(BOOKING_STATE_LABELS[state]) if state in BOOKING_STATE_LABELS else state


def language_name(code: str) -> str:
    """A language's name in the current language (an interpreter's language), from Babel's locale data."""
    import babel

    from core.i18n import babel_locale

    if code == "other":
        return _("Other language")
    return babel.Locale.parse(babel_locale()).languages.get(code, code)
