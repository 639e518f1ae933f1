#!/usr/bin/env bash
# The browser tests drive Debian's Chromium, PDFs need a Japanese font, the shared rate limits need
# redis-server. Install them when missing
# (as root, with apt-get), or say exactly what to install.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The shared rate limits of several workers are tested against a private Redis server.
command -v redis-server >/dev/null || missing+=(redis-server)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
# WeasyPrint subsets fonts with HarfBuzz: without it one A4 page with CJK fonts takes ~11 s instead of ~0.25 s.
ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset" || missing+=(libharfbuzz-subset0)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (for the tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need these Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
