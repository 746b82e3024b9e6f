"""`callcenter tickets ...`: check the dispatch rules file, flag deadlines, forward
the outbox. Exit codes: 0 fine, 1 messages left undelivered, 2 a broken rules file."""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone

from callcenter import db
from callcenter.tickets import outbox, service
from callcenter.tickets.dispatch import DEFAULT_RULES, DispatchRulesError, load_rules

EXIT_UNDELIVERED, EXIT_BAD_RULES = 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tickets", help="tickets: dispatch rules, deadlines, outbox")
    parser.add_argument("--rules", default=str(DEFAULT_RULES), metavar="FILE",
                        help="the dispatch rules file (default: the shipped one)")
    commands = parser.add_subparsers(dest="tickets_command", metavar="ACTION", required=True)
    commands.add_parser("check", help="check the rules file; every problem as file:line:column") \
        .set_defaults(handler=check_command)
    commands.add_parser("sweep", help="flag tickets whose answer-back deadline is near or past") \
        .set_defaults(handler=sweep_command)
    forward = commands.add_parser("forward", help="send the roaming complaints that are due to "
                                                  "the home center (forward: endpoint)")
    forward.add_argument("--every", type=float, metavar="SECONDS",
                         help="keep running, trying again every SECONDS (default: once)")
    forward.set_defaults(handler=forward_command)


def _rules(context):
    try:
        return load_rules(context.args.rules)
    except DispatchRulesError as exc:
        print(f"callcenter: the dispatch rules file is broken\n{exc}", file=sys.stderr)
        return None


def _sessions(context):
    engine = db.make_engine(context.config.database_url)
    db.check_schema_current(engine)
    return db.session_factory(engine)


def check_command(context) -> int:
    rules = _rules(context)
    if rules is None:
        return EXIT_BAD_RULES
    print(f"{context.args.rules}: {len(rules.groups)} groups, {len(rules.rules)} rules, "
          f"{len(rules.deadlines)} deadlines")
    return 0


def sweep_command(context) -> int:
    rules = _rules(context)
    if rules is None:
        return EXIT_BAD_RULES
    with db.transaction(_sessions(context)) as session:
        flagged = service.sweep_deadlines(session, rules, datetime.now(timezone.utc))
    for number, flag in flagged:
        print(f"{number} {flag}")
    print(f"{len(flagged)} tickets flagged")
    return 0


def forward_command(context) -> int:
    rules = _rules(context)
    if rules is None:
        return EXIT_BAD_RULES
    if not rules.forward_endpoint:
        print("nothing to do: the rules file sets no 'forward: endpoint:'")
        return 0
    sessions = _sessions(context)
    while True:
        counts = outbox.deliver_due(sessions, rules.forward_endpoint, rules.forward_attempts,
                                    datetime.now(timezone.utc))
        print(f"sent {counts['sent']}, to retry {counts['pending']}, failed {counts['failed']}")
        if not context.args.every:
            return EXIT_UNDELIVERED if counts["pending"] or counts["failed"] else 0
        time.sleep(context.args.every)
