"""The map of a plan's venues and the towns they reach (実施会場と届く範囲) as a PNG, drawn offline with Pillow and
numpy: no tiles, no network.

An equirectangular projection fitted to the chosen venues. The geography comes from the demand points (the
city's town points, 町丁・字の代表点): each spot of the map belongs to the town of the nearest point (a Voronoi map
of the points, so town borders are estimated, not surveyed), spots farther than OUTSIDE_KM from every point are
outside the inhabited city, and each town area is shaded by how many of the plan's sessions reach it. On top: one
marker per venue, split into one sector per session coloured by month and labelled with the sessions' 回 numbers;
a legend, a scale bar in km, a north arrow and the title.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from planner.model import PlanResult
from planner.report import SessionRow, Town, month_label, period_text, point_visits, session_rows, town_points

WIDTH, HEIGHT = 1600, 1200
SUPERSAMPLE = 2  # draw at twice the size and scale down: Pillow draws without anti-aliasing
KM_PER_DEGREE = 6371.0 * math.pi / 180  # one degree of latitude on the sphere of DESIGN §4

# Paul Tol's discrete rainbow, 12 colours: ordered (months follow one another) and distinct for colour-blind readers.
MONTH_COLOURS: tuple[str, ...] = (
    "#D1BBD7",
    "#AE76A3",
    "#882E72",
    "#1965B0",
    "#5289C7",
    "#7BAFDE",
    "#4EB265",
    "#CAE0AB",
    "#F7F056",
    "#F6C141",
    "#F1932D",
    "#DC050C",
)
# Paul Tol's muted scheme: for plans of up to 9 months, colours that differ more than neighbours on the rainbow do.
FEW_MONTH_COLOURS: tuple[str, ...] = (
    "#332288",
    "#CC6677",
    "#44AA99",
    "#DDCC77",
    "#882255",
    "#88CCEE",
    "#117733",
    "#AA4499",
    "#999933",
)
INK = (0, 0, 0)
MUTED = (90, 90, 90)
BACKGROUND_DOT = (200, 200, 200)
OUTSIDE_KM = 1.2  # a spot this far from every town point is outside the inhabited city (sea, mountains)
CELL = 3  # pixels (before supersampling) per cell of the town raster
# How many sessions reach a town, by VISIT_LEVELS (light tints under the month-coloured markers).
VISIT_COLOURS: tuple[tuple[int, int, int], ...] = ((242, 242, 242), (220, 234, 214), (184, 214, 170), (142, 190, 122))
VISIT_LEVELS = (1, 3, 6)  # sessions reaching a town from which its shade is darker
VISIT_LABELS = ("届かない", "1～2 回", "3～5 回", "6 回以上")
TOWN_BORDER = (178, 178, 178)
CITY_EDGE = (70, 70, 70)
FRAME = (150, 150, 150)
NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

TITLE_HEIGHT = 120
LEGEND_WIDTH = 330
PAD = 30
MARKER_RADIUS = 15
MIN_SPAN_KM = 3.0  # a plan at one or two close venues still gets a readable map


@lru_cache(maxsize=4)
def _font_file(bold: bool) -> tuple[str, int] | None:
    """The Noto Sans CJK JP font file and face index, found with fontconfig; None when it is not installed."""
    if not shutil.which("fc-match"):
        return None
    pattern = "Noto Sans CJK JP:bold" if bold else "Noto Sans CJK JP"
    try:
        found = subprocess.run(
            ["fc-match", pattern, "--format=%{file}\t%{index}\t%{family}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, rest = found.partition("\t")
    index, _, family = rest.partition("\t")
    if "CJK" not in family or not path:
        return None
    return path, int(index or 0)


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Noto Sans CJK JP at ``size`` pixels, or Pillow's default font when the CJK font is missing."""
    found = _font_file(bold) or _font_file(False)
    if found:
        return ImageFont.truetype(found[0], size, index=found[1])
    return ImageFont.load_default(size)


