"""Wire tests: a collections campaign dialled by the engine through the simulator's
carrier gateway, to simulated customers, on a dialer clock the test moves."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.ivr.interpreter import format_money
from callcenter.models import CampaignStatus, ContactStatus, DoNotCall
from dialer_fixtures import Row, outbound_at  # noqa: F401  (fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_EVENING = datetime(2026, 11, 23, 19, 40, tzinfo=SHANGHAI)  # 20 minutes before the window closes
TUESDAY_MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
FINAL = {ContactStatus.DONE, ContactStatus.FAILED, ContactStatus.EXHAUSTED, ContactStatus.SKIPPED}
# what each customer does, by the last digit of their index
KINDS = {0: ("answers", ""), 1: ("answers", ""), 2: ("answers", "wait:3 hangup"),
         3: ("answers", ""), 4: ("answers", "wait:3 press:1"), 5: ("answers", "wait:3 press:9"),
         6: ("busy", ""), 7: ("never_answers", ""), 8: ("machine", ""), 9: (None, "")}
ON_THE_LIST = {11, 22, 33, 44, 55}  # on the do-not-call list after the import, before the start
EVERY_DAY = {day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# the clock moves 20 s every 50 ms: a 5 min guard leaves 750 ms between the last check and the end
SETTINGS = {"windows": EVERY_DAY, "retry_delays": {"busy": 600, "no_answer": 900, "failed": 300},
            "window_guard_seconds": 300}


def number(index: int) -> str:
    return f"86139{index:08d}"


def rows(count: int) -> list[Row]:
    return [Row(number(i), f"Customer {i}", amount_cents=10_000 + 137 * i,
                due_date=date(2026, 11, 1) + timedelta(days=i % 20), line=i + 2)
            for i in range(count)]


def local(moment: datetime) -> time:
    return moment.astimezone(SHANGHAI).time()


def test_a_collections_campaign_of_200_contacts_across_a_window_end_and_a_restart(outbound_at):
    out = outbound_at(MONDAY_EVENING)
    for i in range(200):
        kind, then = KINDS[i % 10]
        if kind is not None:  # the rest are numbers that do not exist
            out.customers.add(number(i), kind, after=2, then=then)
    campaign = out.campaign("overdue november", rows(200), max_lines=20, ring_timeout=20,
                            max_attempts=3, settings=SETTINGS)
    with transaction(out.sessions) as session:
        for i in ON_THE_LIST:
            store.add_do_not_call(session, number(i), at=out.clock(), source="console")
    out.start(campaign)

    # Monday evening: dial until the window closes; the engine dies once on the way
    out.run_clock(MONDAY_EVENING + timedelta(minutes=12), step=20,  # dials stop 5 min before 20:00
                  stop=lambda: out.settled_attempts() >= 60)
    assert out.settled_attempts() >= 20, "the campaign barely started before the restart"
    out.line.crash_engine()  # its greenlets die where they stand, calls stay on the switch
    cut_short = out.open_attempt_uuids()
    assert cut_short, "no call was in flight when the engine died"
    out.line.engine = out.line._make_engine()
    out.line.engine.start()
    # numbers listed while the campaign runs (not yet dialled): never dialled after that
    listed_at = out.clock()
    listed_late = [c.phone for c in out.contacts(campaign)
                   if c.status == ContactStatus.PENDING and c.attempts == 0][-5:]
    with transaction(out.sessions) as session:
        for phone in listed_late:
            store.add_do_not_call(session, phone, at=listed_at, source="console")
    out.run_clock(MONDAY_EVENING + timedelta(minutes=30), step=20)
    out.line.wait(out.idle, 30, "calls still in flight after the window closed")
    gevent_settle(out)

    evening = out.contacts(campaign)
    assert all(c.status in FINAL or (c.status == ContactStatus.PENDING and c.next_attempt_at)
               for c in evening), "a contact is neither final nor scheduled after the window"
    assert any(c.status == ContactStatus.PENDING for c in evening), \
        "the window's end did not cut the campaign short (nothing left for Tuesday)"

    # Tuesday morning: the rest, until every contact is final
    out.clock.set(TUESDAY_MORNING)
    out.run_clock(TUESDAY_MORNING + timedelta(hours=6), step=30,
                  stop=lambda: out.status(campaign) == CampaignStatus.FINISHED)
    out.line.wait(lambda: out.status(campaign) == CampaignStatus.FINISHED, 30,
                  f"the campaign never finished: {summary(out.contacts(campaign))}")

    contacts = {c.phone: c for c in out.contacts(campaign)}
    attempts = out.attempts(campaign)
    dials = out.customers.dials
    assert all(c.status in FINAL for c in contacts.values())

    # no call placed outside the window (09:00-20:00 in the contact's time)
    assert dials and all(time(9) <= local(d.at) < time(20) for d in dials), \
        [d for d in dials if not time(9) <= local(d.at) < time(20)]
    # nothing dialled twice at once, every dial is one attempt and every attempt was dialled
    assert all(d.concurrent == 0 for d in dials)
    # An attempt claimed just before the crash whose originate never reached the switch
    # cannot be told from a call that ended while no engine ran: both are 'interrupted'
    # (counted, retried). Every other attempt is exactly one dial and back.
    dial_uuids = {d.uuid for d in dials}
    never_sent = [a for a in attempts if a.uuid in cut_short and a.uuid not in dial_uuids]
    assert all(a.outcome == "interrupted" for a in never_sent), never_sent
    dialled = [a for a in attempts if a.outcome != "not_dialled" and a not in never_sent]
    assert sorted(a.uuid for a in dialled) == sorted(dial_uuids)
    assert all(a.outcome is not None for a in attempts), "an attempt was lost"
    per_number = Counter(d.number for d in dials)
    unsent = Counter(a.number for a in never_sent)
    for phone, contact in contacts.items():
        assert contact.attempts == per_number[phone] + unsent[phone] <= 3, \
            (phone, contact.attempts, per_number[phone], unsent[phone])
    # the calls the crash cut short were settled once each: adopted and finished, or retried
    by_uuid = {a.uuid: a for a in attempts}
    assert all(by_uuid[uuid].outcome is not None for uuid in cut_short)
    assert {by_uuid[uuid].outcome for uuid in cut_short} <= {"answered", "opted_out", "interrupted"}
    print(f"cut short by the crash: {len(cut_short)}, of which adopted and answered: "
          f"{sum(by_uuid[u].answered_at is not None for u in cut_short)}")

    # no do-not-call number dialled; those who pressed 9 are on the list and called once
    assert len(listed_late) == 5
    assert not [d for d in dials if d.number in listed_late and d.at >= listed_at]
    assert all(contacts[phone].status == ContactStatus.SKIPPED for phone in listed_late)
    for i in ON_THE_LIST:
        assert per_number[number(i)] == 0 and contacts[number(i)].status == ContactStatus.SKIPPED
    with out.sessions() as session:
        listed = {row.number: row for row in session.scalars(select(DoNotCall))}
    # a customer whose call the crash cut short may have pressed 9 while no engine listened:
    # their call is settled once (checked above) but need not end opted out
    cut_numbers = {d.number for d in dials if d.uuid in cut_short}
    opted_out = [i for i in range(200) if i % 10 == 5 and i not in ON_THE_LIST
                 and number(i) not in listed_late and number(i) not in cut_numbers]
    assert len(opted_out) >= 10
    for i in opted_out:
        assert number(i) in listed and listed[number(i)].source == "ivr_opt_out"
        assert per_number[number(i)] == 1 and contacts[number(i)].result == "opted_out"

    # every amount said is the contact's amount in the database
    checked = 0
    for dial in dials:
        said = [label for label in out.customers.said(dial.uuid) if ":currency:" in label]
        for label in said:
            assert label.rsplit(":", 1)[1] == format_money(contacts[dial.number].amount_cents), label
            checked += 1
    assert checked >= 80, f"only {checked} amounts said"

    # the outcomes read like the customers
    spared = ON_THE_LIST | {i for i in range(200) if number(i) in listed_late}
    by_kind = {kind: [contacts[number(i)] for i in range(200) if KINDS[i % 10][0] == kind
                      and i not in spared] for kind in ("busy", "never_answers", None)}
    assert all(c.status == ContactStatus.EXHAUSTED and c.attempts == 3 for c in by_kind["busy"])
    assert all(c.status == ContactStatus.EXHAUSTED for c in by_kind["never_answers"])
    assert all(c.status == ContactStatus.FAILED for c in by_kind[None])
    heard = [contacts[number(i)] for i in range(200) if i % 10 in (0, 1, 3, 4, 8)
             and i not in spared]
    assert all(c.status == ContactStatus.DONE for c in heard)


def summary(contacts) -> dict:
    return dict(Counter((c.status.value, c.result, c.next_attempt_at and c.next_attempt_at.isoformat())
                        for c in contacts))


def gevent_settle(out) -> None:
    """Let the runner take one more look at the clock after the last move."""
    out.line.wait(lambda: True, 1, "")
    import gevent
    gevent.sleep(out.engine.dialer.tick_seconds * 3)
