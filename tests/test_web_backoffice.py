"""The loop through the console's pages (Flask test client, real SQLite): the agent
creates a complaint, the rule dispatches it, the back office accepts and answers
back, the owner gets the call-back task and closes the ticket; escalation with a
pinned clock; group boundaries; customer look-ups audited; calls to finish."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.models import AuditLog, Call, Role, TicketOutbox, TicketStatus
from callcenter.tickets import service
from web import create_app
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_call, add_customer, csrf_of, login

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock():
    return Clock(MONDAY_10)


@pytest.fixture
def app(web_services, clock):
    return create_app(web_services, {"TESTING": True, "LOGIN_FAILURE_DELAY": 0.0,
                                     "TICKETS_CLOCK": clock})


@pytest.fixture
def people(sessions):
    return {"agent01": add_agent(sessions, "agent01"), "agent02": add_agent(sessions, "agent02"),
            "bo_complaints": add_agent(sessions, "bo_complaints", role=Role.BACKOFFICE),
            "bo_network": add_agent(sessions, "bo_network", role=Role.BACKOFFICE),
            "lead": add_agent(sessions, "lead", role=Role.SUPERVISOR),
            "customer": add_customer(sessions)}


def as_user(app, name):
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def form(client, url, **fields):
    return client.post(url, data={"csrf_token": csrf_of(client), **fields})


def create(client, customer, category="complaint", detail=None, text="No signal at home"):
    reply = client.post("/api/v1/tickets", json={"category": category, "customer_id": customer,
                                                 "description": text, "detail": detail},
                        headers={"X-CSRF-Token": csrf_of(client)})
    assert reply.status_code == 201, reply.json
    return reply.json["number"]


def status_of(sessions, number):
    with sessions() as db:
        return service.find(db, number).status


def test_the_loop_from_complaint_to_closed(app, sessions, people):
    agent, office = as_user(app, "agent01"), as_user(app, "bo_complaints")
    number = create(agent, people["customer"])
    assert status_of(sessions, number) is TicketStatus.DISPATCHED

    queue = office.get("/backoffice/").get_data(as_text=True)
    assert number in queue.split('id="waiting"')[1].split("</table>")[0]
    assert as_user(app, "bo_network").get("/backoffice/").get_data(as_text=True).count(number) == 0

    assert form(office, f"/backoffice/tickets/{number}/accept").status_code == 302
    page = office.get(f"/tickets/{number}").get_data(as_text=True)
    assert 'id="answer-form"' in page
    form(office, f"/tickets/{number}/note", note="checked the cell site")
    form(office, f"/backoffice/tickets/{number}/answer", result="The cell site was repaired on Monday.")
    assert status_of(sessions, number) is TicketStatus.ANSWERED_BACK

    mine = agent.get("/tickets/").get_data(as_text=True)
    tasks = mine.split('id="tasks"')[1].split("</section>")[0]
    assert number in tasks and "The cell site was repaired on Monday." in tasks
    assert "1 to call back" in agent.get("/desk/").get_data(as_text=True)
    form(agent, f"/tickets/{number}/inform", outcome="told")
    assert status_of(sessions, number) is TicketStatus.CLOSED
    assert number not in agent.get("/tickets/").get_data(as_text=True)

    history = agent.get(f"/tickets/{number}").get_data(as_text=True).split('id="history"')[1]
    for who, what in (("Agent01", "created"), ("system", "dispatched"), ("Bo_Complaints", "accepted"),
                      ("Bo_Complaints", "note"), ("Bo_Complaints", "answered back"),
                      ("Agent01", "customer told"), ("Agent01", "closed")):
        assert who in history and what in history


def test_the_back_office_cannot_touch_another_groups_ticket(app, sessions, people):
    number = create(as_user(app, "agent01"), people["customer"])
    network = as_user(app, "bo_network")
    assert network.get(f"/tickets/{number}").status_code == 403
    assert form(network, f"/backoffice/tickets/{number}/accept").status_code == 403
    assert status_of(sessions, number) is TicketStatus.DISPATCHED


def test_answer_back_needs_the_worker_and_a_result(app, sessions, people):
    number = create(as_user(app, "agent01"), people["customer"])
    office = as_user(app, "bo_complaints")
    reply = form(office, f"/backoffice/tickets/{number}/answer", result="done")
    assert "accept the ticket first" in office.get(reply.headers["Location"]).get_data(as_text=True)
    form(office, f"/backoffice/tickets/{number}/accept")
    reply = form(office, f"/backoffice/tickets/{number}/answer", result="  ")
    assert "Result: write the result" in office.get(reply.headers["Location"]).get_data(as_text=True)
    assert status_of(sessions, number) is TicketStatus.ACCEPTED


def test_illegal_step_is_shown_not_done(app, sessions, people):
    number = create(as_user(app, "agent01"), people["customer"])
    office = as_user(app, "bo_complaints")
    form(office, f"/backoffice/tickets/{number}/accept")
    reply = form(office, f"/backoffice/tickets/{number}/accept")
    page = office.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Not allowed now: the ticket is accepted." in page


def test_send_back_then_the_owner_dispatches_again(app, sessions, people):
    agent = as_user(app, "agent01")
    number = create(agent, people["customer"])
    office = as_user(app, "bo_complaints")
    form(office, f"/backoffice/tickets/{number}/send-back", reason="this is a billing matter")
    assert status_of(sessions, number) is TicketStatus.RETURNED
    assert "this is a billing matter" in agent.get(f"/tickets/{number}").get_data(as_text=True)
    form(agent, f"/tickets/{number}/dispatch", group="billing_adjustments", note="billing")
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.status, ticket.backoffice_group) == (TicketStatus.DISPATCHED,
                                                            "billing_adjustments")


def test_a_passed_deadline_is_escalated_on_the_supervisors_page(app, sessions, people, clock):
    agent = as_user(app, "agent01")
    number = create(agent, people["customer"], category="fault")  # 24 h on the wall clock
    clock.at = MONDAY_10 + timedelta(hours=21)  # 3 h left: warned
    row = agent.get("/tickets/").get_data(as_text=True).split(f'data-number="{number}"')[1]
    assert row.split("</tr>")[0].count('class="warn"') == 1
    clock.at = MONDAY_10 + timedelta(hours=25)
    mine = agent.get("/tickets/").get_data(as_text=True)
    assert f'class="overdue escalated" data-number="{number}"' in mine
    lead = as_user(app, "lead").get("/backoffice/").get_data(as_text=True)
    assert number in lead.split('id="escalated"')[1].split("</table>")[0]
    with sessions() as db:
        assert [h.action for h in service.find(db, number).history][-2:] == ["deadline_warning",
                                                                            "escalated"]


def test_my_tickets_soonest_due_first(app, sessions, people, clock):
    agent = as_user(app, "agent01")
    order = [create(agent, people["customer"], category=c) for c in ("service_order", "fault",
                                                                     "complaint")]
    page = agent.get("/tickets/").get_data(as_text=True).split('id="ticket-list"')[1]
    shown = sorted(order, key=page.index)
    assert shown == [order[1], order[2], order[0]]  # fault 24 h, complaint 2 days, order 3 days


def test_a_roaming_complaint_lands_in_the_outbox_shown_to_the_back_office(app, sessions, people):
    number = create(as_user(app, "agent01"), people["customer"], detail="roaming")
    with sessions() as db:
        assert db.scalar(select(TicketOutbox)).payload["ticket"] == number
    page = as_user(app, "bo_complaints").get("/backoffice/").get_data(as_text=True)
    assert number in page.split('id="outbox"')[1] and "waiting to be sent" in page


def test_hand_over_is_explicit(app, sessions, people):
    agent = as_user(app, "agent01")
    number = create(agent, people["customer"])
    form(agent, f"/tickets/{number}/hand-over", agent="agent02", note="I am off tomorrow")
    with sessions() as db:
        assert service.find(db, number).owner_agent_id == people["agent02"]
    assert number in as_user(app, "agent02").get("/tickets/").get_data(as_text=True)
    reply = form(agent, f"/tickets/{number}/hand-over", agent="agent01", note="back")
    assert "only the ticket" in agent.get(reply.headers["Location"]).get_data(as_text=True)


def test_search_by_number_and_by_customer(app, sessions, people):
    agent = as_user(app, "agent01")
    number = create(agent, people["customer"])
    assert agent.get(f"/tickets/search?q={number}").headers["Location"].endswith(f"/tickets/{number}")
    for query in ("13800000001", "A1000001", "Zhang"):
        assert number in agent.get(f"/tickets/search?q={query}").get_data(as_text=True), query
    assert number not in agent.get("/tickets/search?q=nobody").get_data(as_text=True)


@pytest.mark.parametrize("query", ["138 0000 0001", "A1000001", "1000001", "zhang"])
def test_customer_search_finds_and_every_look_up_is_audited(app, sessions, people, query):
    agent = as_user(app, "agent01")
    page = agent.get("/tickets/customers", query_string={"q": query}).get_data(as_text=True)
    assert "Zhang San" in page
    view = agent.get(f"/tickets/customers/{people['customer']}").get_data(as_text=True)
    bills = view.split('id="bills"')[1].split("</table>")[0]
    assert all(period in bills for period in ("2026-08", "2026-09", "2026-10"))
    with sessions() as db:
        entries = db.scalars(select(AuditLog).where(AuditLog.action.like("customer_%"))
                             .order_by(AuditLog.id)).all()
        assert [(e.action, e.actor_login) for e in entries] == [("customer_search", "agent01"),
                                                                ("customer_view", "agent01")]
        assert entries[0].details == {"query": query, "results": [people["customer"]],
                                      "in_call": None}


def test_a_call_without_disposition_stays_to_finish_until_it_has_one(app, sessions, people,
                                                                      fake_live):
    add_call(sessions, "ended-1", "13800000001", people["customer"], agent_id=people["agent01"])
    agent = as_user(app, "agent01")
    listed = agent.get("/tickets/").get_data(as_text=True).split('id="to-finish"')[1]
    assert 'data-uuid="ended-1"' in listed.split("</section>")[0]
    assert "1 calls without a disposition" in agent.get("/desk/").get_data(as_text=True)
    form(agent, "/tickets/calls/ended-1/disposition", disposition="")
    assert 'data-uuid="ended-1"' in agent.get("/tickets/").get_data(as_text=True)
    form(agent, "/tickets/calls/ended-1/disposition", disposition="resolved", notes="bill explained")
    assert 'data-uuid="ended-1"' not in agent.get("/tickets/").get_data(as_text=True)
    with sessions() as db:
        call = db.scalar(select(Call).where(Call.uuid == "ended-1"))
        assert (call.disposition, call.wrapup_notes) == ("resolved", "bill explained")
    # the call being wrapped up now is on the desk's wrap-up form, not on this list
    add_call(sessions, "wrapping-1", "13800000001", people["customer"], agent_id=people["agent01"])
    fake_live._set(people["agent01"], "wrapup", None, "wrapping-1")
    assert 'data-uuid="wrapping-1"' not in agent.get("/tickets/").get_data(as_text=True)
    # another agent's call cannot be finished by this one
    assert form(as_user(app, "agent02"), "/tickets/calls/ended-1/disposition",
                disposition="resolved").status_code == 404


def test_a_broken_rules_file_stops_the_console_with_file_and_line(web_services, tmp_path):
    from callcenter.tickets.dispatch import DispatchRulesError
    broken = tmp_path / "dispatch.yaml"
    broken.write_text("groups:\n  a: {name: A}\nrules:\n  - {category: fault, group: b}\n",
                      encoding="utf-8")
    with pytest.raises(DispatchRulesError, match=rf"{broken}:4:\d+: group 'b' is not one"):
        create_app(web_services, {"TICKET_RULES": str(broken)})


def test_an_ivr_ticket_without_owner_is_handed_over_to_tell_the_customer(app, sessions, people):
    from callcenter.db import transaction
    from callcenter.hooks import create_ticket
    with transaction(sessions) as db:  # the caller opened it in the IVR: no owner
        number = create_ticket(db, {"category": "fault", "customer_id": str(people["customer"]),
                                    "caller_number": "13800000001", "recording": "",
                                    "call_id": ""})["ticket_number"]
    assert status_of(sessions, number) is TicketStatus.DISPATCHED
    office = as_user(app, "bo_network")
    form(office, f"/backoffice/tickets/{number}/accept")
    form(office, f"/backoffice/tickets/{number}/answer", result="Repaired.")
    lead = as_user(app, "lead")
    assert number in lead.get("/backoffice/").get_data(as_text=True).split('id="unowned"')[1]
    form(lead, f"/tickets/{number}/hand-over", agent="agent02", note="please call them back")
    tasks = as_user(app, "agent02").get("/tickets/").get_data(as_text=True).split('id="tasks"')[1]
    assert number in tasks.split("</section>")[0]
    assert number not in lead.get("/backoffice/").get_data(as_text=True).split('id="unowned"')[1]


def test_attachments_are_kept_downloaded_by_who_may_see_the_ticket_and_audited(
        app, sessions, people, tmp_path):
    import io
    app.config["TICKET_ATTACHMENTS"] = str(tmp_path / "attachments")
    agent = as_user(app, "agent01")
    number = create(agent, people["customer"])
    photo = b"\x89PNG\r\n\x1a\n" + b"x" * 2000
    reply = agent.post(f"/tickets/{number}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": csrf_of(agent),
                             "file": (io.BytesIO(photo), "../../etc/bill photo.png", "image/png")})
    assert reply.status_code == 302
    page = agent.get(f"/tickets/{number}").get_data(as_text=True)
    link = page.split('id="attachments"')[1].split('href="')[1].split('"')[0]
    assert "bill photo.png" in page and "file attached" in page

    office = as_user(app, "bo_complaints")
    download = office.get(link)
    assert download.status_code == 200 and download.data == photo
    assert 'filename="bill photo.png"' in download.headers["Content-Disposition"]
    assert as_user(app, "bo_network").get(link).status_code == 403  # not their group's ticket
    with sessions() as db:
        entry = db.scalar(select(AuditLog).where(AuditLog.action == "ticket_attachment_download"))
        assert entry.actor_login == "bo_complaints" and entry.details == {"ticket": number}

    empty = agent.post(f"/tickets/{number}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": csrf_of(agent)})
    assert "File: choose a file to attach" in agent.get(empty.headers["Location"]).get_data(as_text=True)


def test_a_supervisor_takes_a_ticket_from_an_absent_worker(app, sessions, people):
    agent = as_user(app, "agent01")
    number = create(agent, people["customer"])
    form(as_user(app, "bo_complaints"), f"/backoffice/tickets/{number}/accept")
    reply = form(agent, f"/tickets/{number}/dispatch", group="billing_adjustments", note="faster")
    assert "only a supervisor" in agent.get(reply.headers["Location"]).get_data(as_text=True)
    form(as_user(app, "lead"), f"/tickets/{number}/dispatch", group="billing_adjustments",
         note="Li Na is on leave")
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.status, ticket.backoffice_group, ticket.worker_agent_id) == (
            TicketStatus.DISPATCHED, "billing_adjustments", None)
        assert "Li Na is on leave" in ticket.history[-1].note


def test_the_api_customer_read_is_audited_too(app, sessions, people):
    agent = as_user(app, "agent01")
    assert agent.get(f"/api/v1/customers/{people['customer']}").status_code == 200
    with sessions() as db:
        entry = db.scalar(select(AuditLog).where(AuditLog.action == "customer_view"))
        assert (entry.actor_login, entry.object_id) == ("agent01", str(people["customer"]))


def test_the_desk_form_offers_the_rules_details_and_the_api_checks_them(app, sessions, people):
    agent = as_user(app, "agent01")
    desk = agent.get("/desk/").get_data(as_text=True)
    assert '<option value="billing" data-category="complaint">' in desk
    number = create(agent, people["customer"], detail="billing")
    with sessions() as db:
        assert service.find(db, number).backoffice_group == "billing_adjustments"
    reply = agent.post("/api/v1/tickets", json={"category": "fault", "customer_id": people["customer"],
                                                "description": "no signal", "detail": "roaming"},
                       headers={"X-CSRF-Token": csrf_of(agent)})
    assert reply.status_code == 400
    assert reply.json == {"field": "detail",
                          "error": "unknown detail 'roaming' for fault (known: none)"}
