"""`callcenter demo`: the engine, the console and the switch simulator with
synthetic traffic and simulated agents."""
from __future__ import annotations

import argparse

from callcenter.commands.run import serve


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the engine and console on the simulated switch "
                                                "with synthetic callers and agents")
    parser.add_argument("--calls-per-minute", type=float, help="override demo.calls_per_minute")
    parser.set_defaults(handler=demo)


def demo(context) -> int:
    config = context.config
    if config.switch.kind != "simulator":
        print("callcenter demo needs switch.kind: simulator (it never sends traffic to a real switch)")
        return 2

    def prepare(engine) -> None:
        from callcenter.demo import Demo
        rate = context.args.calls_per_minute
        runner = Demo(engine, config.demo.calls_per_minute if rate is None else rate,
                      config.demo.simulated_agents, config.demo.free_seats)
        runner.start()
        print(runner.describe(f"http://{config.web.bind}:{config.web.port}/"), flush=True)

    from callcenter.demo import office_hours_clock
    return serve(context, prepare, ivr_clock=office_hours_clock(config.general.timezone))
