"""Publicity for the booths (チラシ): an A4 flyer per booth, a poster of a month's booths, a square image for social
media, and the set of them for a month.

Pure functions: booths in, bytes out (no database). Printed in Japanese with subtitle lines in a second language,
English unless the flyer is asked for in 简体中文, 한국어 or Tiếng Việt (``?lang=``): each text is translated into
Japanese (``_``) and shown with its line in the second language (``en``). Every QR
code links to the booking page with a placement code (``?src=``) that the booking keeps as its source, so staff can
tell which flyer brought a resident.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import math
import re
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import babel.dates
from jinja2 import Environment
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from booking.placements import CODE_PATTERN
from booking.schemas import Booth
from core.calendar import national_holiday_name
from core.i18n import N_, babel_locale, html_lang, normalize_locale, using_locale
from core.i18n import gettext as _
from core.wareki import wareki_year
from portal.documents.qr import qr_png
from portal.documents.slip import WHAT_TO_BRING
from portal.documents.venue_map import AreaMap, TileSource, VenueMap, area_map, drawn_map, venue_map
from portal.web.templating import TEMPLATE_DIR, build_environment

FLYER_PLACEMENT, POSTER_PLACEMENT, SOCIAL_PLACEMENT = "flyer", "poster", "sns"
BLUE, INK = "#0017c1", "#1a1a1a"  # the Digital Agency's primary blue, and text
FONT = "Noto Sans CJK JP"  # the only font of the PDFs (each font embedded costs time to subset)
PNG_SIZE = 1080
PNG_QR_MIN_PX = 330  # the QR symbol on the social media image (quiet zone not counted)
POSTER_MAP_PX = (864, 576)  # the poster's overview map: 108 × 72 mm at about 200 dpi

# The flyer's checklist: the booking slip's, without the slip itself (same translations).
FLYER_CHECKLIST = WHAT_TO_BRING[1:]
NO_PHONE_TEXT = N_(
    "No smartphone? Come without a booking: part of every time slot is kept for walk-ins. Your "
    "local community hall or the city office can also help."
)


def month_label(month: str) -> str:
    """A month (YYYY-MM) in the current locale: 2027年6月 / June 2027."""
    return babel.dates.format_skeleton("yMMMM", dt.date(int(month[:4]), int(month[5:]), 1), locale=babel_locale())


def by_month(booths: list[Booth]) -> dict[str, list[Booth]]:
    """The booths grouped by month (YYYY-MM), months and booths in date order."""
    months: dict[str, list[Booth]] = {}
    for booth in sorted(booths, key=lambda b: (b.date, b.start, b.id)):
        months.setdefault(booth.date.strftime("%Y-%m"), []).append(booth)
    return months


def is_placement(code: str) -> bool:
    """Whether ``code`` can be a placement code: 1 to 64 letters, digits, ``_``, ``.`` or ``-``."""
    return CODE_PATTERN.fullmatch(code) is not None


def booth_booking_url(base_url: str, booth_id: int, placement: str) -> str:
    """The booth's booking page as a flyer links to it: ``{BASE_URL}/booths/{id}?src={placement}``."""
    return f"{base_url.rstrip('/')}/booths/{booth_id}?src={placement}"


def home_booking_url(base_url: str, placement: str) -> str:
    """The list of booths as a poster links to it: ``{BASE_URL}/?src={placement}``."""
    return f"{base_url.rstrip('/')}/?src={placement}"


# The languages of the subtitle lines (やさしい日本語 would repeat the Japanese line: not offered).
SUBTITLE_LANGUAGES = ("en", "ja-easy", "zh-hans", "ko", "vi")
_subtitle: ContextVar[str] = ContextVar("flyer_subtitle", default="en")


def subtitle_language(value: str | None) -> str:
    """The flyer's second language for a ``?lang=`` value: en, ja-easy (やさしい日本語, its readings in brackets as
    everywhere in print), zh-hans, ko or vi (English otherwise)."""
    code = normalize_locale(value) if value else "en"
    return code if code in SUBTITLE_LANGUAGES else "en"


@contextmanager
def _subtitles_in(code: str) -> Iterator[None]:
    token = _subtitle.set(subtitle_language(code))
    try:
        yield
    finally:
        _subtitle.reset(token)