def month_colours(months: Sequence[str]) -> dict[str, str]:
    """A colour per month of the plan: Tol's muted scheme up to 9 months, his 12-colour rainbow beyond."""
    palette = FEW_MONTH_COLOURS if len(months) <= len(FEW_MONTH_COLOURS) else MONTH_COLOURS
    return {m: palette[i % len(palette)] for i, m in enumerate(months)}


@dataclass(frozen=True)
class _Venue:
    venue_id: str
    lat: float
    lon: float
    months: tuple[str, ...]  # one per session, in 回 order
    numbers: tuple[int, ...]


def _venues(rows: Sequence[SessionRow]) -> list[_Venue]:
    grouped: dict[str, list[SessionRow]] = {}
    for row in rows:
        grouped.setdefault(row.venue_id, []).append(row)
    return [
        _Venue(venue_id, group[0].lat, group[0].lon, tuple(r.month for r in group), tuple(r.number for r in group))
        for venue_id, group in grouped.items()
    ]


class _Projection:
    """Equirectangular: x = lon · cos(lat₀), y = lat, fitted into a pixel box with a margin."""

    def __init__(self, points: Sequence[tuple[float, float]], box: tuple[int, int, int, int], margin: float) -> None:
        lat0 = sum(lat for lat, _ in points) / len(points)
        self.k = math.cos(math.radians(lat0))
        xs = [lon * self.k for _, lon in points]
        ys = [lat for lat, _ in points]
        min_span = MIN_SPAN_KM / KM_PER_DEGREE
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        span_x, span_y = max(max(xs) - min(xs), min_span), max(max(ys) - min(ys), min_span)
        left, top, right, bottom = box
        width, height = (right - left) - 2 * margin, (bottom - top) - 2 * margin
        self.scale = min(width / span_x, height / span_y)  # pixels per projected degree
        self.cx, self.cy = cx, cy
        self.px, self.py = (left + right) / 2, (top + bottom) / 2

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return self.px + (lon * self.k - self.cx) * self.scale, self.py - (lat - self.cy) * self.scale

    @property
    def pixels_per_km(self) -> float:
        return self.scale / KM_PER_DEGREE


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _place_labels(
    draw: ImageDraw.ImageDraw,
    venues: Sequence[_Venue],
    centres: Sequence[tuple[float, float]],
    label_font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    radius: float,
    box: tuple[int, int, int, int],
) -> list[tuple[tuple[float, float], str]]:
    """Put each venue's 回 numbers beside its marker where they cover no marker and no other label."""
    obstacles = [(x - radius, y - radius, x + radius, y + radius) for x, y in centres]
    placed: list[tuple[tuple[float, float], str]] = []
    gap = radius * 0.35
    for venue, (x, y) in sorted(zip(venues, centres), key=lambda item: item[0].numbers[0]):
        text = ", ".join(str(n) for n in venue.numbers)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=label_font)
        w, h = right - left, bottom - top
        candidates = [
            (x + radius + gap, y - h / 2),
            (x - radius - gap - w, y - h / 2),
            (x - w / 2, y - radius - gap - h),
            (x - w / 2, y + radius + gap),
            (x + radius * 0.7, y - radius * 0.7 - h),
            (x + radius * 0.7, y + radius * 0.7),
            (x - radius * 0.7 - w, y - radius * 0.7 - h),
            (x - radius * 0.7 - w, y + radius * 0.7),
        ]
        best, best_cost = candidates[0], math.inf
        for cx, cy in candidates:
            rect = (cx - 2, cy - 2, cx + w + 2, cy + h + 2)
            outside = rect[0] < box[0] or rect[1] < box[1] or rect[2] > box[2] or rect[3] > box[3]
            cost = sum(_overlap(rect, o) for o in obstacles) + (1e6 if outside else 0)
            if cost < best_cost:
                best, best_cost = (cx, cy), cost
            if cost == 0:
                break
        obstacles.append((best[0] - 2, best[1] - 2, best[0] + w + 2, best[1] + h + 2))
        placed.append(((best[0] - left, best[1] - top), text))
    return placed


