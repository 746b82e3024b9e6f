"""What a waiting caller hears: music on hold, position and wait, choices,
confirmations. Prompts come from the hotline flow's prompt texts (ivr_flows/),
so they are rendered and translated like every other prompt."""
from __future__ import annotations

import math

from callcenter.esl import Switch
from callcenter.esl.call_control import MUSIC_ON_HOLD
from callcenter.ivr import FlowRegistry, PromptLibrary

PROMPT_FLOW = "main"


class Announcer:
    def __init__(self, switch: Switch, flows: FlowRegistry, prompts: PromptLibrary) -> None:
        self.switch, self.flows, self.prompts = switch, flows, prompts

    def _path(self, prompt_id: str, language: str) -> str:
        flow = self.flows.flow(PROMPT_FLOW)
        if flow is not None and prompt_id in flow.prompts:
            return self.prompts.resolve(flow, prompt_id, language).path
        return str(self.prompts.path(language, prompt_id))

    def music(self, uuid: str) -> None:
        self.switch.broadcast(uuid, MUSIC_ON_HOLD)

    def _say_then_music(self, uuid: str, steps: list[tuple[str, str, str]]) -> None:
        self.switch.break_media(uuid, True)
        for kind, value, language in steps:
            if kind == "prompt":
                self.switch.playback(uuid, self._path(value, language))
            else:
                self.switch.say(uuid, value, language=language, kind="number")
        self.switch.broadcast(uuid, MUSIC_ON_HOLD)

    def position(self, uuid: str, language: str, position: int | None,
                 estimated_wait: float | None) -> None:
        steps: list[tuple[str, str, str]] = []
        if position is not None:
            steps += [("prompt", "queue_position_is", language), ("number", str(position), language),
                      ("prompt", "queue_position_end", language)]
        if estimated_wait is not None:
            minutes = max(1, math.ceil(estimated_wait / 60))
            steps += [("prompt", "queue_wait_is", language), ("number", str(minutes), language),
                      ("prompt", "queue_minutes", language)]
        self._say_then_music(uuid, steps)

    def choices(self, uuid: str, language: str, options: tuple[str, ...]) -> None:
        prompt = {("callback",): "queue_offer_callback", ("voicemail",): "queue_offer_voicemail"}.get(
            tuple(options), "queue_offer_callback_voicemail")
        self._say_then_music(uuid, [("prompt", prompt, language)])

    def callback_confirmed(self, uuid: str, language: str) -> None:
        self.switch.break_media(uuid, True)
        self.switch.playback(uuid, self._path("queue_callback_confirmed", language))
        self.switch.hangup(uuid, "NORMAL_CLEARING")

    def voicemail(self, uuid: str, language: str, path: str) -> int | None:
        self.switch.break_media(uuid, True)
        self.switch.playback(uuid, self._path("queue_voicemail", language))
        done = self.switch.record(uuid, path, max_seconds=120, silence_seconds=5)
        self.switch.playback(uuid, self._path("queue_voicemail_thanks", language))
        self.switch.hangup(uuid, "NORMAL_CLEARING")
        milliseconds = done.variable("record_ms") or ""
        return int(milliseconds) if milliseconds.isdigit() else None
