"""Escalated tickets reach the supervisor: a count and a list with links on the
floor, and an "escalated" filter in the tickets search. Pinned tickets' clock."""
from __future__ import annotations

from datetime import timedelta

from callcenter.db import transaction
from callcenter.tickets import service
from web.tickets import rules
from web_fixtures import *  # noqa: F401,F403
from test_web_backoffice import MONDAY_10, app, as_user, clock, create, people  # noqa: F401,E402


def escalate_by_the_engine(app, sessions, at):
    """What the engine's timer does (callcenter.live.ticket_timers): no page opened."""
    with app.app_context(), transaction(sessions) as db:
        service.sweep_deadlines(db, rules(), at)


def test_escalated_tickets_on_the_floor_and_in_search(app, sessions, people, clock):
    agent = as_user(app, "agent01")
    late = create(agent, people["customer"], category="fault")  # 24 h on the wall clock
    on_time = create(agent, people["customer"], category="complaint")  # 2 working days
    lead = as_user(app, "lead")
    panel = lead.get("/floor/").get_data(as_text=True).split('id="escalated-tickets"')[1]
    panel = panel.split("</section>")[0]
    assert 'id="escalated-count">0<' in panel and late not in panel

    clock.at = MONDAY_10 + timedelta(hours=25)
    escalate_by_the_engine(app, sessions, clock.at)
    panel = lead.get("/floor/").get_data(as_text=True).split('id="escalated-tickets"')[1]
    panel = panel.split("</section>")[0]
    assert 'id="escalated-count">1<' in panel
    assert f'href="/tickets/{late}"' in panel and on_time not in panel
    found = lead.get("/tickets/search?escalated=1").get_data(as_text=True)
    assert late in found and on_time not in found


def test_the_floor_panel_is_the_supervisors(app, people):
    assert as_user(app, "agent01").get("/floor/").status_code == 403
