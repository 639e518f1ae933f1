"""The report charts' words: an empty chart says so in the reader's language."""

from __future__ import annotations

from booking.report_charts import bar_chart
from core.i18n import using_locale


def test_an_empty_chart_says_no_data_in_japanese():
    with using_locale("ja"):
        chart = bar_chart("c", "来場者", "説明", [], [], y_label="人")
    assert "データがありません" in chart.svg and "No data" not in chart.svg
