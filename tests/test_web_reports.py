"""The reports desk and the wallboard through the Flask client: the synthetic day's
figures on the page, drill-down, CSV and XLSX holding the same figures, roles,
bad input named; the wallboard's alerts on a pinned clock."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from callcenter.config import load_config
from callcenter.models import AuditLog, Role
from callcenter.reports import dayfile
from test_reports_synthetic_day import DAY_FILE
from web.ports import AgentStatus, FloorSnapshot, QueueLive
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import QUEUES, FakeLive, add_agent, login, now

DAY = "from=2026-11-16&to=2026-11-16&queue=billing"
NINE = "2026-11-16T01:00:00+00:00"  # 09:00 in Shanghai


@pytest.fixture
def the_day(db_engine):
    calls, changes = dayfile.read(DAY_FILE)
    with db_engine.begin() as connection:
        dayfile.store(connection, calls, changes)


def test_a_lead_reads_the_day_drills_into_nine_oclock_and_exports_it(client, sessions, the_day):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    assert 'id="sl-chart"' in page and page.count('class="bar-link"') > 20
    row = page.split('data-start="09:00"')[1].split("</tr>")[0]
    assert ">8</a>" in row and "42.9%" in row and "18.2 s" in row and "156.0 s" in row
    late = client.get(f"/reports/calls?{DAY}&start={NINE.replace('+', '%2B')}"
                      "&figure=no_answer_in_time").get_data(as_text=True)
    assert [c for c in ("A4", "A6", "A8") if f'data-call="{c}"' in late] == ["A4", "A6", "A8"]
    assert 'data-call="A1"' not in late
    reply = client.get(f"/reports/export.csv?{DAY}")
    assert reply.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
    nine = next(r for r in rows if r[0] == "2026-11-16 09:00")
    assert (nine[1], nine[2], nine[3], nine[10], nine[15], nine[16]) == \
        ("Bill inquiry", "8", "5", "42.9", "18.2", "156.0")
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{DAY}").data))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert [str(v) for v in sheet[0]] == rows[0]
    assert [as_number(v) for v in next(r for r in sheet if r[0] == nine[0])] == \
        [as_number(v) for v in nine]
    assert sheet[-1][0] == "Period total" and sheet[-1][2] == sum(int(r[2]) for r in rows[1:-1])
    with sessions() as db:
        assert [a.action for a in db.scalars(select(AuditLog).where(
            AuditLog.action.like("report_%")))] == ["report_drill_down", "report_export",
                                                    "report_export"]


def as_number(value):
    """A cell as both files hold it: CSV text, XLSX numbers (40 there is 40.0 here)."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        return value


def test_agents_cannot_read_reports_and_bad_input_is_named(client, sessions):
    add_agent(sessions, "agent01")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "agent01")
    assert client.get("/reports/").status_code == 403
    assert client.get("/wallboard/").status_code == 403
    client.post("/logout")
    login(client, "lead1")
    reply = client.get("/reports/?from=16.11.2026")
    assert reply.status_code == 400 and "from: give a day as YYYY-MM-DD" in reply.get_data(as_text=True)
    reply = client.get("/reports/?from=2026-11-16&to=2026-11-01")
    assert reply.status_code == 400 and "the last day is before the first" in reply.get_data(as_text=True)
    assert client.get("/reports/?queue=nope").status_code == 400
    assert client.get("/reports/calls?from=2026-11-16&figure=nope").status_code == 400
    assert client.get("/reports/export.pdf").status_code == 404


class ClockedLive(FakeLive):
    """The live port with callers waiting since a known time and a clock the test sets."""

    def __init__(self) -> None:
        super().__init__()
        self.at = now()
        self.waiting_since: dict[str, list] = {}

    def floor(self):
        queues = tuple(QueueLive(name, len(times), max((self.at - t).total_seconds() for t in times))
                       for name, times in self.waiting_since.items())
        return FloorSnapshot(self.at, queues, tuple(self.status.values()), tuple(self.calls.values()))


@pytest.fixture
def fake_live():
    return ClockedLive()


def test_the_wallboard_alerts_when_the_pinned_clock_passes_the_wait_limit(client, sessions,
                                                                          fake_live):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    billing = add_agent(sessions, "agent01", skills={"billing": 5})
    fake_live.status[billing] = AgentStatus(billing, "on_call", None, fake_live.at)
    fake_live.waiting_since["billing"] = [fake_live.at]
    login(client, "lead1")
    fake_live.at += timedelta(seconds=50)  # the limit is 60 s (reports.longest_wait_alert_seconds)
    page = client.get("/wallboard/").get_data(as_text=True)
    assert 'data-kind="longest_wait"' not in page and "No alerts." in page
    fake_live.at += timedelta(seconds=25)
    page = client.get("/wallboard/").get_data(as_text=True)
    assert 'data-kind="longest_wait" data-subject="billing"' in page
    assert "Bill inquiry: a caller has waited 75 s (limit 60 s)" in page
    assert 'data-kind="no_agent" data-subject="billing"' not in page  # agent01 could take it


