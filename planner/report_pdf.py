"""The 実施計画書 as a printable A4 PDF (WeasyPrint): a cover the city files (addressee, contractor, title, period,
version and its review, the summary), the session table, the monthly summary, the coverage map and the conditions."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.printing import print_pdf, template_environment
from planner import report
from planner.document import (
    HISTORY_HEADERS,
    PlanDocument,
    cover_items,
    history_rows,
    japanese_date,
    plan_document,
)
from planner.model import PlanResult
from planner.plan_map import plan_map_png

TEMPLATE_DIR = Path(__file__).parent / "templates"


def plan_report_html(
    result: PlanResult,
    *,
    background: Iterable[Sequence[object]] = (),
    title: str = "",
    document: PlanDocument | None = None,
) -> str:
    """The 実施計画書 as the HTML document the PDF is printed from. ``background``: the demand points, as (lat, lon)
    or (lat, lon, town name); ``title`` (optional) replaces the document's title line."""
    document = document or plan_document()
    p = result.parameters
    heading = title or document.heading(p.start, p.end)
    points = report.town_points(background)
    months, total = report.monthly_summary(result)
    summary = report.summary(result, points)
    png = plan_map_png(result, background=points, title=f"{heading}　実施会場と届く範囲")
    return (
        template_environment(TEMPLATE_DIR)
        .get_template("plan_report.html")
        .render(
            title=heading,
            document=document,
            subtitle=document.subtitle(p.start, p.end),
            issued=document_date(document),
            summary=summary,
            cover=cover_items(document, summary),
            history_headers=HISTORY_HEADERS,
            history=list(zip(document.history, history_rows(document), strict=True)),
            rows=report.session_rows(result),
            monthly_headers=report.MONTHLY_HEADERS,
            months=months,
            total=total,
            map_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            parameters=report.parameter_items(result),
            results=report.result_items(result),
            shortages=report.shortage_lines(result),
            notes=report.note_lines(result),
        )
    )


def document_date(document: PlanDocument) -> str:
    """The date the document was made, 和暦 with the Western date."""
    return japanese_date(document.issued)


def write_plan_pdf(
    result: PlanResult,
    *,
    background: Iterable[Sequence[object]] = (),
    title: str = "",
    document: PlanDocument | None = None,
) -> bytes:
    """The 実施計画書 as A4 PDF bytes."""
    html = plan_report_html(result, background=background, title=title, document=document)
    return print_pdf(html, TEMPLATE_DIR)
