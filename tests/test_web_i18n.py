"""The Mandarin catalogue: every string the console marks for translation is
translated, and the committed compiled .mo matches the .po."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parent.parent / "web"
CATALOGUE = WEB / "translations" / "zh" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def marked_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), METHODS, keywords={"_": None, "gettext": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_string_has_a_mandarin_translation():
    with open(CATALOGUE / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    marked = marked_strings()
    assert len(marked) > 100
    missing = sorted(m for m in marked if not (compiled.get(m) and compiled.get(m).string))
    assert missing == [], "run: cd web && pybabel extract/update/compile (see docs/console.md)"


def test_the_compiled_catalogue_matches_the_source():
    with open(CATALOGUE / "messages.po", "rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id}
    with open(CATALOGUE / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == {k: v for k, v in source.items() if v}
