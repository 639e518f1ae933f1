"""The venue's map printed on a flyer: tiles of the configured tile server (TILE_URL) stitched around the venue with
its pin, cached on disk; when the tiles cannot be fetched, a drawn map (a pin and the address) instead.

Rendered on the server (a printed flyer cannot run Leaflet). Tiles are fetched with httpx and short timeouts and
stitched with Pillow (already used for the flyers' PNG); `staticmap` from PyPI would do the stitching, but it
fetches with `requests` without a time limit we control and draws no text, so the little it saves is not worth a
dependency. A failure is remembered for a minute, so that a month of flyers falls back at once instead of waiting
on a dead server for every booth.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
from PIL import Image, ImageDraw, ImageFont

from core.settings import ROOT, Settings

logger = logging.getLogger(__name__)

TILE = 256
ZOOM = 16  # about 1 km across the printed map: the streets around the venue
SIZE = (480, 352)  # pixels; printed 60 × 44 mm (about 200 dpi, the tiles' labels stay readable)
TIMEOUT = httpx.Timeout(3.0, connect=2.0)
FAILURE_MEMORY_SECONDS = 60.0
PIN, INK = "#d0021b", "#1a1a1a"
STATIC_DIR = ROOT / "static"

_failures: dict[str, float] = {}  # tile URL template → when its server last failed (monotonic)
_failures_lock = threading.Lock()


@dataclass(frozen=True)
class TileSource:
    """Where the map's tiles come from and how to credit them: TILE_URL, the text of TILE_ATTRIBUTION, BASE_URL
    (for a TILE_URL relative to the portal) and the cache directory (``maps/`` under OUTREACH_VAR_DIR)."""

    url: str
    credit: str
    base_url: str
    cache_dir: Path | None

    @classmethod
    def of(cls, settings: Settings) -> TileSource:
        credit = credit_text(settings.tile_attribution)
        return cls(settings.tile_url, credit, settings.base_url, settings.var_dir / "maps")


@dataclass(frozen=True)
class VenueMap:
    """A map image (PNG) and whether it shows the tile server's map (True) or is the drawn fallback (False)."""

    png: bytes
    from_tiles: bool
    credit: str  # the tile source's credit to print beside the map; "" for the drawn map


