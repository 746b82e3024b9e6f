"""`callcenter recordings ...`: verify files against their sha256, apply the
retention policy, set or lift a legal hold. Exit codes: 0 all well, 1 problems
found (verify) or a refused request, 2 bad arguments."""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from callcenter import db
from callcenter.qa import housekeeping
from callcenter.qa.retention import DELETE
from callcenter.qa.storage import RecordingPaths

EXIT_PROBLEMS = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("recordings", help="recordings: verify, retention, legal hold")
    commands = parser.add_subparsers(dest="recordings_command", metavar="ACTION", required=True)

    commands.add_parser("verify", help="re-hash every recording against its sha256; report "
                                       "missing, changed and orphaned files (exit 1 if any) "
                                       "and, apart, those the switch discarded as empty") \
        .set_defaults(handler=verify_command)

    retention = commands.add_parser(
        "retention", help="delete recordings past retain_until (legal hold, open QA disputes "
                          "and open tickets excepted), one audit row each")
    retention.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
    retention.add_argument("--today", type=date.fromisoformat,
                           help="the day to judge by, YYYY-MM-DD (default: today in general.timezone)")
    retention.set_defaults(handler=retention_command)

    hold = commands.add_parser("hold", help="put a recording on legal hold (audited)")
    hold.add_argument("recording_id", type=int, metavar="ID")
    hold.add_argument("--reason", required=True, help="case or request number")
    hold.set_defaults(handler=hold_command, held=True)

    release = commands.add_parser("release", help="lift a recording's legal hold (audited)")
    release.add_argument("recording_id", type=int, metavar="ID")
    release.add_argument("--reason", default="", help="why it is lifted")
    release.set_defaults(handler=hold_command, held=False)


def _sessions(context):
    engine = db.make_engine(context.config.database_url)
    db.check_schema_current(engine)
    return db.session_factory(engine)


def verify_command(context) -> int:
    paths = RecordingPaths.from_config(context.config)
    with _sessions(context)() as session:
        report = housekeeping.verify(session, paths)
    for label, rows in (("MISSING", report.missing), ("CHANGED", report.changed),
                        ("UNHASHED", report.unhashed)):
        for recording_id, path in rows:
            print(f"{label} recording {recording_id}: {path}")
    for path in report.orphaned:
        print(f"ORPHANED {path}: no recording names this file")
    for recording_id, path in report.empty:
        print(f"EMPTY recording {recording_id}: no audio, the switch discarded {path}")
    print(f"{report.checked} recordings checked: {len(report.missing)} missing, "
          f"{len(report.changed)} changed, {len(report.orphaned)} orphaned, "
          f"{len(report.unhashed)} never hashed; {len(report.empty)} empty (no audio)")
    return 0 if report.ok else EXIT_PROBLEMS


def retention_command(context) -> int:
    config = context.config
    now = datetime.now(timezone.utc)
    today = context.args.today or now.astimezone(ZoneInfo(config.general.timezone)).date()
    paths = RecordingPaths.from_config(config)
    with db.transaction(_sessions(context)) as session:
        decisions = housekeeping.retention(session, paths, today, now,
                                           dry_run=context.args.dry_run)
    deleted = [d for d in decisions if d.action == DELETE]
    kept = [d for d in decisions if d.action != DELETE and d.reason != "not_due"]
    verb = "would delete" if context.args.dry_run else "deleted"
    for decision in deleted:
        print(f"{verb} recording {decision.recording_id}")
    for decision in kept:
        print(f"kept recording {decision.recording_id}: past its date but {decision.reason}")
    print(f"{len(deleted)} {verb}, {len(kept)} past their date but held, "
          f"{len(decisions) - len(deleted) - len(kept)} not due (as of {today})")
    return 0


def hold_command(context) -> int:
    args = context.args
    actor = housekeeping.Actor(login=f"cli:{_os_user()}")
    try:
        with db.transaction(_sessions(context)) as session:
            housekeeping.set_legal_hold(session, args.recording_id, args.held, args.reason, actor)
    except housekeeping.HoldError as exc:
        print(f"callcenter recordings: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"recording {args.recording_id}: legal hold {'set' if args.held else 'lifted'}")
    return 0


def _os_user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"
