#!/usr/bin/env bash
# Extract every translatable message into core/locale/messages.pot and merge it into every language's catalog
# (run by `make messages`): ja, en, ja_easy (やさしい日本語), zh_Hans, ko and vi (core.i18n.CATALOG_DIRS).
# Translate the new empty msgstr entries: tests/core/test_i18n.py fails while a Japanese translation is missing, or
# while a message residents read (tests/core/test_i18n.py RESIDENT_SOURCES) is missing in any language.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" -q extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
  --project outreach --ignore-dirs=".* _* .venv node_modules tests var data static bench scripts" \
  -o core/locale/messages.pot . >/dev/null
for lang in ja en ja_easy zh_Hans ko vi; do
  po=core/locale/$lang/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    "$PYBABEL" -q update -i core/locale/messages.pot -D messages -d core/locale -l "$lang" --no-fuzzy-matching \
      --ignore-obsolete >/dev/null
  else
    "$PYBABEL" -q init -i core/locale/messages.pot -D messages -d core/locale -l "$lang" >/dev/null
  fi
done
echo "catalogs updated: $(grep -c '^msgid' core/locale/messages.pot) messages"
