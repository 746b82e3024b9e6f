"""`callcenter agents import FILE.csv`: create or update agents from a CSV roster.

The whole file is checked first; any bad row and nothing is written (exit 2,
every problem as ``file:line: field: reason``). Otherwise one transaction
writes every row.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from callcenter import agent_import, db
from callcenter.models import AuditLog

EXIT_BAD_ROWS = 2
EXIT_DATABASE_CHANGED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("agents", help="agents: bulk import")
    commands = parser.add_subparsers(dest="agents_command", metavar="ACTION", required=True)
    importing = commands.add_parser(
        "import", help="create or update agents from a CSV file (all rows or none)",
        description="Columns (header row): login,name,extension,role,password,sip_password,"
                    "skills,language,active; login and name are required. skills: "
                    "'billing:9;general:5' (the agent's whole skill set). An empty cell keeps an "
                    "existing agent's value. sip_password defaults to password.")
    importing.add_argument("file", type=Path, metavar="FILE.csv")
    importing.add_argument("--dry-run", action="store_true",
                           help="check the file against the database and say what would change; "
                                "write nothing")
    importing.set_defaults(handler=import_command)


def import_command(context) -> int:
    path: Path = context.args.file
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        return EXIT_BAD_ROWS
    engine = db.make_engine(context.config.database_url)
    db.check_schema_current(engine)
    sessions = db.session_factory(engine)
    with sessions() as session:
        roster = agent_import.load_roster(session)
    result = agent_import.parse_roster(text, roster)
    if result.problems:
        _print_problems(path, result.problems)
        return EXIT_BAD_ROWS
    summary = f"{len(result.created)} to create, {len(result.updated)} to update"
    if context.args.dry_run:
        print(f"{path}: {len(result.rows)} row(s) OK: {summary} (dry run: nothing written)")
        return 0
    started = time.monotonic()
    credentials = agent_import.hash_credentials(result.rows, roster, progress=_progress)
    hashed = time.monotonic()
    try:
        with db.transaction(sessions) as session:
            agent_import.apply_rows(session, result.rows, credentials)
            session.add(_audit(path, result))
    except IntegrityError as exc:
        print(f"{path}: the database changed during the import ({exc.orig}); nothing was written, "
              "run it again", file=sys.stderr)
        return EXIT_DATABASE_CHANGED
    done = time.monotonic()
    print(f"{path}: {len(result.created)} agent(s) created, {len(result.updated)} updated "
          f"in one transaction ({done - started:.1f} s: passwords {hashed - started:.1f} s, "
          f"database {done - hashed:.1f} s)")
    print(_next_steps(context))
    return 0


def _progress(done: int, total: int) -> None:
    if total >= 100:
        print(f"  passwords hashed: {done}/{total}", file=sys.stderr, flush=True)


def _print_problems(path: Path, problems: list[agent_import.Problem]) -> None:
    for problem in problems:
        print(problem.describe(str(path)), file=sys.stderr)
    lines = len({problem.line for problem in problems})
    print(f"{path}: {len(problems)} problem(s) on {lines} line(s); nothing was written",
          file=sys.stderr)


def _audit(path: Path, result: agent_import.ImportResult) -> AuditLog:
    return AuditLog(actor_login=f"cli:{getpass.getuser()}"[:60], action="agents_import",
                    object_type="agent", object_id=None,
                    details={"file": path.name, "created": result.created,
                             "updated": result.updated})


def _next_steps(context) -> str:
    config = f" --config {context.args.config}" if context.args.config else ""
    return "\n".join([
        "Next, so that FreeSWITCH knows the phones (new extensions and SIP passwords):",
        f"  callcenter{config} freeswitch users [--output <kit>/directory/users]",
        "  fs_cli -x reloadxml",
        "New agents can log in to the console at once; a running engine picks up changed skills "
        "and extensions of existing agents at the latest at its next restart (calls in progress are kept).",
    ])
