#!/usr/bin/env bash
# Extract every translatable message into core/locale/messages.pot and merge it into the ja and en catalogs
# (run by `make messages`). Translate the new empty msgstr entries in core/locale/ja/LC_MESSAGES/messages.po;
# tests/core/test_i18n.py fails while a Japanese translation is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" -q extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
  --project outreach --ignore-dirs=".* _* .venv node_modules tests var data static bench scripts" \
  -o core/locale/messages.pot . >/dev/null
for lang in ja en; do
  po=core/locale/$lang/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    "$PYBABEL" -q update -i core/locale/messages.pot -D messages -d core/locale -l "$lang" --no-fuzzy-matching \
      --ignore-obsolete >/dev/null
  else
    "$PYBABEL" -q init -i core/locale/messages.pot -D messages -d core/locale -l "$lang" >/dev/null
  fi
done
echo "catalogs updated: $(grep -c '^msgid' core/locale/messages.pot) messages"
