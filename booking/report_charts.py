"""Charts of the daily and monthly reports as inline SVG (no script, no library): grouped bar charts (vertical and
horizontal) and line charts with axis labels, values printed beside each bar or point, and <title>/<desc> so that
screen readers announce what the chart shows. The HTML preview inlines them; the PDF embeds them as images.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from booking.office_tickets import OfficeWaits
from booking.report_analysis import day_type_text, percent
from booking.reports import DailyReport, MonthlyReport
from core.i18n import gettext as _
from venues.facility_kinds import kind_label

COLOURS = ("#0031d8", "#c74700", "#1a7f37", "#6e3fb5")
"""Series colours, each at least 3:1 against white (WCAG 1.4.11); values are printed as well, so colour is never
the only carrier of a number."""
INK = "#1a1a1a"
REFERENCE = "#ce0000"
"""A threshold line (the counters' red waiting time), dashed and labelled, so that colour is not its only mark."""
GRID = "#c8c8c8"
FONT = "Noto Sans CJK JP, Hiragino Sans, Meiryo, sans-serif"
MAX_LABEL = 18
"""Category labels longer than this many characters are cut with an ellipsis (the tables give the full name)."""

Series = tuple[str, Sequence[float]]
Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Chart:
    """A chart ready to embed: its id, title, description and SVG markup."""

    id: str
    title: str
    description: str
    svg: str


def number(value: float) -> str:
    """12 / 3.5: whole numbers without decimals, others with one."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text_width(text: str, size: float) -> float:
    """A rough width of text in SVG units: wide (CJK) characters a full em, others about half."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.56 for c in text)


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _fit(text: str, size: float, room: float, *, short: bool = True) -> str:
    """``text`` cut with an ellipsis so that it is at most ``room`` wide at ``size`` (and, if ``short``, at most
    MAX_LABEL characters)."""
    text = _short(text) if short else text
    if _text_width(text, size) <= room:
        return text
    while text and _text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


TICK = 12
"""Font sizes in SVG units: axis ticks, values beside bars and points, category labels, axis titles and legend."""
VALUE = 12
LABEL = 13
AXIS = 13
LEGEND_ROW = 20


def _legend_rows(series: Sequence[Series], x: float, width: float) -> int:
    """How many rows the legend takes when it wraps before the right edge."""
    rows, left = 1, x
    for name, _values in series:
        item = 28 + _text_width(name, AXIS)
        if x + item > width - 8 and x > left:
            rows, x = rows + 1, left
        x += item
    return rows


def nice_scale(largest: float, ticks: int = 4) -> tuple[float, float]:
    """The axis maximum and step for values up to ``largest``: steps of 1, 2 or 5 × 10^k."""
    if largest <= 0:
        return 1.0, 1.0
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(largest / step), step


def _open(chart_id: str, title: str, description: str, width: float, height: float) -> list[str]:
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="report-chart" role="img" '
            f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-family="{FONT}" fill="{INK}">'
        ),
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width:g}" height="{height:g}" fill="#ffffff"/>',
    ]


def _legend(series: Sequence[Series], x: float, y: float, width: float = 640) -> list[str]:
    parts = []
    left = x
    for index, (name, _values) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        item = 28 + _text_width(name, AXIS)
        if x + item > width - 8 and x > left:  # wrap to the next row rather than run off the chart
            x, y = left, y + LEGEND_ROW
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="13" height="13" fill="{colour}"/>'
            f'<text x="{x + 17:.1f}" y="{y + 1:.1f}" font-size="{AXIS}">{escape(name)}</text>'
        )
        x += item
    return parts


