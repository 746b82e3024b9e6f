"""Outbound recordings (issue 13), at the wire level: a campaign call taken by an
agent is recorded like a queue call, its row linked to the outbound call; an
agentless campaign's calls are recorded from the answer when the campaign says
`record: yes`, and not otherwise."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from callcenter.dialer.campaign_file import CampaignFileError, load_campaign_text
from callcenter.models import Call, CampaignKind, Recording
from dialer_fixtures import Row, outbound_at  # noqa: F401  (fixture)
from test_dialer_live_agents import MONDAY_MORNING, SETTINGS, agent_campaign, customer_on

CAMPAIGN = """name: reminders
kind: collections
pacing: agentless
flow: collections
caller_id: "95598"
calling_windows: {mon: ["09:00-20:00"]}
max_lines: 2
"""


@pytest.mark.parametrize("line, expected", [("", False), ("record: yes\n", True),
                                            ('record: "no"\n', False), ("record: true\n", True)])
def test_a_campaign_file_says_whether_its_agentless_calls_are_recorded(line, expected):
    assert load_campaign_text(CAMPAIGN + line).record is expected


def test_a_bad_record_value_names_its_line():
    with pytest.raises(CampaignFileError) as error:
        load_campaign_text(CAMPAIGN + "record: sometimes\n", file="reminders.yaml")
    assert "reminders.yaml:8:" in str(error.value) and "'record' must be yes or no" in str(error.value)


def _recordings(out, uuid):
    out.engine.calllog.flush()
    with out.sessions() as session:
        return session.execute(select(Recording, Call).join(Call).where(Call.uuid == uuid)).all()


def test_a_campaign_call_taken_by_an_agent_is_recorded(outbound_at):  # noqa: F811
    out = outbound_at(MONDAY_MORNING)
    out.line.agent_ready("agent11")
    out.customers.add("8613700000001", "answers", after=2, then="wait:200 hangup")
    out.start(agent_campaign(out, [Row("8613700000001", "Customer 1", amount_cents=5000)]))
    out.line.wait(lambda: customer_on(out, "agent11"), 20, "no campaign call reached agent11")
    customer = customer_on(out, "agent11")
    out.line.wait(lambda: out.line.state_of("agent11") == "on_call", 5, "agent11 not on the call")
    out.line.wait(lambda: _recordings(out, customer.uuid), 10, "no recording row")
    out.line.sim.hangup_call(customer.uuid)
    out.line.wait(lambda: all(r.sha256 for r, _ in _recordings(out, customer.uuid)), 15,
                  "the recording was never measured")
    ((recording, call),) = _recordings(out, customer.uuid)
    assert call.direction.value == "outbound" and call.campaign_contact_id is not None
    assert recording.kind == "call" and recording.duration_ms > 0


def _agentless(out, name, record):
    return out.campaign(name, [Row("8613900000001" if record else "8613900000002", "Customer",
                                   amount_cents=12_345, due_date=date(2026, 11, 1))],
                        kind=CampaignKind.COLLECTIONS, flow="collections", max_lines=2,
                        settings={**SETTINGS, "record": record})


@pytest.mark.parametrize("record", [True, False])
def test_an_agentless_call_is_recorded_when_the_campaign_says_so(outbound_at, record):  # noqa: F811
    out = outbound_at(MONDAY_MORNING)
    phone = "8613900000001" if record else "8613900000002"
    out.customers.add(phone, "answers", after=1, then="")
    campaign = _agentless(out, "recorded" if record else "not recorded", record)
    out.start(campaign)
    out.line.wait(lambda: out.customers.dials_to(phone), 20, "never dialled")
    out.line.wait(lambda: all(c.status.value in ("done", "failed", "exhausted")
                              for c in out.contacts(campaign)), 60, "the call never settled")
    uuid = out.customers.dials_to(phone)[0].uuid
    if record:
        out.line.wait(lambda: any(r.sha256 for r, _ in _recordings(out, uuid)), 15,
                      "the campaign call's recording was never measured")
    rows = _recordings(out, uuid)
    assert [r.kind for r, _ in rows] == (["outbound"] if record else [])
    if record:
        (recording, call), = rows
        assert call.direction.value == "outbound" and recording.duration_ms > 1000