def _nice_km(max_km: float) -> float:
    fitting = [km for km in NICE_KM if km <= max_km]
    return fitting[-1] if fitting else NICE_KM[0]


def _draw_marker(
    draw: ImageDraw.ImageDraw, x: float, y: float, radius: float, colours: Sequence[str], outline: float
) -> None:
    bbox = (x - radius, y - radius, x + radius, y + radius)
    if len(colours) == 1:
        draw.ellipse(bbox, fill=colours[0])
    else:
        step = 360 / len(colours)
        for i, colour in enumerate(colours):
            draw.pieslice(bbox, -90 + i * step, -90 + (i + 1) * step, fill=colour)
        for i in range(len(colours)):  # thin white spokes keep neighbouring sectors apart
            angle = math.radians(-90 + i * step)
            draw.line(
                (x, y, x + radius * math.cos(angle), y + radius * math.sin(angle)),
                fill="white",
                width=max(1, round(outline / 2)),
            )
    draw.ellipse(bbox, outline=INK, width=round(outline))


def plan_map_png(result: PlanResult, *, background: Iterable[Sequence[object]] = (), title: str = "") -> bytes:
    """The plan's venues on a map of the towns they reach (PNG, 1600×1200): markers coloured by month and labelled
    with 回 numbers. ``background``: the demand points as (lat, lon) or (lat, lon, town name)."""
    s = SUPERSAMPLE
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(image)
    rows = session_rows(result)
    venues = _venues(rows)
    months = list(dict.fromkeys(sorted(row.month for row in rows)))
    colours = month_colours(months)

    # title
    p = result.parameters
    draw.text((PAD * s, 22 * s), title or "実施会場の地図", font=font(40 * s, bold=True), fill=INK)
    subtitle = f"{period_text(p.start, p.end)}　{len(rows)} 回・{len(venues)} 会場"
    draw.text((PAD * s, 78 * s), subtitle, font=font(24 * s), fill=MUTED)

    box = (PAD * s, TITLE_HEIGHT * s, (WIDTH - LEGEND_WIDTH) * s, (HEIGHT - PAD) * s)
    draw.rectangle(box, outline=FRAME, width=2 * s)
    if not venues:
        message = "会場がありません"
        draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), message, font=font(32 * s), fill=MUTED, anchor="mm")
        return _png(image)

    projection = _Projection([(v.lat, v.lon) for v in venues], box, margin=70 * s)
    towns = town_points(background)
    if towns:
        _draw_towns(image, projection, box, towns, point_visits(result, towns))

    radius = MARKER_RADIUS * s
    centres = [projection(v.lat, v.lon) for v in venues]
    for venue, (x, y) in zip(venues, centres):
        _draw_marker(draw, x, y, radius, [colours[m] for m in venue.months], outline=2 * s)
    label_font = font(21 * s, bold=True)
    for (x, y), text in _place_labels(draw, venues, centres, label_font, radius, box):
        draw.text((x, y), text, font=label_font, fill=INK, stroke_width=3 * s, stroke_fill="white")

    _draw_scale_bar(draw, projection, box, s)
    _draw_north_arrow(draw, box, s)
    _draw_legend(draw, months, colours, rows, has_background=bool(background), s=s)
    return _png(image)


