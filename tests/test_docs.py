"""The README documents every setting and every command (a new one without documentation fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from cli.main import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_environment_variable_is_documented():
    sources = "".join(p.read_text() for p in [*ROOT.glob("core/*.py")])
    variables = set(re.findall(r'os\.environ(?:\.get)?[\[(]"([A-Z_]+)"', sources))
    assert {"DATABASE_URL", "SECRET_KEY", "BASE_URL", "SMTP_URL", "REDIS_URL"} <= variables
    assert [name for name in sorted(variables) if f"`{name}`" not in README] == []


def commands(group: click.Group, prefix: str = "outreach") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_command_is_documented():
    listed = commands(main)
    assert "outreach venues import" in listed and "outreach demo" in listed
    assert [command for command in listed if f"`{command}" not in README] == []


def test_the_two_commands_are_in_the_readme_and_ci_runs_the_test_command():
    assert "make demo" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test-postgres" in ci
    assert "make lint" in ci  # ruff and mypy: CI fails on a lint, format or type error
