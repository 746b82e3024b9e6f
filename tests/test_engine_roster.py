"""Agent, extension, skill and SIP password changes reach the running engine
within seconds, at the wire level (engine against the simulator, real database):
a change made through the console's own rules (web.staff), with the console's
poke (same process) or without it (another process, found by the periodic reload),
and the SIP directory FreeSWITCH reads rewritten and reloaded."""
from __future__ import annotations

import pytest

from callcenter import seed
from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.engine import Engine, build_services
from callcenter.live.roster import RELOAD_SECONDS
from callcenter.models import Agent
from callcenter.sim import Simulator
from callcenter.sip_credentials import ha1
from engine_fixtures import (OPEN_HOURS, PASSWORD, ROOT, Hotline, _cheap_hash, stop_hotline,
                             write_engine_config)
from web import staff
from web.ports import IllegalTransition

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0 wait:60 hangup"  # Mandarin, 0: the general queue
# the periodic reload, with room for a slow machine: never a bare sleep, a condition waited on
WITHIN = RELOAD_SECONDS * 3


@pytest.fixture
def line(sessions, db_engine, write_config, tmp_path, monkeypatch):
    """The hotline with the engine keeping a SIP directory (switch.sip_directory)."""
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    seed.seed_demo(sessions, customers=10)
    sim = Simulator(PASSWORD, port=0, speed=4.0, fast_media=True, dialplan_dir=str(ROOT / "dialplans"))
    port = sim.start()
    path = write_engine_config(write_config, tmp_path, db_engine, port, PASSWORD)
    path.write_text(path.read_text().replace("switch:\n", f"switch:\n  sip_directory: {tmp_path / 'users'}\n", 1))
    services = build_services(load_config(path, environ={}))
    hotline = Hotline(services, sim, lambda: Engine(services, ivr_clock=lambda: OPEN_HOURS))
    hotline.engine.start()
    yield hotline
    stop_hotline(hotline)


def change(hotline: Hotline, login: str, form: dict, poke: bool = True) -> str | None:
    """What the admin console does: the change in one transaction, then (same process) the poke."""
    with transaction(hotline.services.sessions) as db:
        agent = db.query(Agent).filter_by(login=login).one()
        current = staff.agent_dict(agent)
        _, shown_once = staff.update_agent(db, agent, {**current, **form})
    if poke:
        hotline.services.extras["agents_changed"]()
    return shown_once


def connect(hotline: Hotline, login: str) -> str:
    hotline.agent_ready(login)
    uuid = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT)
    hotline.wait(lambda: hotline.agent_on(uuid) == login, 20, f"the caller never reached {login}")
    hotline.wait(lambda: hotline.state_of(login) == "on_call", 5, f"{login} is not on the call")
    return uuid


def test_a_supervisor_given_an_extension_listens_in_without_an_engine_restart(line):
    lead, agent = line.agent("lead1"), line.agent("agent08")
    uuid = connect(line, "agent08")
    with pytest.raises(IllegalTransition, match="no SIP extension"):
        line.engine.live.eavesdrop(lead.id, agent.id, "listen")

    change(line, "lead1", {"sip_extension": "1900", "generate_sip_password": True})
    line.wait(lambda: (line.engine.agents.by_id(lead.id) or lead).extension == "1900", 1,
              "the console's poke did not reload the roster")
    line.sim.register_phone("1900", "answer:1")
    line.engine.live.eavesdrop(lead.id, agent.id, "listen")

    line.wait(lambda: any(c.eavesdrop_mode == "listen" and not c.gone for c in line.sim.channels()), 10,
              "the supervisor's phone is not listening in")
    assert not line.sim.channel(uuid).gone


def test_new_skill_levels_made_in_another_process_reach_the_acd_within_seconds(line):
    line.agent_ready("agent10")  # general 5 only
    assert dict(line.engine.shell.core.agent("agent10").skills) == {"general": 5}

    change(line, "agent10", {"skills": {"billing": 8, "general": 0}}, poke=False)

    line.wait(lambda: dict(line.engine.shell.core.agent("agent10").skills) == {"billing": 8}, WITHIN,
              "the ACD still routes by the old skills")
    assert line.state_of("agent10") == "ready"  # a new level does not disturb the agent


def test_a_deactivated_agent_is_offered_no_more_calls(line):
    line.agent_ready("agent10")

    change(line, "agent10", {"active": False})

    line.wait(lambda: line.state_of("agent10") == "logged_out", 5, "a deactivated agent is still ready")


def test_a_renumbered_phone_gets_its_calls_and_freeswitch_its_new_directory(line, tmp_path):
    users = tmp_path / "users"
    line.wait(lambda: line.engine.roster.directory.reloads == 1, 5, "the engine did not reload at its start")
    assert (users / "1008.xml").exists()
    reloads = 1

    secret = change(line, "agent08", {"sip_extension": "1088", "generate_sip_password": True})

    line.wait(lambda: (users / "1088.xml").exists() and not (users / "1008.xml").exists(), WITHIN,
              "the SIP directory still has the old extension")
    line.wait(lambda: line.engine.roster.directory.reloads == reloads + 1, 5, "no reloadxml after the change")
    assert f'value="{ha1("1088", secret)}"' in (users / "1088.xml").read_text()
    uuid = connect(line, "agent08")  # the phone registered on 1088 (agent_ready) is rung there
    assert line.sim.channel(line.bridged_to(uuid)).variables.get("cc_agent") == "agent08"


def test_a_rotated_password_is_in_the_directory_within_seconds_without_the_poke(line, tmp_path):
    line.wait(lambda: (tmp_path / "users" / "1001.xml").exists(), 5, "no SIP directory")
    with transaction(line.services.sessions) as db:
        secret = staff.rotate_sip_password(db, db.query(Agent).filter_by(login="agent01").one())

    wanted = f'value="{ha1("1001", secret)}"'
    line.wait(lambda: wanted in (tmp_path / "users" / "1001.xml").read_text(), WITHIN,
              "the rotated password did not reach the directory")
