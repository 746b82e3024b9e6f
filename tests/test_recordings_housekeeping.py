"""`callcenter recordings verify | retention | hold | release` on a real SQLite
database and real WAV files; retention judged on a pinned day."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from callcenter.cli import main
from callcenter.db import transaction
from callcenter.models import (AuditLog, QaDispute, QaEvaluation, Recording, Role, Ticket,
                               TicketCategory)
from callcenter.qa import housekeeping
from callcenter.qa.storage import RecordingPaths
from qa_fixtures import add_recorded_call, write_wav
from web_fixtures import add_agent

PAST, FUTURE = date(2026, 8, 1), date(2027, 3, 1)
TODAY = "2026-11-30"


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "recordings"


@pytest.fixture
def config(write_config, database_url, folder, db_engine):
    return str(write_config(f"""\
switch:
  password: x
database:
  url: "{database_url}"
recordings:
  directory: {folder}
"""))


def run(config, *args):
    return main(["--config", config, "recordings", *args])


def test_verify_passes_when_every_file_matches(config, sessions, folder, capsys):
    add_recorded_call(sessions, folder, "a")
    add_recorded_call(sessions, folder, "b")
    assert run(config, "verify") == 0
    assert "2 recordings checked: 0 missing, 0 changed, 0 orphaned" in capsys.readouterr().out


def test_verify_catches_a_changed_byte_a_missing_file_and_an_orphan(config, sessions, folder,
                                                                    capsys):
    _, changed = add_recorded_call(sessions, folder, "changed")
    _, missing = add_recorded_call(sessions, folder, "missing")
    add_recorded_call(sessions, folder, "fine")
    changed_file = folder / "changed-call.wav"
    data = bytearray(changed_file.read_bytes())
    data[1000] ^= 0x01  # one bit of one sample
    changed_file.write_bytes(bytes(data))
    (folder / "missing-call.wav").unlink()
    write_wav(folder / "2026" / "11" / "stray-call.wav", 0.5)

    assert run(config, "verify") == 1
    out = capsys.readouterr().out
    assert f"CHANGED recording {changed}: {changed_file}" in out
    assert f"MISSING recording {missing}: {folder / 'missing-call.wav'}" in out
    assert f"ORPHANED {folder / '2026' / '11' / 'stray-call.wav'}" in out
    assert "3 recordings checked: 1 missing, 1 changed, 1 orphaned" in out


def test_retention_deletes_only_what_nothing_holds(config, sessions, folder, capsys):
    qa = add_agent(sessions, "qa1", role=Role.QA)
    _, expired = add_recorded_call(sessions, folder, "expired", retain_until=PAST)
    _, due_today = add_recorded_call(sessions, folder, "today", retain_until=date(2026, 11, 30))
    _, young = add_recorded_call(sessions, folder, "young", retain_until=FUTURE)
    _, held = add_recorded_call(sessions, folder, "held", retain_until=PAST)
    disputed_call, disputed = add_recorded_call(sessions, folder, "disputed", retain_until=PAST)
    answered_call, answered = add_recorded_call(sessions, folder, "answered", retain_until=PAST)
    ticket_call, ticketed = add_recorded_call(sessions, folder, "ticketed", retain_until=PAST)
    assert run(config, "hold", str(held), "--reason", "court order 2026-117") == 0
    with transaction(sessions) as db:
        for call_id, open_ in ((disputed_call, True), (answered_call, False)):
            evaluation = QaEvaluation(call_id=call_id, form="hotline", scores={}, total=50,
                                      evaluator_id=qa)
            db.add(evaluation)
            db.flush()
            db.add(QaDispute(evaluation_id=evaluation.id, opened_by_id=qa, reason="unfair",
                             answered_at=None if open_ else datetime(2026, 11, 2, tzinfo=timezone.utc),
                             answer=None if open_ else "kept"))
        db.add(Ticket(number="2611300001", call_id=ticket_call, category=TicketCategory.COMPLAINT))

    assert run(config, "retention", "--today", TODAY, "--dry-run") == 0
    assert f"would delete recording {expired}" in capsys.readouterr().out
    assert (folder / "expired-call.wav").exists()

    assert run(config, "retention", "--today", TODAY) == 0
    out = capsys.readouterr().out
    assert "2 deleted, 3 past their date but held, 2 not due (as of 2026-11-30)" in out
    assert f"kept recording {held}: past its date but legal_hold" in out
    assert f"kept recording {disputed}: past its date but open_dispute" in out
    assert f"kept recording {ticketed}: past its date but open_ticket" in out
    with sessions() as db:
        gone = {r.id for r in db.scalars(select(Recording).where(Recording.deleted_at.is_not(None)))}
        audit = db.scalars(select(AuditLog).where(AuditLog.action == "recording_deleted")).all()
    # the answered dispute no longer holds its recording: it went too
    assert gone == {expired, answered}
    assert {a.object_id for a in audit} == {str(expired), str(answered)}
    assert all(a.actor_login == "retention" and a.details["reason"] == "expired" for a in audit)
    assert {p.name for p in folder.iterdir()} == {
        "today-call.wav", "young-call.wav", "held-call.wav", "disputed-call.wav",
        "ticketed-call.wav"}
    assert {due_today, young, held, disputed, ticketed}.isdisjoint(gone)

    # a second run finds nothing more, and verify does not call deleted files missing
    assert run(config, "retention", "--today", TODAY) == 0
    assert "0 deleted" in capsys.readouterr().out
    assert run(config, "verify") == 0


def test_legal_hold_is_set_and_lifted_with_an_audit_row(config, sessions, folder, capsys):
    _, recording = add_recorded_call(sessions, folder, "a", retain_until=PAST)
    assert run(config, "hold", str(recording), "--reason", " ") == 1
    assert "needs a reason" in capsys.readouterr().err
    assert run(config, "hold", "999", "--reason", "x") == 1
    assert "no recording 999" in capsys.readouterr().err
    assert run(config, "hold", str(recording), "--reason", "case 7") == 0
    assert run(config, "retention", "--today", TODAY) == 0
    assert (folder / "a-call.wav").exists()
    assert run(config, "release", str(recording), "--reason", "case closed") == 0
    assert run(config, "retention", "--today", TODAY) == 0
    assert not (folder / "a-call.wav").exists()
    with sessions() as db:
        actions = [(a.action, a.details["reason"]) for a in
                   db.scalars(select(AuditLog).where(AuditLog.object_type == "recording")
                              .order_by(AuditLog.id))]
    assert actions == [("legal_hold_set", "case 7"), ("legal_hold_lifted", "case closed"),
                       ("recording_deleted", "expired")]


def test_switch_paths_map_to_the_shared_folder(sessions, folder, tmp_path):
    """FreeSWITCH on another host writes /var/lib/freeswitch/recordings/...; the same
    share is mounted here as `folder`: verify reads the file here."""
    paths = RecordingPaths(folder, "/var/lib/freeswitch/recordings")
    add_recorded_call(sessions, folder / "2026" / "11" / "24", "remote",
                      stored_path="/var/lib/freeswitch/recordings/2026/11/24/remote-call.wav")
    assert paths.local("/var/lib/freeswitch/recordings/2026/11/24/remote-call.wav") == \
        folder / "2026" / "11" / "24" / "remote-call.wav"
    assert paths.for_switch(folder / "x" / "y.wav") == "/var/lib/freeswitch/recordings/x/y.wav"
    with sessions() as db:
        report = housekeeping.verify(db, paths)
    assert (report.checked, report.ok, report.orphaned) == (1, True, [])
    with sessions() as db:
        report = housekeeping.verify(db, RecordingPaths(folder))  # not mapped: missing
    assert len(report.missing) == 1 and len(report.orphaned) == 1
