"""`callcenter freeswitch ...`: check the FreeSWITCH kit, generate the agents' directory."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from callcenter.freeswitch import SHIPPED_KIT


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("freeswitch", help="the FreeSWITCH configuration kit")
    commands = parser.add_subparsers(dest="freeswitch_command", metavar="ACTION", required=True)

    check = commands.add_parser(
        "check", help="validate a FreeSWITCH configuration kit (exit 1 and what to fix on failure)")
    check.add_argument("--kit", type=Path, default=SHIPPED_KIT, metavar="DIR",
                       help=f"the directory holding freeswitch.xml (default: {SHIPPED_KIT})")
    check.add_argument("--engine-port", type=int, metavar="PORT",
                       help="the engine's event socket port (default: switch.port of the configuration)")
    check.set_defaults(handler=check_command)

    users = commands.add_parser(
        "users", help="write one directory XML file per active agent (SIP digest a1-hash); "
                      "the running engine does this by itself when switch.sip_directory is set")
    users.add_argument("--output", type=Path, metavar="DIR",
                       help="where to write: the DEPLOYED kit's directory/users "
                            "(default: switch.sip_directory of the configuration)")
    users.set_defaults(handler=users_command)


def check_command(context) -> int:
    from callcenter.freeswitch.kit import check_kit

    args = context.args
    port = args.engine_port if args.engine_port is not None else context.config.switch.port
    report = check_kit(args.kit, engine_port=port, environ=os.environ)
    base = args.kit.resolve().parent
    if report.ok:
        print(f"FreeSWITCH kit {args.kit}: OK\n"
              f"  event socket port {report.esl_port} (engine: {port})\n"
              f"  hotline numbers reachable from the carrier: {', '.join(report.hotline_numbers)}\n"
              f"  modules: {len(report.modules)}")
        return 0
    print(f"FreeSWITCH kit {args.kit}: {len(report.problems)} problem(s) to fix", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem.describe(base)}", file=sys.stderr)
    return 1


def users_output(args, config) -> Path | None:
    """--output, else switch.sip_directory (relative to the configuration file); never the
    source checkout's kit, which FreeSWITCH does not read once the kit is deployed."""
    if args.output is not None:
        return args.output
    folder = config.switch.sip_directory
    return config.base_directory / folder if folder else None


def users_command(context) -> int:
    from callcenter import db
    from callcenter.freeswitch.directory import write_directory

    output = users_output(context.args, context.config)
    if output is None:
        print(f"{context.config.source}: switch.sip_directory is empty: say where the deployed kit's users "
              "are, e.g. --output /srv/callcenter/freeswitch-conf/directory/users, or set "
              "switch.sip_directory", file=sys.stderr)
        return 2
    engine = db.make_engine(context.config.database_url)
    db.check_schema_current(engine)
    report = write_directory(db.session_factory(engine), output)
    print(report.describe(output))
    return 0