def _empty(parts: list[str], width: float, height: float) -> str:
    no_data = _("No data")  # outside the f-string, where the message extractor finds it
    parts.append(
        f'<text x="{width / 2:g}" y="{height / 2:g}" font-size="14" text-anchor="middle">{escape(no_data)}</text></svg>'
    )
    return "".join(parts)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    x_label: str = "",
    width: float = 640,
    height: float = 300,
    fmt: Formatter = number,
    reference: tuple[str, float] | None = None,
) -> Chart:
    """Vertical grouped bars: one group per category, one bar per series, each value printed above its bar;
    ``reference`` (label, value) draws a dashed horizontal line at that value (a threshold), labelled."""
    legend_rows = _legend_rows(series, 64.0, width) if len(series) > 1 else 0
    height += LEGEND_ROW * max(0, legend_rows - 1)
    parts = _open(chart_id, title, description, width, height)
    values = [v for _name, vs in series for v in vs]
    if not categories or not values:
        return Chart(chart_id, title, description, _empty(parts, width, height))
    left, right, bottom = 64.0, 12.0, 56.0
    top = 38.0 + LEGEND_ROW * max(0, legend_rows - 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = nice_scale(max([*values, reference[1] if reference else 0.0]))

    def y(value: float) -> float:
        return top + plot_h - (value / top_value) * plot_h

    tick = 0.0
    while tick <= top_value + 1e-9:
        parts.append(
            f'<line x1="{left:g}" x2="{width - right:g}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6:g}" y="{y(tick) + 4:.1f}" font-size="{TICK}" text-anchor="end">'
            f"{escape(fmt(tick))}</text>"
        )
        tick += step
    group_w = plot_w / len(categories)
    bar_w = min(40.0, group_w * 0.8 / len(series))
    for c, category in enumerate(categories):
        x0 = left + c * group_w + (group_w - bar_w * len(series)) / 2
        for s, (name, vs) in enumerate(series):
            value = vs[c]
            x = x0 + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar_w - 2:.1f}" '
                f'height="{max(0.0, y(0) - y(value)):.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(f'{category} {name}: {fmt(value)}')}</title></rect>"
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y(value) - 4:.1f}" font-size="{VALUE}" '
                f'text-anchor="middle">{escape(fmt(value))}</text>'
            )
        # Labels are cut to their group's width, so that neighbours never overlap.
        parts.append(
            f'<text x="{left + (c + 0.5) * group_w:.1f}" y="{top + plot_h + 18:.1f}" font-size="{LABEL}" '
            f'text-anchor="middle">{escape(_fit(category, LABEL, group_w - 6))}</text>'
        )
    parts.append(f'<line x1="{left:g}" x2="{width - right:g}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>')
    if reference is not None:
        label, value = reference
        parts.append(
            f'<line class="reference" x1="{left:g}" x2="{width - right:g}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{REFERENCE}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{width - right - 4:g}" y="{y(value) - 5:.1f}" font-size="{VALUE}" text-anchor="end" '
            f'fill="{REFERENCE}">{escape(label)}</text>'
        )
    parts.append(
        f'<text transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" font-size="{AXIS}" '
        f'text-anchor="middle">{escape(_fit(y_label, AXIS, plot_h, short=False))}</text>'
    )
    if x_label:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 8:g}" font-size="{AXIS}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    if len(series) > 1:
        parts += _legend(series, left, 18, width)
    parts.append("</svg>")
    return Chart(chart_id, title, description, "".join(parts))


