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
    from gevent.pywsgi import WSGIServer

    from callcenter.engine import Engine, build_services
    from web import create_app

    stop = _stop_on_signals()  # before anything starts: a SIGTERM during start-up stops cleanly too
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
    from web.metrics import serve_metrics
    metrics = serve_metrics(services)  # None unless metrics.bind is set
    log.info("console on http://%s:%d/ (health: /health; switch: %s%s)", config.web.bind,
             config.web.port, config.switch.kind,
             ", simulated: no real calls" if simulator is not None else "")
    log.info("stopping on %s", stop.get())
    server.stop(timeout=5)
    if metrics is not None:
        metrics.stop(timeout=5)
    engine.stop()
    if simulator is not None:
        simulator.close()
    return 0


def _stop_on_signals():
    """A result set to the signal's name by SIGTERM (systemd, docker, kill), exactly as by
    Ctrl-C (SIGINT): ``get()`` waits for it."""
    import gevent
    from gevent.event import AsyncResult

    stop = AsyncResult()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop.set, signal.Signals(signum).name)
    return stop


def run(context) -> int:
    return serve(context)