def test_the_wallboard_names_a_queue_with_callers_and_nobody_to_take_them(client, sessions,
                                                                         fake_live):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    general = add_agent(sessions, "agent02", skills={"general": 5})
    slacker = add_agent(sessions, "agent03", skills={"general": 5}, name="Zhao Lei")
    fake_live.status[general] = AgentStatus(general, "ready", None, fake_live.at)
    fake_live.status[slacker] = AgentStatus(slacker, "not_ready", "break",
                                            fake_live.at - timedelta(minutes=20))
    fake_live.waiting_since["complaints"] = [fake_live.at - timedelta(seconds=5)]
    login(client, "lead1")
    page = client.get("/wallboard/").get_data(as_text=True)
    assert 'data-kind="no_agent" data-subject="complaints"' in page
    assert 'data-kind="not_ready" data-subject="Zhao Lei"' in page
    assert 'data-kind="longest_wait"' not in page


def test_the_reports_and_the_wallboard_speak_mandarin(client, sessions, the_day):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    with client.session_transaction() as session:
        session["language"] = "zh"
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    assert "服务指标" in page and "各时段服务水平" in page and "久叫不应" in page
    export = client.get(f"/reports/export.csv?{DAY}").get_data(as_text=True)
    assert export.splitlines()[0].lstrip("\ufeff").startswith("时段,队列,")
    assert "合计" in export
    assert "没有告警。" in client.get("/wallboard/").get_data(as_text=True)


def test_an_agents_state_spans_behind_the_agents_table(client, sessions, the_day):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    assert "/reports/agent/hand01?" in page
    spans = client.get("/reports/agent/hand01?from=2026-11-16&to=2026-11-16").get_data(as_text=True)
    rows = re.findall(r'<tr data-state="([a-z_]+)"><td>([^<]+)</td><td>([^<]+)</td>', spans)
    assert rows[:3] == [("ready", "11-16 08:55:00", "09:00:04"), ("ringing", "11-16 09:00:04", "09:00:05"),
                        ("on_call", "11-16 09:00:05", "09:02:05")]
    assert ("not_ready", "11-16 09:10:00", "09:40:00") in rows and "lunch" in spans
    assert client.get("/reports/agent/nobody?from=2026-11-16").status_code == 404


def test_a_report_per_day_adds_up_the_intervals_and_drills_into_the_day(client, sessions,
                                                                       the_day):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    rows = list(csv.reader(io.StringIO(client.get(
        f"/reports/export.csv?{DAY}&interval=day").get_data(as_text=True).lstrip("\ufeff"))))
    day, total = rows[1], rows[-1]
    assert len(rows) == 3 and day[0] == "2026-11-16" and day[2:] == total[2:]
    by_interval = list(csv.reader(io.StringIO(client.get(
        f"/reports/export.csv?{DAY}").get_data(as_text=True).lstrip("\ufeff"))))
    assert by_interval[-1][2:] == total[2:]  # the day is the sum of its intervals
    start = "2026-11-15T16:00:00%2B00:00"  # 00:00 on the 16th in Shanghai
    listed = client.get(f"/reports/calls?{DAY}&interval=day&start={start}&figure=offered")
    assert f"{day[2]} calls" in listed.get_data(as_text=True)


def test_the_read_only_wallboard_link_needs_its_key_and_nothing_else(client, web_services,
                                                                     write_config):
    assert client.get("/wallboard/screen/anything").status_code == 404  # no key configured
    web_services.config = load_config(write_config(
        f"switch:\n  password: x\nacd:\n  queues_file: {QUEUES}\n"
        "reports:\n  wallboard_key: a-long-random-key-for-the-wall\n", "kiosk.yaml"))
    assert client.get("/wallboard/screen/a-wrong-key").status_code == 404
    page = client.get("/wallboard/screen/a-long-random-key-for-the-wall")
    assert page.status_code == 200 and 'id="alerts"' in page.get_data(as_text=True)
    assert 'id="logout"' not in page.get_data(as_text=True)  # nobody is logged in
    assert client.get("/wallboard/").status_code == 302  # the console's page still needs a login
    assert client.get("/wallboard/screen/a-long-random-key-for-the-wall").status_code == 200
    with web_services.sessions() as db:  # the screen's opening is audited, its refreshes are not
        opened = db.scalars(select(AuditLog).where(AuditLog.action == "wallboard_screen_opened")).all()
        assert [(a.actor_login, a.object_type) for a in opened] == [("-", "wallboard")]


