"""Long jobs run in their own process (the solver), so a web worker never blocks and any worker can report
progress from the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.settings import get_settings


def spawn_solve(version_id: int) -> None:
    """Start ``outreach plans solve VERSION`` in the background; it records its progress in the version row."""
    logs = get_settings().var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "outreach"), "plans", "solve", str(version_id)]
    with (logs / f"solve-{version_id}.log").open("ab") as log:
        subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ),
            start_new_session=True,
        )
