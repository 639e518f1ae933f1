"""Flyers as residents fetch them: the public PDF and PNG of a booth and the PDF poster of a month (DESIGN §5)."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import replace

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from booking.booths import VISIBLE_STATES
from booking.schemas import Booth
from core.errors import NotFound, ValidationFailed
from core.i18n import gettext as _
from core.settings import Settings
from portal.documents import flyer_jobs
from portal.documents.flyers import (
    FLYER_PLACEMENT,
    POSTER_PLACEMENT,
    SOCIAL_PLACEMENT,
    booth_booking_url,
    booth_flyer_pdf,
    booth_flyer_png,
    by_month,
    extent_of,
    is_placement,
    monthly_poster_pdf,
    subtitle_language,
)
from portal.documents.venue_map import TileSource, recently_failed

MONTH_FILE = re.compile(r"(\d{4}-(?:0[1-9]|1[0-2]))\.pdf")
PUBLIC_CACHE = "public, max-age=300"
_rendered: OrderedDict[tuple, bytes] = OrderedDict()  # the last flyers rendered by this worker
RENDERED_KEEP = 48


def read_placement(value: str | None, default: str) -> str:
    """The placement code of ``?placement=`` (default when absent); ValidationFailed (422) when malformed."""
    if value is None:
        return default
    if not is_placement(value):
        message = _("A placement code has 1 to 64 letters, digits, dots, hyphens or underscores.")
        raise ValidationFailed(message, {"placement": message})
    return value


def _printed(booth: Booth) -> Booth:
    """The booth without what changes with every booking (not printed): a key of the rendered flyers."""
    return replace(booth, remaining=0, slots=(), distance_km=None)


async def _render_once(key: tuple, function, *args, tiles: TileSource | None = None) -> bytes:
    """Render in the flyer threads, or reuse this worker's rendering of the same flyer; one whose map had to be
    drawn because the tile server ``tiles`` failed is not kept, so the next request tries the tiles again."""
    if key in _rendered:
        _rendered.move_to_end(key)
        return _rendered[key]
    content = await flyer_jobs.render(function, *args)
    if tiles is not None and recently_failed(tiles.url):
        return content
    _rendered[key] = content
    while len(_rendered) > RENDERED_KEEP:
        _rendered.popitem(last=False)
    return content


async def _public_booth(request: Request, session_id: int) -> Booth:
    booth = await request.app.state.booths.booth(session_id)
    if booth is None or booth.state not in VISIBLE_STATES:
        raise NotFound(_("This booth does not exist."))
    return booth


def _download(content: bytes, media_type: str, file_name: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{file_name}"', "Cache-Control": PUBLIC_CACHE},
    )


@get("/sessions/{session_id:int}/flyer.pdf", name="booth_flyer_pdf", include_in_schema=False)
async def booth_flyer(
    request: Request,
    settings: NamedDependency[Settings],
    session_id: FromPath[int],
    placement: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Response:
    """The booth's A4 flyer; its QR code opens the booth's page with ``?src=`` the placement code; ``?lang=zh-hans``,
    ``ko`` or ``vi`` puts its second lines in that language instead of English."""
    code = read_placement(placement, FLYER_PLACEMENT)
    booth = await _public_booth(request, session_id)
    url = booth_booking_url(settings.base_url, booth.id, code)
    tiles = TileSource.of(settings)
    second = subtitle_language(lang)
    key = ("pdf", _printed(booth), url, settings.booking_phone, tiles, second)
    content = await _render_once(key, booth_flyer_pdf, booth, url, settings.booking_phone, tiles, second, tiles=tiles)
    return _download(content, "application/pdf", f"flyer-{booth.id}.pdf")


@get("/sessions/{session_id:int}/flyer.png", name="booth_flyer_png", include_in_schema=False)
async def booth_flyer_image(
    request: Request,
    settings: NamedDependency[Settings],
    session_id: FromPath[int],
    placement: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Response:
    """The booth's square image for social media (1080×1080 PNG) with its QR code; its second lines in English, or
    in the language of ``?lang=`` as the flyer's."""
    code = read_placement(placement, SOCIAL_PLACEMENT)
    booth = await _public_booth(request, session_id)
    url = booth_booking_url(settings.base_url, booth.id, code)
    second = subtitle_language(lang)
    content = await _render_once(("png", _printed(booth), url, second), booth_flyer_png, booth, url, second)
    return _download(content, "image/png", f"flyer-{booth.id}.png")


@get("/flyers/{file_name:str}", name="month_poster_pdf", include_in_schema=False)
async def month_poster(
    request: Request,
    settings: NamedDependency[Settings],
    file_name: FromPath[str],
    placement: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Response:
    """``/flyers/YYYY-MM.pdf``: the poster of the month's booths from today on (a poster never shows a past date);
    ``?lang=`` as for a booth's flyer."""
    code = read_placement(placement, POSTER_PLACEMENT)
    matched = MONTH_FILE.fullmatch(file_name)
    upcoming = await request.app.state.booths.booths()
    booths = by_month(upcoming).get(matched.group(1), []) if matched else []
    if not booths:
        raise NotFound(_("There is no published booth in this month."))
    month = matched.group(1)  # type: ignore[union-attr]
    extent = extent_of(upcoming)  # every poster shows the same area: the extent of all upcoming booths
    tiles = TileSource.of(settings)
    second = subtitle_language(lang)
    printed = tuple(_printed(b) for b in booths)
    key = ("poster", month, printed, settings.base_url, code, settings.booking_phone, extent, tiles, second)
    content = await _render_once(
        key, _poster, month, booths, settings.base_url, code, settings.booking_phone, extent, tiles, second, tiles=tiles
    )
    return _download(content, "application/pdf", f"flyers-{month}.pdf")


def _poster(month, booths, base_url, placement, phone, extent, tiles, subtitle="en") -> bytes:
    return monthly_poster_pdf(
        month, booths, base_url, placement=placement, phone=phone, extent=extent, tiles=tiles, subtitle=subtitle
    )
