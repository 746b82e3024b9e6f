"""`callcenter run`: the engine and its console in one gevent process."""
from __future__ import annotations

import argparse
import logging
import signal

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="start the engine and its web console")
    parser.set_defaults(handler=run)


def run(context) -> int:
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from gevent.pywsgi import WSGIServer

    from callcenter.engine import build_services
    from web import create_app

    config = context.config
    logging.getLogger().setLevel(config.general.log_level)
    services = build_services(config)
    app = create_app(services)
    server = WSGIServer((config.web.bind, config.web.port), app, log=None)
    server.start()
    log.info("console and health page on http://%s:%d/ (switch: %s)",
             config.web.bind, config.web.port, config.switch.kind)
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGINT, stop.set)
    stop.wait()
    log.info("stopping")
    server.stop(timeout=5)
    return 0
