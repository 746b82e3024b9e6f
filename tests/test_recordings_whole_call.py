"""Whole-call recording for sensitive flows, at the wire level (the engine against
the switch simulator over real sockets): a password-services call is recorded
from the IVR onward; a secret keyed during such a recording is masked (silence
in the file, paused / resumed in the call's events); an ordinary call is not
recorded whole (record_whole_call: "no" is no)."""
from __future__ import annotations

import array
import wave
from pathlib import Path

import gevent
import pytest
from sqlalchemy import select

from callcenter.esl.call_control import SwitchCallControl
from callcenter.esl.events import ChannelParked
from callcenter.ivr.control import PromptAudio
from callcenter.live.inbound import is_yes
from callcenter.models import Call, Recording
from callcenter.sim import Simulator
from engine_fixtures import hotline  # noqa: F401  (fixture)
from esl_fixtures import EslClient, wait_until

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "sim-secret"
TO_PASSWORD_SERVICES = "wait:0.5 press:1 wait:1 press:5"  # Mandarin, then 5: password services
TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"


def _recordings(hotline, uuid):
    with hotline.services.sessions() as db:
        return db.scalars(select(Recording).join(Call).where(Call.uuid == uuid)
                          .order_by(Recording.id)).all()


def _wav_seconds(path: str) -> float:
    with wave.open(path) as reader:
        return reader.getnframes() / reader.getframerate()


@pytest.mark.parametrize("value, expected", [("yes", True), ("no", False), ("", False),
                                             (None, False), ("YES", True), (True, True)])
def test_record_whole_call_means_yes_only_when_it_says_yes(value, expected):
    assert is_yes(value) is expected


def test_a_password_services_call_is_recorded_from_the_ivr_onward(hotline):  # noqa: F811
    hotline.agent_ready("agent02")  # billing 3 or more: the password queue's skill
    uuid = hotline.sim.place_call("13800000001", "10000", TO_PASSWORD_SERVICES + " wait:40 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent02", 30, "never reached the agent")
    hotline.wait(lambda: hotline.event(uuid, "recording_started"), 5, "no whole-call recording")
    gevent.sleep(1.0)
    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: any(r.kind == "whole_call" and r.sha256 for r in _recordings(hotline, uuid)),
                 10, "the whole-call recording was never closed and hashed")
    whole = next(r for r in _recordings(hotline, uuid) if r.kind == "whole_call")
    with hotline.services.sessions() as db:
        call = db.scalar(select(Call).where(Call.uuid == uuid))
        answered, queued, ended = call.agent_answered_at, call.queued_at, call.ended_at
    # started in the IVR, before the caller queued and long before the agent answered
    assert whole.started_at <= queued < answered
    # the simulator's media run on its own clock (speed x real time); the call's times
    # are the switch's event times: bring the file's length back to those
    seconds = _wav_seconds(whole.path) / hotline.sim.clock.speed
    assert seconds > (answered - whole.started_at).total_seconds()  # covers the IVR and queue
    assert seconds == pytest.approx((ended - whole.started_at).total_seconds(), abs=0.5)
    assert whole.duration_ms == pytest.approx(_wav_seconds(whole.path) * 1000, abs=50)


def test_an_ordinary_call_is_not_recorded_whole(hotline):  # noqa: F811
    hotline.agent_ready("agent08")
    uuid = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:40 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent08", 30, "never reached the agent")
    hotline.wait(lambda: _recordings(hotline, uuid), 10, "the agent's recording never started")
    assert hotline.event(uuid, "recording_started") is None
    assert [r.kind for r in _recordings(hotline, uuid)] == ["call"]


@pytest.fixture
def sim():
    simulator = Simulator(password=PASSWORD, speed=10, fast_media=True,
                          dialplan_dir=str(ROOT / "dialplans"))
    simulator.start()
    yield simulator
    simulator.close()


@pytest.fixture
def esl(sim):
    client = EslClient(sim.port, PASSWORD)
    client.connection.start()
    assert client.connection.wait_connected(5)
    yield client
    client.connection.stop()


def test_a_secret_keyed_during_a_whole_call_recording_is_masked(sim, esl, tmp_path):
    uuid = sim.place_call("13800000001", "10000", "wait:60")
    assert wait_until(lambda: esl.seen(ChannelParked, uuid=uuid))
    esl.switch.cancel_scheduled(uuid)
    masks = []
    control = SwitchCallControl(esl.switch, uuid, on_masked=masks.append)
    path = str(tmp_path / "whole.wav")
    control.record_whole_call(path)
    gevent.sleep(0.3)  # 3 s of the call before the password
    gevent.spawn_later(0.3, sim.press, uuid, "123456#")
    prompt = PromptAudio("enter_password", "en", "Enter your password", "ivr/password.wav")
    result = control.collect(prompt, min_digits=6, max_digits=6, tries=1, timeout=5,
                             terminators="#", pattern=r"^\d{6}$", invalid_prompt=None, secret=True)
    assert result.digits == "123456" and masks == [True, False]
    gevent.sleep(0.3)  # 3 s more after it
    sim.hangup_call(uuid)
    assert wait_until(lambda: Path(path).exists(), 5)

    with wave.open(path) as reader:
        rate, frames = reader.getframerate(), reader.readframes(reader.getnframes())
    left = array.array("h", frames)[0::2]
    seconds = [max(abs(s) for s in left[i:i + rate]) for i in range(0, len(left) - rate + 1, rate)]
    silent = [n for n, peak in enumerate(seconds) if peak == 0]
    assert silent, "no silent second: the secret was not masked"
    assert seconds[0] > 0 and seconds[-1] > 0  # heard before and after the secret
    assert silent == list(range(silent[0], silent[-1] + 1))  # one masked span


@pytest.fixture
def remote_hotline(sessions, db_engine, write_config, tmp_path, monkeypatch):
    """A hotline whose switch sees the shared recordings folder under another path
    (here a symlink stands in for the other host's mount of the same share)."""
    import engine_fixtures
    switch_view = tmp_path / "switch-host" / "recordings"
    switch_view.parent.mkdir()
    (tmp_path / "recordings").mkdir()
    switch_view.symlink_to(tmp_path / "recordings")
    original = engine_fixtures.write_engine_config

    def with_switch_directory(*args, **kwargs):
        path = original(*args, **kwargs)
        text = path.read_text().replace(
            "recordings:\n", f"recordings:\n  switch_directory: {switch_view}\n", 1)
        path.write_text(text)
        return path

    monkeypatch.setattr(engine_fixtures, "write_engine_config", with_switch_directory)
    line = engine_fixtures.start_hotline(sessions, db_engine, write_config, tmp_path, monkeypatch)
    yield line, switch_view
    engine_fixtures.stop_hotline(line)


def test_a_switch_on_another_host_writes_to_the_share_and_the_engine_reads_it(remote_hotline):
    from callcenter.qa import housekeeping
    from callcenter.qa.storage import RecordingPaths
    hotline, switch_view = remote_hotline
    hotline.agent_ready("agent08")
    uuid = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:8 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent08", 30, "never reached the agent")
    hotline.wait(lambda: any(r.sha256 for r in _recordings(hotline, uuid)), 20,
                 "the recording was never measured")
    (recording,) = _recordings(hotline, uuid)
    assert recording.path.startswith(str(switch_view) + "/")  # what the switch was told
    config = hotline.services.config
    paths = RecordingPaths.from_config(config)
    local = paths.local(recording.path)
    assert str(local).startswith(config.recordings.directory) and local.is_file()
    with hotline.services.sessions() as db:
        report = housekeeping.verify(db, paths)
    assert report.ok and report.checked == 1
