"""Printed documents (実施計画書, 報告書, 削除報告書): the Jinja2 environment of a template folder and the A4
PDF it prints to with WeasyPrint, in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape


def number(value: object) -> object:
    """Thousands separators for whole numbers; anything else as it is."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


@lru_cache(maxsize=8)
def template_environment(template_dir: Path) -> Environment:
    """The templates of a folder, autoescaped, with the ``number`` filter (one environment per folder)."""
    environment = Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = number
    return environment


def print_pdf(html: str, template_dir: Path) -> bytes:
    """The HTML document as PDF bytes; relative addresses (stylesheets, images) resolve in ``template_dir``."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(template_dir)).write_pdf()
    return pdf
