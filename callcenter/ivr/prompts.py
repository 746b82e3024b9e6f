"""Prompt audio: where a prompt's file is, and rendering texts to speech.

Layout of the prompts directory::

    <prompts_dir>/<lang>/<prompt_id>.wav            rendered by espeak-ng (8 kHz mono 16-bit)
    <prompts_dir>/recorded/<lang>/<prompt_id>.wav   a professional recording: always wins
    <prompts_dir>/manifest.json                     text hash per rendered prompt

``render_prompts`` renders only prompts whose text changed since the last
run (or whose file is missing), so a new flow speaks on day one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from callcenter.ivr.control import PromptAudio
from callcenter.ivr.flow import Flow

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn", "en": "en"}
SAMPLE_RATE = 8000
RENDER_TIMEOUT = 60
MANIFEST = "manifest.json"


class PromptRenderError(RuntimeError):
    pass


class PromptLibrary:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path(self, language: str, prompt_id: str) -> Path:
        recorded = self.directory / "recorded" / language / f"{prompt_id}.wav"
        return recorded if recorded.exists() else self.directory / language / f"{prompt_id}.wav"

    def resolve(self, flow: Flow, prompt_id: str, language: str) -> PromptAudio:
        text = flow.prompts.get(prompt_id, {}).get(language, "")
        return PromptAudio(prompt_id, language, text, str(self.path(language, prompt_id)))


@dataclass
class RenderReport:
    rendered: list[str] = field(default_factory=list)  # "<lang>/<id>"
    unchanged: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # same id, different texts in two flows


def text_hash(language: str, text: str) -> str:
    return hashlib.sha256(f"{VOICES.get(language, language)}\n{text}".encode()).hexdigest()


def collect_texts(flows: Iterable[Flow], report: RenderReport) -> dict[tuple[str, str], str]:
    """(language, prompt id) -> text over all flows; a prompt id means one text everywhere."""
    texts: dict[tuple[str, str], tuple[str, str]] = {}
    for flow in flows:
        for prompt_id, by_language in flow.prompts.items():
            for language, text in by_language.items():
                key = (language, prompt_id)
                if key in texts and texts[key][0] != text:
                    report.conflicts.append(f"prompt '{prompt_id}' ({language}) has different "
                                            f"texts in flows '{texts[key][1]}' and '{flow.id}'")
                    continue
                texts.setdefault(key, (text, flow.id))
    return {key: text for key, (text, _) in texts.items()}


def render_prompts(flows: Iterable[Flow], directory: str | Path, force: bool = False) -> RenderReport:
    directory, report = Path(directory), RenderReport()
    texts = collect_texts(flows, report)
    manifest_path = directory / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    try:
        for (language, prompt_id), text in sorted(texts.items()):
            name = f"{language}/{prompt_id}"
            if (directory / "recorded" / language / f"{prompt_id}.wav").exists() or \
                    manifest.get(name, {}).get("source") == "recorded":
                report.recorded.append(name)
                continue
            target, digest = directory / language / f"{prompt_id}.wav", text_hash(language, text)
            if not force and target.exists() and manifest.get(name, {}).get("sha256") == digest:
                report.unchanged.append(name)
                continue
            render_one(text, language, target)
            manifest[name] = {"sha256": digest, "source": "rendered"}
            report.rendered.append(name)
    finally:
        directory.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False))
    return report


def render_one(text: str, language: str, target: Path) -> None:
    """Text -> 8 kHz mono 16-bit WAV with espeak-ng (+ sox to resample)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptRenderError(f"'{tool}' is not installed; it is needed to render prompts "
                                    "(Debian: apt-get install espeak-ng sox)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        raw = Path(work) / "raw.wav"
        # the text goes in on stdin, never on the command line
        _run(["espeak-ng", "-v", VOICES.get(language, language), "-w", str(raw), "--stdin"],
             text, f"rendering {target.name}")
        converted = Path(work) / "out.wav"
        _run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(converted)],
             None, f"resampling {target.name}")
        shutil.move(str(converted), target)


def _run(command: list[str], stdin: str | None, what: str) -> None:
    try:
        subprocess.run(command, input=(stdin or "").encode(), capture_output=True, check=True,
                       timeout=RENDER_TIMEOUT)
    except subprocess.CalledProcessError as exc:
        raise PromptRenderError(f"{what}: {command[0]} failed: "
                                f"{exc.stderr.decode(errors='replace').strip()}") from None
    except subprocess.TimeoutExpired:
        raise PromptRenderError(f"{what}: {command[0]} took over {RENDER_TIMEOUT} s") from None


def wav_format(path: str | Path) -> tuple[int, int, int]:
    """(sample rate, channels, bytes per sample) of a WAV file."""
    with wave.open(str(path), "rb") as reader:
        return reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