def hbar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    width: float = 640,
    fmt: Formatter = number,
) -> Chart:
    """Horizontal grouped bars, for long category names (venues, placements): values printed after each bar."""
    bar_h = 16.0
    row_h = bar_h * len(series) + 12
    legend_rows = _legend_rows(series, 12.0, width) if len(series) > 1 else 0
    top = 38.0 + LEGEND_ROW * max(0, legend_rows - 1) if len(series) > 1 else 12.0
    bottom = 44.0
    height = top + bottom + row_h * max(1, len(categories))
    parts = _open(chart_id, title, description, width, height)
    values = [v for _name, vs in series for v in vs]
    if not categories or not values:
        return Chart(chart_id, title, description, _empty(parts, width, height))
    room = 224.0  # at most this wide for a venue name; longer ones are cut (the tables give the full name)
    labels = [_fit(c, LABEL, room) for c in categories]
    left = 12 + max(_text_width(label, LABEL) for label in labels)
    right = 60.0
    plot_w = width - left - right
    top_value, step = nice_scale(max(values))

    def x(value: float) -> float:
        return left + (value / top_value) * plot_w

    tick = 0.0
    plot_bottom = top + row_h * len(categories)
    while tick <= top_value + 1e-9:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top:g}" y2="{plot_bottom:.1f}" '
            f'stroke="{GRID}"/><text x="{x(tick):.1f}" y="{plot_bottom + 16:.1f}" font-size="{TICK}" '
            f'text-anchor="middle">{escape(fmt(tick))}</text>'
        )
        tick += step
    for c, label in enumerate(labels):
        y0 = top + c * row_h + 6
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y0 + bar_h * len(series) / 2 + 4:.1f}" font-size="{LABEL}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for s, (name, vs) in enumerate(series):
            value = vs[c]
            y = y0 + s * bar_h
            parts.append(
                f'<rect x="{left:g}" y="{y:.1f}" width="{max(0.0, x(value) - left):.1f}" '
                f'height="{bar_h - 2:g}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(f'{categories[c]} {name}: {fmt(value)}')}</title></rect>"
                f'<text x="{x(value) + 4:.1f}" y="{y + bar_h - 4:.1f}" font-size="{VALUE}">'
                f"{escape(fmt(value))}</text>"
            )
    parts.append(f'<line x1="{left:g}" x2="{left:g}" y1="{top:g}" y2="{plot_bottom:.1f}" stroke="{INK}"/>')
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6:.1f}" font-size="{AXIS}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    if len(series) > 1:
        parts += _legend(series, 12.0, 18, width)
    parts.append("</svg>")
    return Chart(chart_id, title, description, "".join(parts))


def _spread(ys: list[float], gap: float) -> list[float]:
    """Label heights moved apart (upwards first) so that no two are closer than ``gap``; the order is kept."""
    order = sorted(range(len(ys)), key=lambda i: ys[i], reverse=True)  # lowest label first
    placed: dict[int, float] = {}
    last = None
    for i in order:
        y = ys[i] if last is None else min(ys[i], last - gap)
        placed[i] = last = y
    return [placed[i] for i in range(len(ys))]


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    x_label: str = "",
    width: float = 640,
    height: float = 300,
    fmt: Formatter = number,
) -> Chart:
    """Lines with a marked, labelled point per category (e.g. per day of a month)."""
    legend_rows = _legend_rows(series, 64.0, width) if len(series) > 1 else 0
    height += LEGEND_ROW * max(0, legend_rows - 1)
    parts = _open(chart_id, title, description, width, height)
    values = [v for _name, vs in series for v in vs]
    if not categories or not values:
        return Chart(chart_id, title, description, _empty(parts, width, height))
    left, right, bottom = 64.0, 16.0, 56.0
    top = 38.0 + LEGEND_ROW * max(0, legend_rows - 1) + (VALUE * (len(series) - 1) if len(series) > 1 else 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = nice_scale(max(values))

    def y(value: float) -> float:
        return top + plot_h - (value / top_value) * plot_h

    def x(index: int) -> float:
        return left + (index + 0.5) * plot_w / len(categories)

    tick = 0.0
    while tick <= top_value + 1e-9:
        parts.append(
            f'<line x1="{left:g}" x2="{width - right:g}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6:g}" y="{y(tick) + 4:.1f}" font-size="{TICK}" '
            f'text-anchor="end">{escape(fmt(tick))}</text>'
        )
        tick += step
    widest = max(_text_width(_short(c), LABEL) for c in categories) + 8
    label_every = max(1, math.ceil(widest / (plot_w / len(categories))))
    for i, category in enumerate(categories):
        if i % label_every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 18:.1f}" font-size="{LABEL}" '
                f'text-anchor="middle">{escape(_short(category))}</text>'
            )
    for s, (_name, vs) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
    # Values above their points; where series meet, the labels of one category are moved apart.
    label_y = [_spread([y(vs[i]) - 7 for _name, vs in series], VALUE + 1) for i in range(len(categories))]
    for s, (name, vs) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        for i, value in enumerate(vs):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(f'{categories[i]} {name}: {fmt(value)}')}</title></circle>"
                # A white halo under the value, drawn as its own text: WeasyPrint (the PDF) ignores paint-order and
                # would paint the halo over the figure, which then disappears from the printed report.
                f'<text x="{x(i):.1f}" y="{label_y[i][s]:.1f}" font-size="{VALUE}" text-anchor="middle" '
                f'fill="#ffffff" stroke="#ffffff" stroke-width="3" aria-hidden="true">{escape(fmt(value))}</text>'
                f'<text x="{x(i):.1f}" y="{label_y[i][s]:.1f}" font-size="{VALUE}" text-anchor="middle" '
                f'fill="{colour}">{escape(fmt(value))}</text>'
            )
    parts.append(f'<line x1="{left:g}" x2="{width - right:g}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>')
    parts.append(
        f'<text transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" font-size="{AXIS}" '
        f'text-anchor="middle">{escape(_fit(y_label, AXIS, plot_h, short=False))}</text>'
    )
    if x_label:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 8:g}" font-size="{AXIS}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    if len(series) > 1:
        parts += _legend(series, left, 18, width)
    parts.append("</svg>")
    return Chart(chart_id, title, description, "".join(parts))


