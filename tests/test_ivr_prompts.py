"""Prompt rendering with the real espeak-ng and sox, and which file a prompt plays."""
from __future__ import annotations

import json
import shutil

import pytest

from callcenter.cli import main
from callcenter.ivr.flow import build_flow
from callcenter.ivr.prompts import PromptLibrary, render_prompts, wav_format
from ivr_fixtures import FLOWS

needs_tts = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                               reason="espeak-ng and sox are needed to render prompts "
                                      "(Debian: apt-get install espeak-ng sox)")


def tiny_flow(hello_en="Hello", hello_zh="您好"):
    return build_flow({"flow": "tiny", "version": 1, "languages": ["zh", "en"], "entry": "bye",
                       "prompts": {"hello": {"zh": hello_zh, "en": hello_en},
                                   "bye": {"zh": "再见", "en": "Goodbye"}},
                       "nodes": {"bye": {"kind": "hangup", "prompt": "bye"}}})


@needs_tts
def test_prompts_render_to_8khz_mono_16bit_and_only_changes_render_again(tmp_path):
    report = render_prompts([tiny_flow()], tmp_path)
    assert sorted(report.rendered) == ["en/bye", "en/hello", "zh/bye", "zh/hello"]
    for name in report.rendered:
        path = tmp_path / f"{name}.wav"
        assert wav_format(path) == (8000, 1, 2)
        assert path.stat().st_size > 2000  # real speech, not an empty file
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == set(report.rendered)

    again = render_prompts([tiny_flow(hello_en="Hello there")], tmp_path)
    assert again.rendered == ["en/hello"]
    assert sorted(again.unchanged) == ["en/bye", "zh/bye", "zh/hello"]


@needs_tts
def test_a_recorded_prompt_wins_over_the_rendered_one(tmp_path):
    recorded = tmp_path / "recorded" / "en" / "hello.wav"
    recorded.parent.mkdir(parents=True)
    shutil.copy(FLOWS.parent / "tests" / "ivr_fixtures.py", recorded)  # any file stands for a studio take
    report = render_prompts([tiny_flow()], tmp_path)
    assert report.recorded == ["en/hello"] and "en/hello" not in report.rendered
    library = PromptLibrary(tmp_path)
    flow = tiny_flow()
    assert library.resolve(flow, "hello", "en").path == str(recorded)
    resolved = library.resolve(flow, "hello", "zh")
    assert resolved.path == str(tmp_path / "zh" / "hello.wav") and resolved.text == "您好"


def test_conflicting_texts_for_one_prompt_id_are_reported(tmp_path):
    other = build_flow({"flow": "other", "version": 1, "languages": ["zh", "en"], "entry": "bye",
                        "prompts": {"bye": {"zh": "再见", "en": "Bye bye"}},
                        "nodes": {"bye": {"kind": "hangup", "prompt": "bye"}}})
    recorded = tmp_path / "recorded"
    for language in ("zh", "en"):  # all recorded: nothing to render, only the check runs
        for prompt in ("hello", "bye"):
            (recorded / language).mkdir(parents=True, exist_ok=True)
            (recorded / language / f"{prompt}.wav").write_bytes(b"")
    report = render_prompts([tiny_flow(), other], tmp_path)
    assert report.conflicts == ["prompt 'bye' (en) has different texts in flows 'tiny' and 'other'"]


@needs_tts
def test_ivr_prompts_command(write_config, tmp_path, capsys):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "survey.yaml").write_text((FLOWS / "survey.yaml").read_text())
    config = write_config(f"""\
switch: {{kind: simulator, password: simulator-only-password}}
ivr: {{flows_directory: {flows}, prompts_directory: {tmp_path / 'prompts'}}}
""")
    assert main(["--config", str(config), "ivr", "prompts"]) == 0
    assert "8 rendered, 0 unchanged" in capsys.readouterr().out
    assert wav_format(tmp_path / "prompts" / "zh" / "survey_thanks.wav") == (8000, 1, 2)
    assert main(["--config", str(config), "ivr", "prompts"]) == 0
    assert "0 rendered, 8 unchanged" in capsys.readouterr().out
