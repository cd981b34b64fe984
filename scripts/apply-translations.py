"""Fill the Russian catalog from a TRANSLATIONS.tsv a branch brings (then run
scripts/update-translations.sh again so the .mo matches).

    .venv/bin/python scripts/apply-translations.py TRANSLATIONS.tsv [more.tsv ...]

Each line: msgid<TAB>ru, or for plural forms msgid<TAB>msgid_plural<TAB>one<TAB>few<TAB>many.
Only empty or fuzzy msgstrs are filled; a msgid the catalog does not have is reported.
"""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "webui/translations/ru/LC_MESSAGES/messages.po"


def main(paths: list[str]) -> int:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="ru")
    missing = 0
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            msg = catalog.get(cols[0])
            if msg is None:
                print(f"not in the catalog: {cols[0]!r}")
                missing += 1
                continue
            empty = not msg.string or (isinstance(msg.string, tuple) and not all(msg.string))
            if empty or msg.fuzzy:
                msg.string = cols[1] if len(cols) == 2 else tuple(cols[2:5])
                msg.flags.discard("fuzzy")
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
