"""The Content-Disposition of a download (RFC 6266): the real, possibly Japanese, file name as ``filename*`` and an
ASCII ``filename`` for clients that do not read it."""

from __future__ import annotations

import re
from urllib.parse import quote

ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits: what filename* may hold unencoded


def content_disposition(file_name: str, ascii_fallback: str, *, inline: bool = False) -> str:
    """``attachment; filename="plan-FY2027-v2-approved.pdf"; filename*=UTF-8''%E5%AE%9F...`` (inline: shown in
    the browser, saved under the same name)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_fallback) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe=ATTR_CHARS)}"