def en(message: str) -> str:
    """A message in the flyer's second language (English by default): the line under its Japanese translation."""
    with using_locale(_subtitle.get()):
        return _(message)


def date_ja(day: dt.date) -> str:
    """2027年6月5日（土）."""
    return babel.dates.format_date(day, "y年M月d日（E）", locale="ja")


def date_en(day: dt.date) -> str:
    """Saturday, June 5, 2027 (or the second language's full date: 2027年6月5日星期六, 2027년 6월 5일 토요일...)."""
    code = _subtitle.get()
    if code == "en":
        return babel.dates.format_date(day, "EEEE, MMMM d, y", locale="en")
    return babel.dates.format_date(day, "full", locale=babel_locale(code))


def weekday_ja(day: dt.date) -> str:
    """土, or 月・祝 on a national holiday."""
    letter = babel.dates.format_date(day, "E", locale="ja")
    return f"{letter}・祝" if national_holiday_name(day) else letter


def month_title_ja(month: str) -> str:
    """2027年6月（令和9年）."""
    first = month_start(month)
    return f"{first.year}年{first.month}月（{wareki_year(first)}）"


def month_title_en(month: str) -> str:
    """June 2027 (in the flyer's second language)."""
    return babel.dates.format_skeleton("yMMMM", month_start(month), locale=babel_locale(_subtitle.get()))


def month_start(month: str) -> dt.date:
    """The first day of a month written YYYY-MM; ValueError for anything else."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"not a month: {month!r}")
    return dt.date(int(month[:4]), int(month[5:]), 1)


def hours(booth: Booth, dash: str = "～") -> str:
    """10:00～17:00."""
    return f"{booth.start:%H:%M}{dash}{booth.end:%H:%M}"


def _qr_uri(url: str) -> str:
    """The QR code for a PDF: a PNG of 8 pixels per module (sharp in every viewer; printed faster than SVG)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url, box_size=8)).decode("ascii")


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = build_environment()
    env.globals.update(
        en=en,
        date_ja=date_ja,
        date_en=date_en,
        weekday_ja=weekday_ja,
        hours=hours,
        wareki_year=wareki_year,
        day_en=lambda day: babel.dates.format_skeleton("MMMd", day, locale=babel_locale(_subtitle.get())),
        weekday_en=lambda day: babel.dates.format_date(day, "EEE", locale=babel_locale(_subtitle.get())),
    )
    return env


def _render(template: str, **context) -> str:
    with using_locale("ja"):
        return _environment().get_template(template).render(lang="ja", sub_lang=html_lang(_subtitle.get()), **context)


_thread = threading.local()


def _pdf(html: str) -> bytes:
    """Print with one font configuration per thread (made once: about a tenth of the time of a flyer)."""
    if not hasattr(_thread, "fonts"):
        _thread.fonts = FontConfiguration()
    return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(font_config=_thread.fonts)


# --- one booth ----------------------------------------------------------------------------------------------------


def booth_map(booth: Booth, tiles: TileSource | None) -> VenueMap:
    """The venue's map for the flyer: from the tile server ``tiles`` (cached), or drawn (a pin and the address) when
    ``tiles`` is None or its tiles cannot be fetched."""
    if tiles is None:
        return VenueMap(drawn_map(booth.address, _font), False, "")
    return venue_map(booth.lat, booth.lon, booth.address, tiles, _font)


def booth_flyer_html(
    booth: Booth, booking_url: str, phone: str, tiles: TileSource | None = None, subtitle: str = "en"
) -> str:
    """The booth's flyer as the HTML document its PDF is printed from (subtitles in ``subtitle``)."""
    with _subtitles_in(subtitle):
        return _booth_flyer_html(booth, booking_url, phone, tiles)


def _booth_flyer_html(booth: Booth, booking_url: str, phone: str, tiles: TileSource | None) -> str:
    location = booth_map(booth, tiles)
    return _render(
        "flyers/booth.html",
        booth=booth,
        booking_url=booking_url,
        phone=phone.strip(),
        qr_uri=_qr_uri(booking_url),
        location=location,
        location_uri="data:image/png;base64," + base64.b64encode(location.png).decode("ascii"),
        checklist=FLYER_CHECKLIST,
        no_phone_text=NO_PHONE_TEXT,
    )


