"""`callcenter reports rebuild --from --to`: recompute service indicators from the log."""
from __future__ import annotations

import argparse
import time
from datetime import date


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reports", help="service indicators (docs/indicators.md)")
    commands = parser.add_subparsers(dest="reports_command", metavar="ACTION", required=True)
    rebuild = commands.add_parser("rebuild", help="recompute the interval figures of a period "
                                  "from the call and agent logs (replaces what was stored)")
    rebuild.add_argument("--from", dest="first", type=_day, required=True, metavar="YYYY-MM-DD",
                         help="first day (the center's time zone)")
    rebuild.add_argument("--to", dest="last", type=_day, required=True, metavar="YYYY-MM-DD",
                         help="last day, included")
    rebuild.set_defaults(handler=run_rebuild)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def run_rebuild(context) -> int:
    from callcenter import db
    from callcenter.reports.store import Settings, rebuild

    args = context.args
    if args.last < args.first:
        print(f"callcenter reports rebuild: --to {args.last} is before --from {args.first}")
        return 2
    engine = db.make_engine(context.config.database_url)
    db.check_schema_current(engine)
    settings = Settings.from_config(context.config)
    start, end = settings.period(args.first, args.last)
    began = time.perf_counter()
    rows = rebuild(engine, settings, start, end)
    print(f"rebuilt {args.first} to {args.last} ({settings.minutes}-minute intervals, "
          f"{settings.zone.key}): {rows} interval rows in {time.perf_counter() - began:.1f} s")
    return 0
