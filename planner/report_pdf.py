"""The 実施計画書 as a printable A4 PDF (WeasyPrint): cover summary, session table, monthly summary, map, parameters."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

from core.printing import print_pdf, template_environment
from planner import report
from planner.model import PlanResult
from planner.plan_map import plan_map_png

TEMPLATE_DIR = Path(__file__).parent / "templates"


def plan_report_html(
    result: PlanResult, *, background: Iterable[tuple[float, float]] = (), title: str = "実施計画書"
) -> str:
    """The 実施計画書 as the HTML document the PDF is printed from."""
    months, total = report.monthly_summary(result)
    png = plan_map_png(result, background=background, title=f"{title}　実施会場の地図")
    return (
        template_environment(TEMPLATE_DIR)
        .get_template("plan_report.html")
        .render(
            title=title,
            summary=report.summary(result),
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


def write_plan_pdf(
    result: PlanResult, *, background: Iterable[tuple[float, float]] = (), title: str = "実施計画書"
) -> bytes:
    """The 実施計画書 as A4 PDF bytes."""
    html = plan_report_html(result, background=background, title=title)
    return print_pdf(html, TEMPLATE_DIR)