def booth_flyer_pdf(
    booth: Booth, booking_url: str, phone: str, tiles: TileSource | None = None, subtitle: str = "en"
) -> bytes:
    """The booth's flyer: one A4 page with the date (和暦 too), time, place and its map (``booth_map``), what to
    bring, how to book by phone (``phone``; "" says how to come without a booking) and a QR code of ``booking_url``;
    its subtitle lines in ``subtitle`` (en, ja-easy, zh-hans, ko or vi)."""
    return _pdf(booth_flyer_html(booth, booking_url, phone, tiles, subtitle))


# --- a month's poster -----------------------------------------------------------------------------------------

Extent = tuple[float, float, float, float]  # min lat, min lon, max lat, max lon


def extent_of(booths: Sequence[Booth]) -> Extent:
    """The smallest box around the booths."""
    return (
        min(b.lat for b in booths),
        min(b.lon for b in booths),
        max(b.lat for b in booths),
        max(b.lon for b in booths),
    )


def overview_svg(
    booths: Sequence[Booth],
    extent: Extent | None = None,
    width: float = 112,
    height: float = 84,
    background: AreaMap | None = None,
) -> str:
    """The booths as numbered circles (1 = the first row of the poster's table) over ``extent`` (default: the
    booths' own), with north and a scale bar; booths at one venue share a circle; close circles are pushed apart and
    keep a line to their true place. Units are millimetres. With ``background`` (the tile server's map of the
    extent, ``venue_map.area_map``) the circles are placed on that map; without, on a plain panel."""
    lat0, lon0, lat1, lon1 = extent or extent_of(booths)
    lat0, lat1 = min(lat0, *(b.lat for b in booths)), max(lat1, *(b.lat for b in booths))
    lon0, lon1 = min(lon0, *(b.lon for b in booths)), max(lon1, *(b.lon for b in booths))
    kx = math.cos(math.radians((lat0 + lat1) / 2))  # degrees of longitude are shorter than degrees of latitude
    span_x, span_y = max((lon1 - lon0) * kx, 0.01), max(lat1 - lat0, 0.01)
    pad = 8.0
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)  # mm per degree of latitude
    ox = (width - span_x * scale) / 2
    oy = (height - span_y * scale) / 2
    km_per_mm = 111.2 / scale

    def project(lat: float, lon: float) -> tuple[float, float]:
        if background is not None:
            x, y = background.pixel(lat, lon)
            return x * width / background.size[0], y * height / background.size[1]
        return ox + (lon - lon0) * kx * scale, height - oy - (lat - lat0) * scale

    if background is not None:
        km_per_mm = background.metres_per_pixel((lat0 + lat1) / 2) * background.size[0] / width / 1000

    places: dict[tuple[float, float], list[int]] = {}
    for number, booth in enumerate(booths, start=1):
        places.setdefault((round(booth.lat, 5), round(booth.lon, 5)), []).append(number)
    marks = []
    for (lat, lon), numbers in places.items():
        x, y = project(lat, lon)
        label = ",".join(str(n) for n in numbers)
        marks.append({"x0": x, "y0": y, "x": x, "y": y, "label": label, "r": 2.6 + 1.1 * max(0, len(label) - 2)})
    for _round in range(60):  # push overlapping circles apart
        moved = False
        for i, a in enumerate(marks):
            for b in marks[i + 1 :]:
                dx, dy = b["x"] - a["x"], b["y"] - a["y"]
                gap = a["r"] + b["r"] + 0.5 - math.hypot(dx, dy)
                if gap > 0:
                    if dx == dy == 0:
                        dx, dy = 1.0, 0.3
                    d = math.hypot(dx, dy)
                    a["x"] -= dx / d * gap / 2
                    a["y"] -= dy / d * gap / 2
                    b["x"] += dx / d * gap / 2
                    b["y"] += dy / d * gap / 2
                    moved = True
        for m in marks:
            m["x"] = min(max(m["x"], m["r"] + 0.5), width - m["r"] - 0.5)
            m["y"] = min(max(m["y"], m["r"] + 0.5), height - m["r"] - 0.5)
        if not moved:
            break
    bar_km = next((k for k in (0.5, 1, 2, 5, 10, 20, 50, 100) if k / km_per_mm >= width / 8), 200)
    bar = bar_km / km_per_mm
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" width="{width:g}mm" '
        f'height="{height:g}mm" role="img" font-family="{FONT}">',
        f'<rect x="0.3" y="0.3" width="{width - 0.6:g}" height="{height - 0.6:g}" rx="2" fill="#eef3ff" '
        'stroke="#7f8fd9" stroke-width="0.4"/>',
    ]
    if background is not None:
        uri = "data:image/png;base64," + base64.b64encode(background.png).decode("ascii")
        parts.append(f'<image x="0" y="0" width="{width:g}" height="{height:g}" href="{uri}"/>')
        parts.append(
            f'<rect x="{width - 9:g}" y="1.5" width="8" height="15" rx="1" fill="#ffffff" fill-opacity="0.85"/>'
            f'<rect x="2" y="{height - 9:g}" width="{bar + 16:.2f}" height="7.5" rx="1" fill="#ffffff" '
            'fill-opacity="0.85"/>'
        )
    for m in marks:
        if math.hypot(m["x"] - m["x0"], m["y"] - m["y0"]) > 0.5:
            parts.append(
                f'<line x1="{m["x0"]:.2f}" y1="{m["y0"]:.2f}" x2="{m["x"]:.2f}" y2="{m["y"]:.2f}" '
                f'stroke="{BLUE}" stroke-width="0.35"/>'
            )
            parts.append(f'<circle cx="{m["x0"]:.2f}" cy="{m["y0"]:.2f}" r="0.7" fill="{BLUE}"/>')
    for m in marks:
        parts.append(
            f'<circle cx="{m["x"]:.2f}" cy="{m["y"]:.2f}" r="{m["r"]:.2f}" fill="{BLUE}" stroke="#fff" '
            'stroke-width="0.4"/>'
        )
        parts.append(
            f'<text x="{m["x"]:.2f}" y="{m["y"] + 1.2:.2f}" font-size="3.3" font-weight="bold" '
            f'text-anchor="middle" fill="#fff">{m["label"]}</text>'
        )
    parts += [
        f'<path d="M{width - 7:g} 11 L{width - 4.5:g} 4 L{width - 2:g} 11 L{width - 4.5:g} 9.5 Z" fill="{INK}"/>',
        f'<text x="{width - 4.5:g}" y="15" font-size="3.6" text-anchor="middle" fill="{INK}">N</text>',
        f'<path d="M4 {height - 5:g} h{bar:.2f}" stroke="{INK}" stroke-width="0.8"/>',
        f'<path d="M4 {height - 6.5:g} v3 M{4 + bar:.2f} {height - 6.5:g} v3" stroke="{INK}" stroke-width="0.5"/>',
        f'<text x="{4 + bar + 1.5:.2f}" y="{height - 4:g}" font-size="3.2" fill="{INK}">{bar_km:g} km</text>',
        "</svg>",
    ]
    return "".join(parts)


