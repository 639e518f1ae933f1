"""Issue 18's target: `outreach demo` builds the whole demo city in under 60 s on this machine.

Runs the installed command twice on a temporary SQLite database (the first run builds the story, the second keeps it
and only issues new passwords) and prints the wall-clock and CPU seconds of each, with the load average beside them
(the machine is shared: a busy machine reads slower).

    .venv/bin/python bench/demo/bench_demo.py [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUTREACH = str(Path(sys.executable).parent / "outreach")


def run(var_dir: str, date: str | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one `outreach demo`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    args = [OUTREACH, "demo", *(["--date", date] if date else [])]
    env = {**os.environ, "OUTREACH_VAR_DIR": var_dir, "OUTREACH_LANG": "en"}
    env.pop("DATABASE_URL", None)
    subprocess.run(args, check=True, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - start, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--date", help="build the story as of this day (default today in Japan)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        for label in ("first run (the whole story)", "second run (kept, new passwords)"):
            wall, cpu = run(var_dir, options.date)
            load = os.getloadavg()[0]
            print(f"{label:34} {wall:6.1f} s wall  {cpu:6.1f} s CPU  load {load:.1f}  target < 60 s")


if __name__ == "__main__":
    main()
