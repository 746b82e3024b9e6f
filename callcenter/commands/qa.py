"""`callcenter qa validate [FILE...]`: check scorecard files (file:line:column errors)."""
from __future__ import annotations

import argparse
from pathlib import Path

from callcenter.qa.scorecard import load_files, scorecard_files


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("qa", help="QA scorecard forms: validate")
    commands = parser.add_subparsers(dest="qa_command", metavar="ACTION", required=True)
    validate = commands.add_parser("validate", help="check scorecard files")
    validate.add_argument("files", nargs="*", metavar="FILE",
                          help="scorecard files (default: every file in qa.scorecards_directory)")
    validate.set_defaults(handler=validate_command)


def validate_command(context) -> int:
    files = [Path(f) for f in context.args.files] or \
        scorecard_files(context.config.qa.scorecards_directory)
    if not files:
        print(f"no scorecard files in {context.config.qa.scorecards_directory}")
        return 1
    cards, problems = load_files(files)
    for card in cards:
        print(f"ok: form '{card.name}' version {card.version}, {len(card.items)} items, "
              f"{sum(1 for i in card.items if i.critical)} critical")
    for problem in problems:
        print(problem)
    print(f"{len(files)} file(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0