def monthly_poster_html(
    month: str,
    booths: Sequence[Booth],
    base_url: str,
    *,
    placement: str = POSTER_PLACEMENT,
    phone: str = "",
    extent: Extent | None = None,
    tiles: TileSource | None = None,
    subtitle: str = "en",
) -> str:
    """The month's poster as the HTML document its PDF is printed from (subtitles in ``subtitle``)."""
    booking_url = home_booking_url(base_url, placement)
    with _subtitles_in(subtitle):
        return _poster_html(month, booths, booking_url, phone, extent, tiles)


def _poster_html(
    month: str,
    booths: Sequence[Booth],
    booking_url: str,
    phone: str,
    extent: Extent | None,
    tiles: TileSource | None,
) -> str:
    background = None
    if booths and tiles is not None:
        own = extent_of(booths)
        area = extent or own
        whole = (min(area[0], own[0]), min(area[1], own[1]), max(area[2], own[2]), max(area[3], own[3]))
        background = area_map(whole, tiles, POSTER_MAP_PX)
    overview = overview_svg(booths, extent, width=108, height=72, background=background) if booths else ""
    return _render(
        "flyers/poster.html",
        month_ja=month_title_ja(month),
        month_en=month_title_en(month),
        booths=list(booths),
        booking_url=booking_url,
        qr_uri=_qr_uri(booking_url),
        overview=Markup(overview),
        map_credit=background.credit if background else "",
        phone=phone.strip(),
        no_phone_text=NO_PHONE_TEXT,
    )


