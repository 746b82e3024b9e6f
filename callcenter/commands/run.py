"""`callcenter run`: the engine and its console in one gevent process."""
from __future__ import annotations

import argparse
import logging
import signal

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="start the engine and its web console")
    parser.set_defaults(handler=run)


def make_simulator(config):
    """The built-in switch simulator, for `switch.kind: simulator` (demo and tests)."""
    from callcenter.engine import dialplans_directory
    from callcenter.sim import Simulator
    return Simulator(config.switch.password, host=config.switch.host, port=config.switch.port,
                     dialplan_dir=dialplans_directory())


def serve(context, prepare=None, **engine_options) -> int:
    """Start the engine and the console, run until SIGTERM / SIGINT."""
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from gevent.event import Event
    from gevent.pywsgi import WSGIServer

    from callcenter.engine import Engine, build_services
    from web import create_app

    config = context.config
    logging.getLogger().setLevel(config.general.log_level)
    services = build_services(config)
    simulator = make_simulator(config) if config.switch.kind == "simulator" else None
    engine = Engine(services, simulator=simulator, **engine_options)
    engine.start()
    if prepare is not None:
        prepare(engine)
    server = WSGIServer((config.web.bind, config.web.port), create_app(services), log=None)
    server.start()
    log.info("console on http://%s:%d/ (health: /health; switch: %s%s)", config.web.bind,
             config.web.port, config.switch.kind,
             ", simulated: no real calls" if simulator is not None else "")
    stop = Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGINT, stop.set)
    stop.wait()
    log.info("stopping")
    server.stop(timeout=5)
    engine.stop()
    if simulator is not None:
        simulator.close()
    return 0


def run(context) -> int:
    return serve(context)