def _draw_towns(
    image: Image.Image,
    projection: _Projection,
    box: tuple[int, int, int, int],
    towns: Sequence[Town],
    visits: Sequence[int],
) -> None:
    """Shade each town's area (its points' Voronoi cells inside the box) by the sessions reaching it; draw the
    borders between towns and the edge of the inhabited city."""
    left, top, right, bottom = box
    step = CELL * SUPERSAMPLE
    width, height = (right - left) // step, (bottom - top) // step
    xy = np.array([projection(lat, lon) for lat, lon, _ in towns], dtype=np.float64)
    # points (pixels) beyond the box by more than the cut-off cannot own a spot inside it
    cut = OUTSIDE_KM * projection.pixels_per_km
    keep = (xy[:, 0] > left - cut) & (xy[:, 0] < right + cut) & (xy[:, 1] > top - cut) & (xy[:, 1] < bottom + cut)
    if not keep.any():
        return
    points = xy[keep]
    names = [towns[int(i)][2] or f"#{i}" for i in np.flatnonzero(keep)]
    ids: dict[str, int] = {}
    town_ids = np.array([ids.setdefault(n, len(ids)) for n in names], dtype=np.int64)
    level = np.searchsorted(VISIT_LEVELS, np.array(visits, dtype=np.int64)[keep], side="right")
    gx = left + (np.arange(width) + 0.5) * step
    gy = top + (np.arange(height) + 0.5) * step
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    nearest = np.zeros(len(grid), dtype=np.int64)
    nearest_d2 = np.full(len(grid), np.inf)
    # Buckets of the cut-off's size: a spot's nearest point within the cut-off lies in its bucket or a neighbour.
    cell_bucket = np.floor((grid - (left, top)) / cut).astype(np.int64)
    point_bucket = np.floor((points - (left, top)) / cut).astype(np.int64)
    keys, groups = np.unique(cell_bucket, axis=0, return_inverse=True)
    order = np.argsort(groups.ravel(), kind="stable")
    bounds = np.searchsorted(groups.ravel()[order], np.arange(len(keys) + 1))
    for number, (bx, by) in enumerate(keys):
        near = np.flatnonzero((np.abs(point_bucket[:, 0] - bx) <= 1) & (np.abs(point_bucket[:, 1] - by) <= 1))
        if not len(near):
            continue
        cells = order[bounds[number] : bounds[number + 1]]
        d2 = ((grid[cells, None, :] - points[None, near, :]) ** 2).sum(axis=2)
        index = d2.argmin(axis=1)
        nearest[cells] = near[index]
        nearest_d2[cells] = d2[np.arange(len(cells)), index]
    inside = (nearest_d2 <= cut**2).reshape(height, width)
    town = np.where(inside, town_ids[nearest].reshape(height, width), -1)
    colours = np.array(VISIT_COLOURS, dtype=np.uint8)[level[nearest]].reshape(height, width, 3)
    # up to pixels, then borders one pixel wide where the town (or inside/outside) changes
    town = town.repeat(step, axis=0).repeat(step, axis=1)
    rgb = colours.repeat(step, axis=0).repeat(step, axis=1)
    rgb[town < 0] = (255, 255, 255)
    border = np.zeros(town.shape, dtype=bool)
    edge = np.zeros(town.shape, dtype=bool)
    for a, b, slot in (
        (town[:, 1:], town[:, :-1], (slice(None), slice(1, None))),
        (town[1:], town[:-1], (slice(1, None), slice(None))),
    ):
        changed = a != b
        border[slot] |= changed
        edge[slot] |= changed & ((a < 0) | (b < 0))
    rgb[border] = TOWN_BORDER
    edge[1:] |= edge[:-1]  # the city's edge two pixels wide
    edge[:, 1:] |= edge[:, :-1]
    rgb[edge] = CITY_EDGE
    image.paste(Image.fromarray(rgb, "RGB"), (left, top))


