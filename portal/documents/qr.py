"""QR codes as PNG, inline SVG or a data: URI (error correction M: readable with a quarter of the code damaged)."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def _code(text: str, *, box_size: int = 10, border: int = 4) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """The text as a black-on-white QR code PNG; ``box_size`` pixels per module, ``border`` modules of quiet zone."""
    image = _code(text, box_size=box_size, border=border).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=512)
def qr_svg(text: str) -> str:
    """The text as an SVG QR code (white background, one black path, 1 mm per module) to put inline in HTML.
    Remembered for the last 512 texts: drawing one takes 3-10 ms of pure Python, and a resident's booking page,
    which shows its code's, is opened again and again."""
    image = _code(text).make_image(image_factory=SvgPathFillImage)
    return image.to_string(encoding="unicode")


def qr_data_uri(text: str) -> str:
    """The PNG QR code as a ``data:image/png;base64,...`` URI for an <img> element."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")
