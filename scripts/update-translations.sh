#!/usr/bin/env bash
# Refresh the page translations (Flask-Babel catalogs in webui/translations).
#
#   scripts/update-translations.sh          # from the repository root or anywhere
#   PYBABEL=/path/to/pybabel scripts/update-translations.sh
#
# 1. extracts every _() / gettext / _l() / lazy_gettext string from webui/**.py and
#    webui/templates/**.html (babel.cfg) into webui/translations/messages.pot;
# 2. merges it into the ru and en catalogs (new strings arrive with an empty msgstr;
#    changed ones may arrive "#, fuzzy" with a guess);
# 3. compiles the .mo files, which are committed: the app runs from a clean clone.
#
# Then translate in webui/translations/ru/LC_MESSAGES/messages.po: fill every empty
# msgstr, check and remove each "#, fuzzy" flag, keep every %(name)s placeholder, and
# run this script again so the .mo matches. The en catalog stays empty on purpose
# (English falls back to the msgid). tests/web/test_translations.py fails while any
# string is untranslated, fuzzy or not compiled.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
DIR=webui/translations
POT="$DIR/messages.pot"

"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
    --project "Lean School" --version 0.1.0 --copyright-holder "Lean School" \
    -o "$POT" .
for lang in ru en; do
    if [ -f "$DIR/$lang/LC_MESSAGES/messages.po" ]; then
        "$PYBABEL" update -i "$POT" -d "$DIR" -l "$lang" --ignore-obsolete
    else
        "$PYBABEL" init -i "$POT" -d "$DIR" -l "$lang"
    fi
done
"$PYBABEL" compile -d "$DIR" --statistics
