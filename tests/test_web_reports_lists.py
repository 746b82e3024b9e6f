"""The newer figures (系统可用率, campaigns, 回告时限, 查询准确率): each drills down to what
is behind it, and the CSV and XLSX exports hold the same figures as the page."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from callcenter.models import (AuditLog, AvailabilityRecord, Call, Campaign, CampaignKind,
                               QaEvaluation, QaEvaluationItem, Role, Ticket, TicketCategory)
from callcenter.reports import dayfile
from test_reports_synthetic_day import DAY_FILE
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, login

DAY = "from=2026-11-16&to=2026-11-16&queue=billing"
MIDNIGHT = datetime(2026, 11, 16, tzinfo=ZoneInfo("Asia/Shanghai"))
NOON = datetime(2026, 11, 16, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai


def cells_of(page: str, marker: str) -> list[str]:
    row = page.split(marker)[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def csv_rows(client, table: str) -> list[list[str]]:
    reply = client.get(f"/reports/export.csv?{DAY}&table={table}")
    assert reply.status_code == 200
    return list(csv.reader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))


def sheet_rows(client, title: str) -> list[list[str]]:
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{DAY}").data))
    return [["" if v is None else str(v) for v in row] for row in book[title].iter_rows(values_only=True)]


def same(csv_table, sheet_table):
    def norm(v):
        try:
            return float(v)
        except ValueError:
            return v
    return [[norm(v) for v in r] for r in csv_table] == [[norm(v) for v in r] for r in sheet_table]


@pytest.fixture
def everything(db_engine, sessions):
    """The synthetic day, an engine log with a switch loss and a stop, a campaign of three
    dials, four tickets due at noon and four QA evaluations."""
    from test_reports_campaigns import ABANDONED, NO_ANSWER, call, to_agent
    calls, changes = dayfile.read(DAY_FILE)
    with db_engine.begin() as connection:
        dayfile.store(connection, calls, changes)
    rows = [(0, "engine_started"), (0.5, "switch_connected"), (600, "switch_lost"),
            (606, "switch_connected"), (1380, "engine_stopped")]
    rows += [(m, "heartbeat") for m in range(1, 1380, 7)]
    lead = add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    with sessions() as db:
        db.add_all(AvailabilityRecord(at=MIDNIGHT + timedelta(minutes=m), kind=kind, run="run-1")
                   for m, kind in rows)
        campaign = Campaign(name="November reminders", kind=CampaignKind.COLLECTIONS, flow="collections")
        db.add(campaign)
        told = [("101", NOON - timedelta(hours=1)), ("102", NOON + timedelta(hours=2)), ("103", None),
                ("104", NOON)]
        db.add_all(Ticket(number=number, category=TicketCategory.FAULT, answer_back_deadline=NOON,
                          informed_at=informed) for number, informed in told)
        db.commit()
        campaign_id = campaign.id
    with db_engine.begin() as connection:
        dayfile.store(connection, [call("o1", campaign_id, NO_ANSWER), call("o2", campaign_id, ABANDONED),
                                   call("o3", campaign_id, *to_agent(90))], [])
    day = (MIDNIGHT.astimezone(timezone.utc), MIDNIGHT.astimezone(timezone.utc) + timedelta(days=1))
    with sessions() as db:
        call_ids = db.scalars(select(Call.id).where(Call.created_at >= day[0], Call.created_at < day[1])
                              .order_by(Call.id).limit(4)).all()
        scored = [("submitted", 25_000, 25), ("acknowledged", 15_000, 25),
                  ("calibration", 25_000, 25), ("submitted", 0, 0)]
        evaluations = []
        for call_id, (status, earned, possible) in zip(call_ids, scored):
            evaluation = QaEvaluation(call_id=call_id, form="hotline", scores={}, total=80,
                                      evaluator_id=lead, status=status, items=[QaEvaluationItem(
                                          item="correct_answer", answer="5", earned_milli=earned,
                                          possible=possible)])
            db.add(evaluation)
            evaluations.append(evaluation)
        db.commit()
        return {"campaign": campaign_id, "evaluations": [e.id for e in evaluations]}


@pytest.fixture
def lead(client, everything):
    login(client, "lead1")
    return client


def test_a_days_availability_drills_into_its_up_and_down_spans(lead, everything):
    page = lead.get(f"/reports/?{DAY}").get_data(as_text=True)
    link = re.search(r'href="(/reports/availability/2026-11-16[^"]*)"', page).group(1)
    spans = lead.get(link.replace("&amp;", "&")).get_data(as_text=True)
    rows = [cells_of(spans, f'<tr data-row="{kind}"') for kind in ("switch lost", "engine stopped")]
    assert rows[0] == ["2026-11-16 10:00:00", "2026-11-16 10:06:00", "360", "switch lost"]
    assert rows[1] == ["2026-11-16 23:00:00", "2026-11-17 00:00:00", "3600", "engine stopped"]
    seconds = [int(s) for s in re.findall(r'<tr data-row="up">(?:<td>[^<]*</td>){2}<td>(\d+)</td>', spans)]
    assert sum(seconds) == 86400 - 30 - 360 - 3600  # the page's 95.4 %: up time behind it
    assert lead.get("/reports/availability/16-11-2026").status_code == 400


def test_the_availability_export_holds_the_pages_figures(lead, everything):
    page = lead.get(f"/reports/?{DAY}").get_data(as_text=True)
    on_page = cells_of(page, 'data-day="2026-11-16"')
    rows = csv_rows(lead, "availability")
    assert rows[0] == ["Day", "Availability %", "Measured s", "Down s", "Down spans"]
    assert rows[1] == ["2026-11-16", on_page[1].rstrip("%"), "86400", "3990", "3"]
    assert rows[2][0] == "Period total"
    assert same(rows, sheet_rows(lead, "System availability (系统可用率)"))


def test_a_campaigns_counts_drill_into_its_dials_and_export(lead, everything):
    campaign = everything["campaign"]
    page = lead.get(f"/reports/?{DAY}").get_data(as_text=True)
    row = page.split(f'data-campaign="{campaign}"')[1].split("</tr>")[0]
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', row)]
    every = lead.get(links[0]).get_data(as_text=True)
    assert re.findall(r'data-row="(\w+)"', every) == ["o1", "o2", "o3"]
    assert cells_of(every, 'data-row="o3"')[2:4] == ["answered", "90"]
    abandoned = lead.get(links[2]).get_data(as_text=True)
    assert re.findall(r'data-row="(\w+)"', abandoned) == ["o2"]
    rows = csv_rows(lead, "campaigns")
    assert rows[1] == ["November reminders", "3", "1", "1", "50.0", "1.5"]
    assert same(rows, sheet_rows(lead, "Outbound campaigns"))
    assert lead.get(f"/reports/campaign/{campaign + 99}?{DAY}").status_code == 404
    assert lead.get(f"/reports/campaign/{campaign}?{DAY}&outcome=won").status_code == 400


def test_answer_back_drills_into_the_tickets_behind_it_and_exports(lead, everything):
    page = lead.get(f"/reports/?{DAY}").get_data(as_text=True)
    link = re.search(r'href="(/reports/answer-back[^"]*)"', page).group(1).replace("&amp;", "&")
    tickets = lead.get(link).get_data(as_text=True)
    assert [(n, cells_of(tickets, f'data-row="{n}"')[3]) for n in re.findall(r'data-row="(\d+)"', tickets)] \
        == [("101", "told in time"), ("102", "told late"), ("103", "not told"), ("104", "told in time")]
    late = lead.get(link + "&status=late").get_data(as_text=True)
    assert re.findall(r'data-row="(\d+)"', late) == ["102"]
    rows = csv_rows(lead, "answer_back")
    assert rows == [["Tickets due", "Told in time", "Told late", "Not told", "Answer-back in time %"],
                    ["4", "2", "1", "1", "50.0"]]
    assert same(rows, sheet_rows(lead, "Answer-back in time (回告时限)"))


def test_accuracy_drills_into_the_evaluations_behind_it_and_exports(lead, everything, sessions):
    full, partial, *_ = everything["evaluations"]
    page = lead.get(f"/reports/?{DAY}").get_data(as_text=True)
    link = re.search(r'href="(/reports/accuracy[^"]*)"', page).group(1).replace("&amp;", "&")
    listed = lead.get(link).get_data(as_text=True)
    assert re.findall(r'data-row="(\d+)"', listed) == [str(full), str(partial)]  # practice, n/a out
    assert cells_of(listed, f'data-row="{partial}"')[2:] == ["15 / 25", "not full marks"]
    rows = csv_rows(lead, "accuracy")
    assert rows == [["Evaluations scored", "Full marks", "Inquiry accuracy %"], ["2", "1", "50.0"]]
    assert same(rows, sheet_rows(lead, "Inquiry accuracy (查询准确率)"))
    with sessions() as db:
        kinds = [a.object_id for a in db.scalars(select(AuditLog).where(
            AuditLog.action == "report_drill_down"))]
    assert kinds == ["accuracy"]


def test_an_unknown_export_table_is_named(lead, everything):
    reply = lead.get(f"/reports/export.csv?{DAY}&table=weather")
    assert reply.status_code == 400 and "table: one of service, teams" in reply.get_data(as_text=True)
