"""Venue registry tables: venues (会場) and their blackout dates."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Venue(Table, tablename="venue"):
    """A place for booths (commercial, community hall, library, welfare, rental hall) or a permanent
    application point (city hall, civic centre).  ``venue_id`` is the facility-list ID where it came from one."""

    venue_id = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    name_kana = Varchar(length=200, default="")
    name_en = Varchar(length=200, default="")
    kind = Varchar(length=32, index=True)
    kind_source = Varchar(length=16, default="")
    poi_code = Varchar(length=16, default="")
    address = Varchar(length=300, default="")
    town = Varchar(length=100, default="", index=True)
    postal_code = Varchar(length=16, default="")
    phone = Varchar(length=64, default="")
    lat = DoublePrecision()
    lon = DoublePrecision()
    open_days = Varchar(length=16, default="")
    open_from = Varchar(length=5, null=True, default=None)
    open_until = Varchar(length=5, null=True, default=None)
    hours_note = Text(default="")
    wheelchair = Boolean(default=False)
    barrier_free_toilet = Boolean(default=False)
    accessible_route = Boolean(default=False)
    priority_parking = Boolean(default=False)
    url = Varchar(length=500, default="")
    notes = Text(default="")
    partner_name = Varchar(length=200, default="")
    partner_email = Varchar(length=254, default="")
    session_cap = Integer(null=True, default=None)
    active = Boolean(default=True, index=True)
    source_row = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BlackoutDate(Table, tablename="venue_blackout_date"):
    """A date on which a venue cannot host a booth (its own event, closure, ...)."""

    venue = ForeignKey(references=Venue, on_delete=OnDelete.cascade, index=True)
    date = Date(index=True)
    reason = Varchar(length=200, default="")
