"""`callcenter qa validate`: the shipped forms pass; a bad file is named with line and column."""
from __future__ import annotations

from pathlib import Path

from callcenter.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_scorecards_validate(write_config, capsys):
    config = write_config(f"switch:\n  password: x\nqa:\n  scorecards_directory: {ROOT / 'scorecards'}\n")
    assert main(["--config", str(config), "qa", "validate"]) == 0
    assert "ok: form 'hotline' version 1, 8 items, 2 critical" in capsys.readouterr().out


def test_a_bad_scorecard_fails_with_its_place(write_config, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scorecard: x\nversion: 1\ntitle: X\nsections:\n  - id: s\n    title: S\n"
                   "    items:\n      - id: a\n        text: A\n        weight: ten\n")
    config = write_config("switch:\n  password: x\n")
    assert main(["--config", str(config), "qa", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:10:9: 'weight' of item 'a' must be a whole number from 0 to 1000 (got 'ten')" in out
    assert "1 file(s) checked, 1 problem(s)" in out