# --- the reports' charts --------------------------------------------------------------------------------------------


def _hour_label(hour: int) -> str:
    return f"{hour}:00"


def _pct(value: float) -> str:
    return percent(value / 100)


def hours_chart(hours: Sequence[tuple[int, int]], chart_id: str = "chart-hours") -> Chart:
    """Applications per hour of the day."""
    return bar_chart(
        chart_id,
        _("Applications per hour"),
        _("Applications completed in each hour of the day, all booths together."),
        [_hour_label(h) for h, _n in hours],
        [(_("Applications"), [n for _h, n in hours])],
        y_label=_("Applications"),
        x_label=_("Hour of the day"),
    )


def wait_charts(waits: Sequence[OfficeWaits], *, monthly: bool) -> list[Chart]:
    """Per office with queue tickets: the median and 90th percentile wait per hour of the day (over every day of the
    month, monthly), and, monthly, per day."""
    charts = []
    for n, office in enumerate(waits, start=1):
        hours = [(hour, row) for hour, row in office.hours if row.called]
        charts.append(
            bar_chart(
                f"chart-waits-{n}",
                _("Waiting time per hour at {office}").format(office=office.office_name),
                _(
                    "Median and 90th percentile minutes from taking a queue ticket to being called, by the hour the "
                    "ticket was taken; the red threshold is {red} minutes."
                ).format(red=office.red_minutes),
                [_hour_label(hour) for hour, _row in hours],
                [
                    (_("Median"), [row.median_minutes or 0.0 for _hour, row in hours]),
                    (_("90th percentile"), [row.p90_minutes or 0.0 for _hour, row in hours]),
                ],
                y_label=_("Minutes"),
                x_label=_("Hour the ticket was taken"),
                reference=(_("Red threshold {red} min").format(red=office.red_minutes), office.red_minutes),
            )
        )
        if monthly:
            days = [(day, row) for day, row in office.days if row.called]
            charts.append(
                line_chart(
                    f"chart-wait-days-{n}",
                    _("Waiting time per day at {office}").format(office=office.office_name),
                    _("Median and 90th percentile minutes from taking a queue ticket to being called, per day."),
                    [f"{day.month}/{day.day}" for day, _row in days],
                    [
                        (_("Median"), [row.median_minutes or 0.0 for _day, row in days]),
                        (_("90th percentile"), [row.p90_minutes or 0.0 for _day, row in days]),
                    ],
                    y_label=_("Minutes"),
                    x_label=_("Date"),
                )
            )
    return charts


def daily_charts(report: DailyReport) -> list[Chart]:
    """The daily report's charts: bookings against walk-ins, applications per hour, actual against forecast."""
    names = [row.venue_name for row in report.booths]
    return [
        hbar_chart(
            "chart-visitors",
            _("Bookings against walk-ins"),
            _("People booked and people who came without booking, per booth."),
            names,
            [
                (_("Booked people"), [r.figures.people for r in report.booths]),
                (_("Walk-in people"), [r.figures.walk_in_people for r in report.booths]),
            ],
            x_label=_("People"),
        ),
        hours_chart(report.hours),
        hbar_chart(
            "chart-forecast",
            _("Applications against the forecast"),
            _("Applications completed and the plan's expected applicants, per booth."),
            names,
            [
                (_("Applications"), [r.figures.applications for r in report.booths]),
                (_("Forecast"), [r.figures.forecast for r in report.booths]),
            ],
            x_label=_("Applications"),
        ),
        *wait_charts(report.waits, monthly=False),
    ]


