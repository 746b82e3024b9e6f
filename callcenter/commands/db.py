"""`callcenter db ...`: schema migrations and demo data."""
from __future__ import annotations

import argparse

from callcenter import db
from callcenter.seed import seed_demo


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema and demo data")
    commands = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    commands.add_parser("upgrade", help="create or migrate the schema to the newest revision") \
        .set_defaults(handler=upgrade)
    commands.add_parser("status", help="show the schema revision and whether it is current") \
        .set_defaults(handler=status)
    seeding = commands.add_parser("seed-demo", help="load the demo data set (does nothing if present)")
    seeding.add_argument("--customers", type=int, default=200, help="number of demo customers")
    seeding.set_defaults(handler=seed)


def upgrade(context) -> int:
    engine = db.make_engine(context.config.database_url)
    before = db.current_revision(engine)
    db.upgrade(engine)
    after = db.current_revision(engine)
    print(f"database schema: {before or 'empty'} -> {after}" if before != after
          else f"database schema already current ({after})")
    return 0


def status(context) -> int:
    engine = db.make_engine(context.config.database_url)
    current, head = db.current_revision(engine), db.head_revision()
    print(f"current: {current or 'empty'}\nhead:    {head}")
    return 0 if current == head else 1


def seed(context) -> int:
    engine = db.make_engine(context.config.database_url)
    db.check_schema_current(engine)
    report = seed_demo(db.session_factory(engine), customers=context.args.customers)
    print(report.describe())
    return 0