def monthly_poster_pdf(
    month: str,
    booths: Sequence[Booth],
    base_url: str,
    *,
    placement: str = POSTER_PLACEMENT,
    phone: str = "",
    extent: Extent | None = None,
    tiles: TileSource | None = None,
    subtitle: str = "en",
) -> bytes:
    """The poster of a month (YYYY-MM): every booth given in a table (date, weekday, time, place), numbered on an
    overview of ``extent`` (on the tile server's map when ``tiles`` gives one and its tiles can be fetched), and a
    QR code of ``{base_url}/?src={placement}``, subtitles in ``subtitle``. A4; a second page when the table needs it."""
    html = monthly_poster_html(
        month, booths, base_url, placement=placement, phone=phone, extent=extent, tiles=tiles, subtitle=subtitle
    )
    return _pdf(html)


# --- the square image for social media ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def cjk_font_path(bold: bool) -> str:
    """The Noto Sans CJK collection (Debian's fonts-noto-cjk), bold or regular."""
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    found = sorted(glob(f"/usr/share/fonts/**/{name}", recursive=True))
    if found:
        return found[0]
    query = "Noto Sans CJK JP:style=Bold" if bold else "Noto Sans CJK JP:style=Regular"
    try:
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", query], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        path = ""
    if path.endswith((".ttc", ".otf", ".ttf")) and Path(path).exists():
        return path
    raise RuntimeError("Noto Sans CJK is not installed (Debian package fonts-noto-cjk)")


def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK JP (index 0 of the collection) at ``size`` pixels, loaded once per thread (a FreeType face
    must not be used by two threads at once)."""
    fonts = _thread.__dict__.setdefault("pil_fonts", {})
    if (size, bold) not in fonts:
        fonts[size, bold] = ImageFont.truetype(cjk_font_path(bold), size, index=0)
    return fonts[size, bold]


def _words(text: str) -> list[str]:
    """Where a line may break: after each Japanese character, and between Latin words (kept whole)."""
    return re.findall(r"[\w'’.,:;!?()/\-–]+ *| +|.", text, flags=re.ASCII)


def _fit(
    text: str, width: int, size: int, bold: bool, lines: int = 1, smallest: int = 22
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font up to ``size`` at which ``text`` wraps into at most ``lines`` lines of ``width`` pixels
    (at the smallest size, the lines that fit)."""
    while True:
        font = _font(size, bold)
        wrapped, line = [], ""
        for word in _words(text):
            if font.getlength((line + word).rstrip()) <= width or not line:
                line += word
            else:
                wrapped.append(line.rstrip())
                line = word.lstrip()
        wrapped.append(line.rstrip())
        fits = all(font.getlength(w) <= width for w in wrapped)
        if (len(wrapped) <= lines and fits) or size <= smallest:
            return font, wrapped[:lines]
        size -= 2


def _draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    width: int,
    size: int,
    *,
    bold: bool = False,
    lines: int = 1,
    fill: str = INK,
) -> int:
    """Draw ``text`` fitted into ``width``; returns the y below it."""
    font, wrapped = _fit(text, width, size, bold, lines)
    x, y = xy
    step = round(font.size * 1.3)
    for line in wrapped:
        draw.text((x, y), line, font=font, fill=fill)
        y += step
    return y


def _qr_image(url: str) -> Image.Image:
    code = Image.open(io.BytesIO(qr_png(url, box_size=1, border=4))).convert("L")
    modules = code.width - 8
    scale = math.ceil(PNG_QR_MIN_PX / modules)
    return code.resize((code.width * scale, code.height * scale), Image.Resampling.NEAREST)


def booth_flyer_png(booth: Booth, booking_url: str, subtitle: str = "en") -> bytes:
    """A square 1080×1080 PNG for social media: date, time, place and a QR code (at least 330 px) of
    ``booking_url``; its second lines in ``subtitle`` (en, ja-easy, zh-hans, ko or vi), as the flyer's."""
    with _subtitles_in(subtitle):
        return _booth_flyer_png(booth, booking_url)