def monthly_charts(report: MonthlyReport) -> list[Chart]:
    """The monthly report's charts: per day, per hour, per venue, per kind, no-show rate, per placement, this month
    against the last, and the in-office counts against the counter statistics of the same month of an earlier year
    (when they are configured)."""
    days = [row for row in report.days if row.figures.booths]
    venues = report.by_venue
    kinds = report.by_kind
    placements = [row for row in report.by_placement if row.bookings or not row.is_direct]
    now, before = report.totals, report.previous_totals
    charts = [
        line_chart(
            "chart-days",
            _("Bookings against walk-ins by day"),
            _("Booked people, walk-in people and applications on each booth day of the month."),
            [f"{row.date.month}/{row.date.day}" for row in days],
            [
                (_("Booked people"), [row.figures.people for row in days]),
                (_("Walk-in people"), [row.figures.walk_in_people for row in days]),
                (_("Applications"), [row.figures.applications for row in days]),
            ],
            y_label=_("People"),
            x_label=_("Date"),
        ),
        hours_chart(report.hours),
        hbar_chart(
            "chart-venues",
            _("Applications per venue against the forecast"),
            _("Applications completed and the plan's expected applicants, per venue."),
            [g.label for g in venues],
            [
                (_("Applications"), [g.figures.applications for g in venues]),
                (_("Forecast"), [g.figures.forecast for g in venues]),
            ],
            x_label=_("Applications"),
        ),
        bar_chart(
            "chart-kinds",
            _("Applications per hour by venue kind and day type"),
            _("Applications per opening hour of the booths with results, by venue kind and by day type."),
            [kind_label(g.key) for g in kinds] + [day_type_text(g.key) for g in report.by_day_type],
            [
                (
                    _("Applications per hour"),
                    [round(g.figures.applications_per_hour or 0, 1) for g in (*kinds, *report.by_day_type)],
                )
            ],
            y_label=_("Applications per hour"),
        ),
        hbar_chart(
            "chart-no-shows",
            _("No-show rate per venue"),
            _("Share of the bookings whose party did not come, per venue."),
            [g.label for g in venues],
            [(_("No-show rate"), [round((g.figures.no_show_rate or 0) * 100, 1) for g in venues])],
            x_label=_("No-show rate (%)"),
            fmt=_pct,
        ),
        hbar_chart(
            "chart-placements",
            _("Bookings per publicity placement"),
            _("Bookings of this month's booths by the placement their QR code or link came from."),
            [row.name or row.code or _("Direct (no placement code)") for row in placements],
            [
                (_("Bookings"), [row.bookings for row in placements]),
                (_("Checked in"), [row.checked_in for row in placements]),
            ],
            x_label=_("Bookings"),
        ),
        bar_chart(
            "chart-previous",
            _("This month against the previous month"),
            _("Booths, bookings, walk-in parties and applications in the previous month and in this month."),
            [_("Booths"), _("Bookings"), _("Walk-in parties"), _("Applications")],
            [
                (_("Previous month"), [before.booths, before.bookings, before.walk_ins, before.applications]),
                (_("This month"), [now.booths, now.bookings, now.walk_ins, now.applications]),
            ],
            y_label=_("Count"),
        ),
    ]
    stat = report.counter_stat
    if stat is not None:
        office = report.office
        charts.append(
            bar_chart(
                "chart-office",
                _("In-office counts against the same month of {year}").format(year=stat.year),
                _(
                    "This month's counts at the city's counters beside the counter statistics "
                    "of the same month of {year}."
                ).format(year=stat.year),
                [_("Cards handed over"), _("Certificates issued or renewed"), _("Applications"), _("Phone calls")],
                [
                    (
                        _("Same month of {year}").format(year=stat.year),
                        [stat.card_issued, stat.certificates, stat.applications, stat.phone_calls],
                    ),
                    (
                        _("This month"),
                        [office.card_handovers, office.certificates, office.applications, office.phone_calls],
                    ),
                ],
                y_label=_("Count"),
            )
        )
    return charts + wait_charts(report.waits, monthly=True)