def test_the_report_shows_system_availability_per_day_from_the_engines_log(client, sessions):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from callcenter.models import AvailabilityRecord
    midnight = datetime(2026, 11, 16, tzinfo=ZoneInfo("Asia/Shanghai"))
    rows = [(0, "engine_started"), (0.5, "switch_connected"), (600, "switch_lost"),
            (606, "switch_connected"), (1380, "engine_stopped")]
    rows += [(m, "heartbeat") for m in range(1, 1380)]
    with sessions() as db:
        db.add_all(AvailabilityRecord(at=midnight + timedelta(minutes=m), kind=kind, run="run-1")
                   for m, kind in rows)
        db.commit()
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    day = page.split('data-day="2026-11-16"')[1].split("</tr>")[0]
    # down: 30 s before the first connection, 6 min switch lost, the last hour stopped
    assert "95.4%" in day and "1:06:30" in day  # (86400 - 30 - 360 - 3600) / 86400
    assert "10:00:00–10:06:00 switch lost" in day and "23:00:00–00:00:00 engine stopped" in day


def test_the_report_shows_each_campaigns_dials_answers_and_abandons(client, sessions, db_engine):
    from callcenter.models import Campaign, CampaignKind
    from test_reports_campaigns import ABANDONED, NO_ANSWER, T0, call, to_agent
    with sessions() as db:
        campaign = Campaign(name="November reminders", kind=CampaignKind.COLLECTIONS, flow="collections")
        db.add(campaign)
        db.commit()
        campaign_id = campaign.id
    assert T0.date().isoformat() == "2026-11-16"  # 10:00 in Shanghai, in the report's day
    with db_engine.begin() as connection:
        dayfile.store(connection, [call("o1", campaign_id, NO_ANSWER), call("o2", campaign_id, ABANDONED),
                                   call("o3", campaign_id, *to_agent(90))], [])
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    row = page.split(f'data-campaign="{campaign_id}"')[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<td[^>]*>(.*?)</td>', row)]
    assert cells == ["November reminders", "3", "1", "1", "50.0%", "0:01"]  # talk 90 s is 0 h 01 min


def test_the_report_shows_answer_back_in_time_from_the_tickets(client, sessions, the_day):
    from datetime import datetime, timezone

    from callcenter.models import Ticket, TicketCategory
    noon = datetime(2026, 11, 16, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
    told = [("101", noon - timedelta(hours=1)), ("102", noon + timedelta(hours=2)), ("103", None),
            ("104", noon)]
    with sessions() as db:
        db.add_all(Ticket(number=number, category=TicketCategory.FAULT, answer_back_deadline=noon,
                          informed_at=informed) for number, informed in told)
        db.add(Ticket(number="105", category=TicketCategory.FAULT,  # due the next day: left out
                      answer_back_deadline=noon + timedelta(days=1)))
        db.commit()
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    line = page.split('id="answer-back"')[1].split("</p>")[0]
    assert "50.0%" in line and "2 of 4 tickets" in line and "1 late, 1 not told" in line


def test_the_report_shows_inquiry_accuracy_from_qa_evaluations(client, sessions, the_day):
    from datetime import datetime, timezone

    from callcenter.models import Call, QaEvaluation, QaEvaluationItem
    lead = add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    day = (datetime(2026, 11, 15, 16, tzinfo=timezone.utc), datetime(2026, 11, 16, 16, tzinfo=timezone.utc))
    with sessions() as db:
        calls = db.scalars(select(Call.id).where(Call.created_at >= day[0], Call.created_at < day[1])
                           .order_by(Call.id).limit(4)).all()
        scored = [("submitted", 25_000, 25), ("acknowledged", 15_000, 25),  # full marks, not
                  ("calibration", 25_000, 25), ("submitted", 0, 0)]  # left out: practice, n/a
        for call_id, (status, earned, possible) in zip(calls, scored):
            db.add(QaEvaluation(call_id=call_id, form="hotline", scores={}, total=80,
                                evaluator_id=lead, status=status, items=[QaEvaluationItem(
                                    item="correct_answer", answer="5", earned_milli=earned,
                                    possible=possible)]))
        db.commit()
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    line = page.split('id="accuracy"')[1].split("</p>")[0]
    assert "50.0%" in line and "1 of 2 QA evaluations" in line