def _booth_flyer_png(booth: Booth, booking_url: str) -> bytes:
    image = Image.new("RGB", (PNG_SIZE, PNG_SIZE), "white")
    draw = ImageDraw.Draw(image)
    margin, inner = 56, PNG_SIZE - 2 * 56
    draw.rectangle((0, 0, PNG_SIZE, 170), fill=BLUE)
    with using_locale("ja"):
        title = f"{_('My Number Card')} {_('Pop-up application support')}"
        book, walk_in = _("Book with the QR code"), _("Without a booking? Walk-ins are welcome while places last.")
    _draw_text(draw, (margin, 30), title, inner, 60, bold=True, fill="white")
    _draw_text(
        draw, (margin, 112), f"{en('My Number Card')}: {en('Pop-up application support')}", inner, 30, fill="white"
    )
    qr = _qr_image(booking_url)
    qr_x, qr_y = PNG_SIZE - margin - qr.width + 16, PNG_SIZE - margin - qr.height + 16  # the quiet zone may overlap
    image.paste(qr, (qr_x, qr_y))
    left = qr_x + 16 - margin - 24  # the width beside the QR code

    def width_at(y: int, height: int) -> int:
        return inner if y + height <= qr_y + 16 else left

    y = _draw_text(draw, (margin, 205), date_ja(booth.date), inner, 80, bold=True)
    y = _draw_text(draw, (margin, y), f"{wareki_year(booth.date)}　{hours(booth)}", inner, 60, bold=True)
    y = _draw_text(draw, (margin, y + 4), f"{date_en(booth.date)}, {hours(booth, '–')}", inner, 32)
    y = _draw_text(draw, (margin, y + 24), booth.venue_name, width_at(y + 24, 2 * 84), 64, bold=True, lines=2)
    if booth.venue_name_en:
        y = _draw_text(draw, (margin, y), booth.venue_name_en, width_at(y, 42), 32)
    width = width_at(y + 4, 46)
    y = _draw_text(draw, (margin, y + 4), booth.address, width, 34, lines=1 if width == inner else 2)
    y = max(y + 30, qr_y + 30)
    y = _draw_text(draw, (margin, y), book, left, 48, bold=True)
    y = _draw_text(draw, (margin, y), en("Book with the QR code"), left, 32)
    y = _draw_text(draw, (margin, y + 16), walk_in, left, 30, lines=2)
    _draw_text(draw, (margin, y), en("Without a booking? Walk-ins are welcome while places last."), left, 24, lines=2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- a month's set of files -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlyerFile:
    """One file of a month's flyer set, rendered when asked (so a job can report progress file by file)."""

    name: str
    render: Callable[[], bytes]


def safe_file_name(text: str) -> str:
    """A file name part without path separators, characters Windows forbids, or control characters."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", text).strip(" .")
    return cleaned[:80] or "booth"


def month_files(
    month: str,
    booths: Sequence[Booth],
    base_url: str,
    *,
    phone: str = "",
    extent: Extent | None = None,
    tiles: TileSource | None = None,
) -> list[FlyerFile]:
    """A month's flyer set: one PDF and one PNG per booth (``2027-06-05_会場名.pdf``), then the month's poster.
    The PDFs' maps come from the tile server ``tiles`` (None: drawn)."""
    files: list[FlyerFile] = []
    used: set[str] = set()
    for booth in booths:
        stem = f"{booth.date.isoformat()}_{safe_file_name(booth.venue_name)}"
        if stem in used:
            stem = f"{stem}_{booth.id}"
        used.add(stem)
        files.append(
            FlyerFile(
                f"{stem}.pdf",
                functools.partial(
                    booth_flyer_pdf, booth, booth_booking_url(base_url, booth.id, FLYER_PLACEMENT), phone, tiles
                ),
            )
        )
        files.append(
            FlyerFile(
                f"{stem}.png",
                functools.partial(booth_flyer_png, booth, booth_booking_url(base_url, booth.id, SOCIAL_PLACEMENT)),
            )
        )
    files.append(
        FlyerFile(
            f"{month}_poster.pdf",
            functools.partial(monthly_poster_pdf, month, booths, base_url, phone=phone, extent=extent, tiles=tiles),
        )
    )
    return files
