"""What a waiting caller hears and chooses: music on hold, position and wait
announcements, the overflow choices (callback, voicemail) and what happens
when the caller takes one. A part of ActionRunner (callcenter.live.acd_actions),
kept apart from ringing and connecting agents."""
from __future__ import annotations

import gevent

from acd import actions as act
from acd.core import AcdCore

CONFIRM_WAIT = 2.0  # seconds a callback's confirmation waits for its request to be written


class WaitingCallerActions:
    """Mixed into ActionRunner: uses its calls, switch, announcer, calllog,
    recordings and its _quietly / _later helpers."""

    def _on_PlayMusicOnHold(self, action: act.PlayMusicOnHold) -> None:
        gevent.spawn(self._music, action.call_id)

    def _on_Announce(self, action: act.Announce) -> None:
        language = self._language(action.call_id)
        gevent.spawn(self._quietly, self.announcer.position, action.call_id, language,
                     action.position, action.estimated_wait)
        self.calllog.event(action.call_id, "announced", {"position": action.position,
                                                         "estimated_wait": action.estimated_wait})

    def _on_OfferChoices(self, action: act.OfferChoices) -> None:
        state = self.calls.get(action.call_id)
        if state is not None:
            state.choices = action.options
        gevent.spawn(self._quietly, self.announcer.choices, action.call_id,
                     self._language(action.call_id), action.options)

    def _on_Overflow(self, action: act.Overflow) -> None:
        self.calllog.event(action.call_id, "overflow", {"from": action.from_queue,
                                                       "to": action.queue or action.destination})
        if action.destination == "queue":
            self._later(self.switch.set_variable, action.call_id, "cc_queue", action.queue)
            self.calllog.update(action.call_id, queue_name=action.queue)
        elif action.destination == "callback":
            self._let_go_for_callback(action.call_id)
        elif action.destination == "voicemail":
            gevent.spawn(self._voicemail, action.call_id)

    def on_dtmf(self, core: AcdCore, uuid: str, digit: str, now: float) -> list:
        state = self.calls.get(uuid)
        if state is None or not state.choices or state.leg is not None:
            return []
        choice = {"1": "callback", "2": "voicemail"}.get(digit)
        if choice not in state.choices:
            return []
        state.choices = ()
        if choice == "callback":
            actions = core.callback_requested(uuid, now, state.request.caller)
            self._let_go_for_callback(uuid)
            return actions
        actions = core.call_removed(uuid, now, "chose voicemail")
        gevent.spawn(self._voicemail, uuid)
        return actions

    def _let_go_for_callback(self, call_id: str) -> None:
        state = self.calls.get(call_id)
        if state is None:
            return
        state.callback = True
        self.calllog.callback_request(call_id, state.request)
        gevent.spawn(self._confirm_callback, call_id)

    def _confirm_callback(self, call_id: str) -> None:
        """The caller hears the callback confirmed once the request is written (the call
        log writes behind); a database that does not answer at once delays it at most
        CONFIRM_WAIT seconds (the request stays queued and is written when it is back)."""
        gevent.with_timeout(CONFIRM_WAIT, self.calllog.flush, timeout_value=False)
        self._quietly(self.announcer.callback_confirmed, call_id, self._language(call_id))

    def _voicemail(self, call_id: str) -> None:
        state = self.calls.pop(call_id, None)
        path = self.recordings.path_for(call_id, "voicemail")
        self.recordings.started(call_id, path, kind="voicemail")
        result = self._quietly(self.announcer.voicemail, call_id,
                               self._language(call_id) if state else "zh", path)
        self.recordings.finished(path, result if isinstance(result, int) else None)

    def _language(self, call_id: str) -> str:
        state = self.calls.get(call_id)
        variables = state.request.context.get("variables", {}) if state else {}
        return str(variables.get("language") or "zh")

    def _music(self, call_id: str) -> None:
        self._quietly(self.announcer.music, call_id)  # (cc_state=queued: set by remember)