def credit_text(attribution: str) -> str:
    """The credit as plain text: TILE_ATTRIBUTION is HTML (Leaflet shows it), a flyer prints its words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", attribution)).split())


def tile_xy(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """The position of a point in tiles (Web Mercator, as every XYZ tile server): x, y with fractions."""
    n = 2**zoom
    lat_r = math.radians(max(min(lat, 85.0511), -85.0511))
    return (lon + 180.0) / 360.0 * n, (1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n


def tile_address(template: str, zoom: int, x: int, y: int) -> str:
    """The URL of one tile: ``{z}``, ``{x}`` and ``{y}`` filled in (``{s}``: subdomain a, ``{r}``: none)."""
    return (
        template.replace("{z}", str(zoom))
        .replace("{x}", str(x))
        .replace("{y}", str(y))
        .replace("{s}", "a")
        .replace("{r}", "")
    )


def _fetch_tile(client: httpx.Client, address: str, base_url: str) -> Image.Image:
    """One tile: a file of our own static/ for ``/static/...`` (as the browser would get it), else over HTTP."""
    if address.startswith("/static/"):
        path = (STATIC_DIR / address.removeprefix("/static/")).resolve()
        if not path.is_relative_to(STATIC_DIR):
            raise OSError(f"not a static file: {address}")
        return Image.open(path).convert("RGB")
    response = client.get(urljoin(base_url + "/", address))
    response.raise_for_status()
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def _cache_path(cache_dir: Path, lat: float, lon: float, zoom: int, url: str, size: tuple[int, int]) -> Path:
    key = f"{lat:.6f},{lon:.6f},{zoom},{size[0]}x{size[1]},{url}".encode()
    return cache_dir / f"{hashlib.sha256(key).hexdigest()[:32]}.png"


def recently_failed(url: str) -> bool:
    """Whether the tile server ``url`` failed within the last minute (a map drawn now is the fallback)."""
    with _failures_lock:
        failed = _failures.get(url)
    return failed is not None and time.monotonic() - failed < FAILURE_MEMORY_SECONDS


def _remember_failure(url: str, failed: bool) -> None:
    with _failures_lock:
        if failed:
            _failures[url] = time.monotonic()
        else:
            _failures.pop(url, None)


def _pin(draw: ImageDraw.ImageDraw, x: float, y: float, scale: float = 1.0) -> None:
    """A map pin whose point is at (x, y): red with a white rim and a white dot."""
    r = 15 * scale
    cy = y - 2.2 * r
    draw.ellipse((x - 0.9 * r, y - 0.35 * r, x + 0.9 * r, y + 0.35 * r), fill="#00000055")
    outline = [(x, y), (x - r * 0.95, cy + r * 0.35), (x + r * 0.95, cy + r * 0.35)]
    draw.polygon(outline, fill="white")
    draw.ellipse((x - r - 3, cy - r - 3, x + r + 3, cy + r + 3), fill="white")
    draw.polygon([(x, y - 3), (x - r * 0.8, cy + r * 0.45), (x + r * 0.8, cy + r * 0.45)], fill=PIN)
    draw.ellipse((x - r, cy - r, x + r, cy + r), fill=PIN)
    draw.ellipse((x - r * 0.4, cy - r * 0.4, x + r * 0.4, cy + r * 0.4), fill="white")


def _stitch(
    source: TileSource, zoom: int, left: float, top: float, size: tuple[int, int], client: httpx.Client | None
) -> Image.Image:
    """The map of ``size`` pixels whose top left corner is at world pixel (left, top) of ``zoom``, from the tiles."""
    width, height = size
    x0, y0 = math.floor(left / TILE), math.floor(top / TILE)
    x1, y1 = math.floor((left + width - 1) / TILE), math.floor((top + height - 1) / TILE)
    canvas = Image.new("RGB", ((x1 - x0 + 1) * TILE, (y1 - y0 + 1) * TILE), "white")
    n = 2**zoom
    own = client is None
    http = client or httpx.Client(
        timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": "outreach flyer map (+" + source.base_url + ")"}
    )
    try:
        for ty in range(y0, y1 + 1):
            for tx in range(x0, x1 + 1):
                if not 0 <= ty < n:
                    continue
                tile = _fetch_tile(http, tile_address(source.url, zoom, tx % n, ty), source.base_url)
                if tile.size != (TILE, TILE):
                    tile = tile.resize((TILE, TILE))
                canvas.paste(tile, ((tx - x0) * TILE, (ty - y0) * TILE))
    finally:
        if own:
            http.close()
    ox, oy = round(left - x0 * TILE), round(top - y0 * TILE)
    return canvas.crop((ox, oy, ox + width, oy + height))


def tile_map(
    lat: float,
    lon: float,
    source: TileSource,
    *,
    zoom: int = ZOOM,
    size: tuple[int, int] = SIZE,
    client: httpx.Client | None = None,
) -> bytes:
    """The map around (lat, lon) from the tile server, the pin at its centre, as PNG; raises on any failure."""
    width, height = size
    cx, cy = tile_xy(lat, lon, zoom)
    image = _stitch(source, zoom, cx * TILE - width / 2, cy * TILE - height / 2, size, client)
    draw = ImageDraw.Draw(image, "RGBA")
    _pin(draw, width / 2, height / 2)
    draw.rectangle((0, 0, width - 1, height - 1), outline="#7f8fd9", width=2)
    return _png(image)


@dataclass(frozen=True)
class AreaMap:
    """A map of an area (a poster's overview): the PNG, its zoom, and the world pixel of its top left corner, so
    that marks can be placed on it (``pixel``)."""

    png: bytes
    zoom: int
    left: float
    top: float
    size: tuple[int, int]
    credit: str

    def pixel(self, lat: float, lon: float) -> tuple[float, float]:
        """Where (lat, lon) is on the image, in its pixels."""
        x, y = tile_xy(lat, lon, self.zoom)
        return x * TILE - self.left, y * TILE - self.top

    def metres_per_pixel(self, lat: float) -> float:
        return 156543.034 * math.cos(math.radians(lat)) / 2**self.zoom


def area_map(
    extent: tuple[float, float, float, float],
    source: TileSource,
    size: tuple[int, int],
    *,
    margin: int = 40,
    max_zoom: int = 16,
) -> AreaMap | None:
    """The tile server's map of the largest zoom that holds ``extent`` (min lat, min lon, max lat, max lon) inside
    ``size`` pixels less ``margin``; cached like the venue maps; None when the tiles cannot be fetched."""
    lat0, lon0, lat1, lon1 = extent
    width, height = size
    zoom = 5
    for z in range(max_zoom, 4, -1):
        xa, ya = tile_xy(lat1, lon0, z)
        xb, yb = tile_xy(lat0, lon1, z)
        if (xb - xa) * TILE <= width - 2 * margin and (yb - ya) * TILE <= height - 2 * margin:
            zoom = z
            break
    xa, ya = tile_xy(lat1, lon0, zoom)
    xb, yb = tile_xy(lat0, lon1, zoom)
    left, top = (xa + xb) / 2 * TILE - width / 2, (ya + yb) / 2 * TILE - height / 2
    key = f"area,{lat0:.5f},{lon0:.5f},{lat1:.5f},{lon1:.5f}"
    path = _cache_path(source.cache_dir, 0, 0, zoom, key + "," + source.url, size) if source.cache_dir else None
    if path is not None and path.exists():
        return AreaMap(path.read_bytes(), zoom, left, top, size, source.credit)
    if recently_failed(source.url):
        return None
    try:
        png = _png(_stitch(source, zoom, left, top, size, None))
    except (httpx.HTTPError, OSError, ValueError) as error:
        logger.warning("map tiles unavailable (%s); the poster gets a drawn overview", type(error).__name__)
        _remember_failure(source.url, True)
        return None
    _remember_failure(source.url, False)
    if path is not None:
        _keep(path, png)
    return AreaMap(png, zoom, left, top, size, source.credit)


def _keep(path: Path, png: bytes) -> None:
    """Write a cache file whole (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{threading.get_ident()}.part")
    partial.write_bytes(png)
    partial.replace(path)


def drawn_map(address: str, font: Callable[[int, bool], ImageFont.FreeTypeFont], size: tuple[int, int] = SIZE) -> bytes:
    """The fallback when no tile can be had: a plain panel with the pin and the address written under it (a map
    that is not there is not pretended)."""
    width, height = size
    image = Image.new("RGB", size, "#eef3ff")
    draw = ImageDraw.Draw(image, "RGBA")
    draw.rectangle((1, 1, width - 2, height - 2), outline="#7f8fd9", width=2)
    _pin(draw, width / 2, height * 0.55, scale=1.6)
    text = address.strip()
    if text:
        for points in (30, 26, 22, 18):
            face = font(points, True)
            lines = _wrap(text, face, width - 40)
            if len(lines) <= 2:
                break
        lines = lines[:2]
        y = height * 0.62
        for line in lines:
            draw.text((width / 2, y), line, font=face, fill=INK, anchor="ma")
            y += points * 1.3
    return _png(image)


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if face.getlength(line + char) > width and line:
            lines.append(line)
            line = char.lstrip()
        else:
            line += char
    return [*lines, line] if line else lines


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def venue_map(
    lat: float,
    lon: float,
    address: str,
    source: TileSource,
    font: Callable[[int, bool], ImageFont.FreeTypeFont],
    *,
    zoom: int = ZOOM,
    size: tuple[int, int] = SIZE,
) -> VenueMap:
    """The venue's map for a flyer: from the cache, else from the tile server (then cached), else drawn."""
    path = _cache_path(source.cache_dir, lat, lon, zoom, source.url, size) if source.cache_dir else None
    if path is not None and path.exists():
        return VenueMap(path.read_bytes(), True, source.credit)
    if not recently_failed(source.url):
        try:
            png = tile_map(lat, lon, source, zoom=zoom, size=size)
        except (httpx.HTTPError, OSError, ValueError) as error:  # Pillow raises OSError/ValueError on a bad image
            logger.warning("map tiles unavailable (%s); the flyer gets a drawn map", type(error).__name__)
            _remember_failure(source.url, True)
        else:
            _remember_failure(source.url, False)
            if path is not None:
                _keep(path, png)
            return VenueMap(png, True, source.credit)
    return VenueMap(drawn_map(address, font, size), False, "")
