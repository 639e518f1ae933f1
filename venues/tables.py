"""Venue registry tables: venues (会場), their blackout dates, and the places residents can search for (場所)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
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

    # The primary key Piccolo adds to every table; declared so that type checkers know it.
    id: Serial

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
    # The opening rules (OpenStreetMap opening_hours syntax) read from the columns above and the note; the note's
    # clauses the importer could not read (one a line) keep the venue out of planning until staff confirm the rules.
    opening_hours = Text(default="")
    hours_unread = Text(default="")
    hours_confirmed = Boolean(default=False)
    wheelchair = Boolean(default=False)
    barrier_free_toilet = Boolean(default=False)
    accessible_route = Boolean(default=False)
    priority_parking = Boolean(default=False)
    url = Varchar(length=500, default="")
    notes = Text(default="")
    partner_name = Varchar(length=200, default="")
    partner_email = Varchar(length=254, default="")
    session_cap = Integer(null=True, default=None)
    feed_token = Varchar(length=64, default="", secret=True)  # key of the venue's calendar feed; "" until issued
    active = Boolean(default=True, index=True)
    source_row = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BlackoutDate(Table, tablename="venue_blackout_date"):
    """A date on which a venue cannot host a booth (its own event, closure, ...)."""

    id: Serial

    venue = ForeignKey(references=Venue, on_delete=OnDelete.cascade, index=True)
    date = Date(index=True)
    reason = Varchar(length=200, default="")


class Place(Table, tablename="place"):
    """A named point residents can look up offline (町丁・字の代表点): a town, or a town's 小字.

    ``kana`` is the reading in katakana where the postal-code data knows it (the reading of the town part alone when
    the rest, such as a 小字 in kanji, has no known reading); ``postal_code`` (``NNN-NNNN``) is the town's 郵便番号.
    """

    id: Serial

    name = Varchar(length=200, index=True)
    kana = Varchar(length=200, default="")
    lat = DoublePrecision()
    lon = DoublePrecision()
    postal_code = Varchar(length=8, default="", index=True)
