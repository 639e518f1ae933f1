"""The flyer's map rendered on the server from a tile server (portal.documents.venue_map): tiles served by a small
HTTP server of the test, the drawn fallback when that server is down, and the cache on disk."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from core import clock
from core.i18n import gettext, using_locale
from portal.documents.flyers import (
    POSTER_MAP_PX,
    booth_booking_url,
    booth_flyer_pdf,
    extent_of,
    monthly_poster_pdf,
    overview_svg,
)
from portal.documents.flyers import _font as flyer_font
from portal.documents.venue_map import SIZE, ZOOM, TileSource, area_map, credit_text, tile_xy, venue_map
from tests.portal.documents.test_flyers import BASE, make_booth, page_image, pdf_text, squeezed
from tests.support.servers import free_port

TILE_COLOUR = (214, 120, 24)  # an orange no other part of the flyer uses
CREDIT = "テスト地図タイル"


class TileServer:
    """Serves every ``/tiles/{z}/{x}/{y}.png`` as a 256 px tile of TILE_COLOUR and keeps the paths asked for."""

    def __init__(self) -> None:
        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), TILE_COLOUR).save(buffer, format="PNG")
        tile = buffer.getvalue()
        self.failing = False
        server = self
        asked: list[str] = []
        self.asked = asked

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                asked.append(self.path)
                if server.failing:
                    self.send_error(503)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tiles/{{z}}/{{x}}/{{y}}.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    server = TileServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def source(url: str, cache: Path) -> TileSource:
    return TileSource(url, credit_text(f'<a href="https://tiles.example.jp/">{CREDIT}</a>'), BASE, cache)


def share_of(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> float:
    """The share of the image's pixels within ``tolerance`` of ``colour`` on every channel."""
    data = image.convert("RGB").tobytes()
    pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
    near = sum(1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)))
    return near / len(pixels)


def test_the_flyer_carries_the_map_of_the_tile_server_with_its_credit(tile_server, tmp_path):
    booth = make_booth()
    url = booth_booking_url(BASE, booth.id, "flyer")
    content = booth_flyer_pdf(booth, url, "", source(tile_server.url, tmp_path / "maps"))

    page = page_image(content, tmp_path)
    # the map is 60 × 44 mm of the 210 × 297 mm page: about 4 % of it, less the pin
    assert share_of(page, TILE_COLOUR) > 0.03
    x, y = tile_xy(booth.lat, booth.lon, ZOOM)
    assert f"/tiles/{ZOOM}/{int(x)}/{int(y)}.png" in tile_server.asked  # the tile under the venue
    text = squeezed(pdf_text(content, tmp_path))
    with using_locale("ja"):
        assert squeezed(gettext("Map: {credit}").format(credit=CREDIT)) in text
        assert squeezed(gettext("Directions and a street map are on the booking page (QR code).")) not in text


