#!/usr/bin/env bash
# Run the test suite twice with the machine's clock set by libfaketime to 23:30 and to 00:30 in Japan (14:30 and
# 15:30 UTC), so that a test or a piece of code that takes "today" from the machine's UTC date instead of Japan's
# (core.clock) fails here rather than on a fresh clone in the evening (issue 17). The clock runs on from there, and
# child processes (the `outreach` commands, Chromium) continue the same fake time. Not part of CI: it is two runs of
# the suite. TEST_HOURS_DATE picks the day (default: today, UTC); arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1 || true)
if [ -z "$lib" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing libfaketime (for the tests at other hours)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libfaketime >/dev/null
    lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 | head -n 1)
  else
    echo "The tests at other hours need libfaketime. Install it with: sudo apt-get install libfaketime" >&2
    exit 1
  fi
fi
day=${TEST_HOURS_DATE:-$(date -u +%F)}
status=0
for utc in 14:30:00 15:30:00; do
  echo "== tests at $day $utc UTC ($(TZ=Asia/Tokyo date -d "$day $utc UTC" '+%F %H:%M') in Japan) =="
  LD_PRELOAD="$lib" FAKETIME="@$day $utc" FAKETIME_NO_CACHE=1 FAKETIME_DONT_RESET=1 \
    timeout 3600 "$python" -m pytest -p no:cacheprovider "$@" || status=1
done
exit $status
