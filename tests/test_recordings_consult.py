"""Consultation legs are recorded (issue 13), at the wire level: while agent08
consults agent10, their talk is recorded on agent10's leg in a file of its own
(kind 'consult', linked to the call) that ends with the consultation, whether it
is completed or cancelled; the caller's own recording goes on as before."""
from __future__ import annotations

import wave

import gevent
import pytest
from sqlalchemy import select

from callcenter.models import Call, Recording
from engine_fixtures import hotline  # noqa: F401  (fixture)
from test_engine_consult import _connect, _consulting
from web.ports import TransferTarget


def _rows(hotline, uuid):
    hotline.engine.calllog.flush()
    with hotline.services.sessions() as db:
        return db.scalars(select(Recording).join(Call).where(Call.uuid == uuid)
                          .order_by(Recording.id)).all()


def _consult_row(hotline, uuid):
    return next((r for r in _rows(hotline, uuid) if r.kind == "consult" and r.sha256), None)


def _seconds(path):
    with wave.open(path) as reader:
        return reader.getnframes() / reader.getframerate()


@pytest.mark.parametrize("completed", [True, False])
def test_the_consultation_is_recorded_in_a_file_of_its_own(hotline, completed):  # noqa: F811
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    b_leg = _consulting(hotline, first, uuid, helper)
    hotline.wait(lambda: hotline.event(uuid, "recording_started"), 5, "the consultation is not recorded")
    gevent.sleep(1.0)
    if completed:
        hotline.engine.live.transfer(first.id, uuid, TransferTarget(agent_id=helper.id), "over to you")
        hotline.wait(lambda: hotline.bridged_to(uuid) == b_leg, 10, "the caller never reached agent10")
    else:
        hotline.engine.live.hangup(first.id, uuid)
        hotline.wait(lambda: hotline.bridged_to(uuid) == a_leg, 10, "the caller is not back with agent08")
    hotline.wait(lambda: _consult_row(hotline, uuid), 10, "the consultation's file was never closed")
    gevent.sleep(1.0)  # the call goes on after the consultation: not in its file
    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: [r.kind for r in _rows(hotline, uuid) if r.sha256] == ["call", "consult"],
                 15, "the call's own recording was never closed")

    consult = _consult_row(hotline, uuid)
    started = hotline.event(uuid, "recording_started")
    assert started["consult"] and started["to_agent"] == "agent10" and started["path"] == consult.path
    assert b_leg[:8] in consult.path
    ended_kind = "consult_completed" if completed else "consult_cancelled"
    talk = (hotline.event_time(uuid, ended_kind) - hotline.event_time(uuid, "consult_answered"))
    speed = hotline.sim.clock.speed  # the simulator's media run at its speed
    assert _seconds(consult.path) / speed == pytest.approx(talk.total_seconds(), abs=0.5)
    call_file = next(r for r in _rows(hotline, uuid) if r.kind == "call")
    assert _seconds(call_file.path) > _seconds(consult.path) + speed  # the call went on