def test_the_map_is_the_tiles_around_the_venue_with_its_pin_at_the_centre(tile_server, tmp_path):
    booth = make_booth()
    found = venue_map(booth.lat, booth.lon, booth.address, source(tile_server.url, tmp_path), flyer_font)
    image = Image.open(io.BytesIO(found.png)).convert("RGB")
    width, height = SIZE
    assert image.size == SIZE
    assert image.getpixel((width // 4, height // 4)) == TILE_COLOUR
    pin = image.getpixel((width // 2, height // 2 - 20))  # the pin's point is on the venue, its head above it
    assert pin[0] > 180 and pin[1] < 60 and pin[2] < 80, pin


def test_with_the_tile_server_down_the_flyer_has_a_drawn_map_and_no_error(tmp_path):
    down = f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png"
    booth = make_booth()
    started = time.monotonic()
    content = booth_flyer_pdf(booth, booth_booking_url(BASE, booth.id, "flyer"), "", source(down, tmp_path / "maps"))
    assert time.monotonic() - started < 20
    assert content.startswith(b"%PDF")
    text = squeezed(pdf_text(content, tmp_path))
    with using_locale("ja"):
        assert squeezed(gettext("Directions and a street map are on the booking page (QR code).")) in text
        assert CREDIT not in text  # no credit for a map that is not there
    drawn = venue_map(booth.lat, booth.lon, booth.address, source(down, tmp_path / "maps"), flyer_font)
    assert not drawn.from_tiles and drawn.credit == ""
    image = Image.open(io.BytesIO(drawn.png))
    assert image.size == SIZE
    assert share_of(image, (208, 2, 27), tolerance=20) > 0.005  # the red pin
    assert not list((tmp_path / "maps").glob("*.png"))  # a fallback is not kept: the next flyer tries again


def test_the_rendered_map_is_cached_on_disk_and_a_second_flyer_asks_for_no_tile(tile_server, tmp_path):
    booth = make_booth()
    cache = tmp_path / "maps"
    first = venue_map(booth.lat, booth.lon, booth.address, source(tile_server.url, cache), flyer_font)
    assert first.from_tiles and first.credit == CREDIT
    asked = len(tile_server.asked)
    assert 1 <= asked <= 9  # 480 × 352 px need at most 3 × 3 tiles
    assert len(list(cache.glob("*.png"))) == 1

    booth_flyer_pdf(booth, booth_booking_url(BASE, booth.id, "flyer"), "", source(tile_server.url, cache))
    assert len(tile_server.asked) == asked  # from the cache: no tile asked for again

    elsewhere = venue_map(booth.lat + 0.01, booth.lon, booth.address, source(tile_server.url, cache), flyer_font)
    assert elsewhere.from_tiles and len(tile_server.asked) > asked  # another place is another map
    other_server = source(tile_server.url.replace("/tiles/", "/other/"), cache)
    venue_map(booth.lat, booth.lon, booth.address, other_server, flyer_font)
    assert any(path.startswith("/other/") for path in tile_server.asked)  # another tile server too


def test_the_poster_numbers_its_booths_on_the_tile_servers_map_or_on_a_plain_panel_when_it_is_down(
    tile_server, tmp_path
):
    booths = [
        make_booth(1, name="森本公民館", lat=36.62, lon=136.69),
        make_booth(2, name="金沢市立玉川図書館", lat=36.56, lon=136.65),
    ]
    content = monthly_poster_pdf("2027-06", booths, BASE, tiles=source(tile_server.url, tmp_path / "maps"))
    (tmp_path / "with").mkdir()
    page = page_image(content, tmp_path / "with")
    assert share_of(page, TILE_COLOUR) > 0.05  # the overview (108 × 72 mm) is the tile server's map
    assert share_of(page, (0, 23, 193), tolerance=30) > 0.001  # with the numbered blue circles on it
    text = squeezed(pdf_text(content, tmp_path))
    with using_locale("ja"):
        assert squeezed(gettext("Map: {credit}").format(credit=CREDIT)) in text
    svg = overview_svg(
        booths,
        width=108,
        height=72,
        background=area_map(extent_of(booths), source(tile_server.url, tmp_path / "maps"), POSTER_MAP_PX),
    )
    assert "<image" in svg

    down = f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png"
    content = monthly_poster_pdf("2027-06", booths, BASE, tiles=source(down, tmp_path / "maps"))
    (tmp_path / "without").mkdir()
    page = page_image(content, tmp_path / "without")
    assert share_of(page, TILE_COLOUR) < 0.001
    assert CREDIT not in pdf_text(content, tmp_path)


async def test_a_public_flyer_drawn_while_the_tiles_were_down_gets_the_map_once_they_are_back(
    tile_server, tmp_path, monkeypatch
):
    from litestar.testing import AsyncTestClient

    from core.settings import get_settings
    from portal.app import create_app
    from portal.documents import venue_map as module
    from tests.booking.factories import publish_booth

    booth = await publish_booth(dt.date(2027, 6, 5), name="森本公民館")
    settings = replace(get_settings(), tile_url=tile_server.url, var_dir=tmp_path / "var")
    tile_server.failing = True
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        with clock.frozen(dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)):
            down = await client.get(f"/sessions/{booth['session']}/flyer.pdf")
            assert down.status_code == 200
            (tmp_path / "down").mkdir()
            assert share_of(page_image(down.content, tmp_path / "down"), TILE_COLOUR) < 0.001  # drawn

            tile_server.failing = False
            monkeypatch.setattr(module, "FAILURE_MEMORY_SECONDS", 0.0)
            back = await client.get(f"/sessions/{booth['session']}/flyer.pdf")
            (tmp_path / "back").mkdir()
            assert share_of(page_image(back.content, tmp_path / "back"), TILE_COLOUR) > 0.03  # the map, not the cache