def _draw_scale_bar(draw: ImageDraw.ImageDraw, projection: _Projection, box: tuple[int, int, int, int], s: int) -> None:
    km = _nice_km((box[2] - box[0]) / 4 / projection.pixels_per_km)
    length = km * projection.pixels_per_km
    x0, y0 = box[0] + 30 * s, box[3] - 40 * s
    label = f"{km:g} km"
    label_font = font(20 * s)
    draw.rectangle((x0 - 12 * s, y0 - 40 * s, x0 + length + 18 * s, y0 + 16 * s), fill="white")
    half = length / 2
    draw.rectangle((x0, y0 - 5 * s, x0 + half, y0 + 5 * s), fill=INK)
    draw.rectangle((x0 + half, y0 - 5 * s, x0 + length, y0 + 5 * s), fill="white", outline=INK, width=2 * s)
    draw.text((x0, y0 - 10 * s), "0", font=label_font, fill=INK, anchor="md")
    draw.text((x0 + length, y0 - 10 * s), label, font=label_font, fill=INK, anchor="md")


def _draw_north_arrow(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], s: int) -> None:
    x, y = box[2] - 40 * s, box[1] + 30 * s
    draw.polygon([(x, y), (x - 12 * s, y + 36 * s), (x, y + 28 * s), (x + 12 * s, y + 36 * s)], fill=INK)
    draw.text((x, y + 42 * s), "N", font=font(22 * s, bold=True), fill=INK, anchor="mt")


def _draw_legend(
    draw: ImageDraw.ImageDraw,
    months: Sequence[str],
    colours: dict[str, str],
    rows: Sequence[SessionRow],
    *,
    has_background: bool,
    s: int,
) -> None:
    x = (WIDTH - LEGEND_WIDTH + 30) * s
    y = TITLE_HEIGHT * s
    heading, text = font(24 * s, bold=True), font(21 * s)
    draw.text((x, y), "実施月", font=heading, fill=INK)
    y += 44 * s
    counts = {m: sum(1 for r in rows if r.month == m) for m in months}
    for month in months:
        r = 12 * s
        draw.ellipse((x, y, x + 2 * r, y + 2 * r), fill=colours[month], outline=INK, width=2 * s)
        draw.text(
            (x + 2 * r + 14 * s, y + r), f"{month_label(month)}（{counts[month]} 回）", font=text, fill=INK, anchor="lm"
        )
        y += 38 * s
    y += 26 * s
    draw.text((x, y), "凡例", font=heading, fill=INK)
    y += 44 * s
    r = MARKER_RADIUS * s
    sample = list(colours.values())[:3] or [FEW_MONTH_COLOURS[0]]
    _draw_marker(draw, x + r, y + r, r, sample, outline=2 * s)
    draw.text((x + 2 * r + 14 * s, y + r), "会場（扇形は各回）", font=text, fill=INK, anchor="lm")
    y += 2 * r + 14 * s
    example_font = font(21 * s, bold=True)
    draw.text((x, y), "3, 25", font=example_font, fill=INK)
    draw.text((x + draw.textlength("3, 25", font=example_font) + 14 * s, y), "実施計画の回", font=text, fill=INK)
    y += 40 * s
    if has_background:
        y += 16 * s
        draw.text((x, y), "町にブースが届く回数", font=heading, fill=INK)
        y += 44 * s
        for colour, label in zip(VISIT_COLOURS, VISIT_LABELS, strict=True):
            draw.rectangle((x, y, x + 2 * r, y + 2 * r), fill=colour, outline=TOWN_BORDER, width=2 * s)
            draw.text((x + 2 * r + 14 * s, y + r), label, font=text, fill=INK, anchor="lm")
            y += 38 * s
        y += 8 * s
        draw.line((x, y + r, x + 2 * r, y + r), fill=TOWN_BORDER, width=3 * s)
        draw.text((x + 2 * r + 14 * s, y + r), "町の境界（推定）", font=text, fill=INK, anchor="lm")
        y += 38 * s
        draw.line((x, y + r, x + 2 * r, y + r), fill=CITY_EDGE, width=3 * s)
        draw.text((x + 2 * r + 14 * s, y + r), "町のある範囲の縁", font=text, fill=INK, anchor="lm")
        y += 38 * s


def _png(image: Image.Image) -> bytes:
    small = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS) if SUPERSAMPLE > 1 else image
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
