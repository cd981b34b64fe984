"""The page translations (Flask-Babel catalogs in webui/translations): every string the
pages show is translated into Russian, the committed .mo files match the .po files, and
the pages come out in Russian by default. scripts/update-translations.sh refreshes them."""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from engine.policy import ROLES
from webui import create_app
from webui.web import labels

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webui" / "translations"
LANGS = ("ru", "en")
# printf-style directives as Python's % operator sees them (%(name)s, %s, %d, %% ...)
DIRECTIVE = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def load_po(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def text(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def compiled_view(catalog: Catalog) -> dict[object, object]:
    """What `pybabel compile` puts in the .mo (babel.messages.mofile.write_mo): translated,
    non-fuzzy messages; an empty plural form falls back to the msgid's singular / plural."""
    out: dict[object, object] = {}
    for m in entries(catalog):
        if not m.string or m.fuzzy:
            continue
        if isinstance(m.id, tuple | list):
            out[tuple(m.id)] = tuple(s or m.id[min(i, 1)] for i, s in enumerate(m.string))
        else:
            out[m.id] = m.string
    return out


def test_every_russian_message_is_translated_and_none_is_fuzzy() -> None:
    catalog = load_po("ru")
    assert len(entries(catalog)) > 100
    untranslated = [m.id for m in entries(catalog) if not all(s.strip() for s in text(m.string))]
    fuzzy = [m.id for m in entries(catalog) if m.fuzzy]
    assert not untranslated, f"no Russian for: {untranslated}"
    assert not fuzzy, f"fuzzy (check the translation, then drop the flag): {fuzzy}"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_mo_matches_po(lang: str) -> None:
    po = load_po(lang)
    with (po_path(lang).with_suffix(".mo")).open("rb") as fh:
        mo = read_mo(fh)
    in_mo = {tuple(m.id) if isinstance(m.id, list) else m.id:
             tuple(m.string) if isinstance(m.string, list) else m.string for m in entries(mo)}
    assert in_mo == compiled_view(po), (
        f"webui/translations/{lang}/LC_MESSAGES/messages.mo is stale: run scripts/update-translations.sh")


def test_every_extracted_message_is_in_the_russian_catalog(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    run = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    with pot.open("rb") as fh:
        extracted = {m.id: m for m in entries(read_po(fh))}
    # sanity: the extractor saw templates (with placeholders) and the lazy labels
    assert "Sign in" in extracted and "%(n)s d." in extracted and "Excess transportation" in extracted
    known = {m.id for m in entries(load_po("ru"))}
    missing = sorted(str(k) for k in extracted if k not in known)
    assert not missing, f"not in the ru catalog (run scripts/update-translations.sh and translate): {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_in_translations_match_the_source(lang: str) -> None:
    wrong = []
    for m in entries(load_po(lang)):
        # a plural's forms each carry the msgid's placeholders once (%(num)d in "1 day" and "5 days")
        forms = text(m.id)
        source = (Counter(DIRECTIVE.findall(forms[-1])) if len(forms) > 1
                  else Counter(d for s in forms for d in DIRECTIVE.findall(s)))
        for s in text(m.string):
            if s and Counter(DIRECTIVE.findall(s)) != source:
                wrong.append((m.id, s))
    assert not wrong, f"placeholders differ from the msgid: {wrong}"


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'tr.db'}", "SECRET_KEY": "x", "TESTING": True})
    yield app
    app.extensions["leanschool"].dispose()


def test_login_page_is_russian_by_default(fresh_app: Flask) -> None:
    r = fresh_app.test_client().get("/login")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert '<html lang="ru">' in page
    assert "Войти" in page and "Пароль" in page and "Электронная почта" in page
    assert "Бережливая школа" in page
    assert "Sign in" not in page and "Password" not in page


def test_login_page_in_english_when_chosen(fresh_app: Flask) -> None:
    client = fresh_app.test_client()
    with client.session_transaction() as sess:
        sess["locale"] = "en"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page and "Password" in page
    assert "Войти" not in page


def test_every_role_has_a_label():
    assert tuple(labels.ROLE) == ROLES  # engine/policy.py names the roles, the pages label them


def test_every_project_event_has_a_label_and_every_label_a_kind():
    """The card's history names every kind of project event (engine.vocab.EventKind); a
    label for a kind that no longer exists is dead text."""
    from engine.vocab import PROJECT_EVENTS, EventKind
    assert set(labels.EVENT) == {k.value for k in PROJECT_EVENTS}
    assert PROJECT_EVENTS <= set(EventKind)
