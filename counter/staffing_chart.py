"""The staffing chart of a counter day as inline SVG (see booking.report_charts): windows needed in each hour beside
the contract's windows, with the numbers printed on the bars and a <title>/<desc> for screen readers."""

from __future__ import annotations

from booking.report_charts import Chart, bar_chart
from core.i18n import gettext as _
from counter.staffing import StaffingPlan


def staffing_chart(plan: StaffingPlan, chart_id: str = "chart-staffing") -> Chart:
    """Windows needed per hour (all services) against the contract's windows."""
    needed = plan.totals
    short = len(plan.short_periods)
    description = _(
        "Windows needed in each hour to keep the expected wait under {target} minutes, beside the contract's "
        "{contract} windows. Most needed: {peak}; hours that need more than the contract: {short}."
    ).format(target=f"{plan.target_minutes:g}", contract=plan.contract_windows, peak=plan.peak, short=short)
    chart: Chart = bar_chart(
        chart_id,
        _("Windows needed per hour"),
        description,
        [p.start.strftime("%H:%M") for p in plan.periods],
        [
            (_("Windows needed"), [float(n) for n in needed]),
            (_("Contract windows"), [float(plan.contract_windows)] * len(plan.periods)),
        ],
        y_label=_("Windows"),
        x_label=_("Hour of the day"),
    )
    return chart
