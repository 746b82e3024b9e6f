"""Run the switch simulator on its own: `python -m callcenter.sim --port 8021`.
The ESL password comes from an environment variable, never the command line."""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent.event import AsyncResult  # noqa: E402

from .simulator import Simulator  # noqa: E402
from .traffic import Traffic  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m callcenter.sim", description=__doc__)
    parser.add_argument("--port", type=int, default=8021)
    parser.add_argument("--password-env", default="CALLCENTER_ESL_PASSWORD")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--fast-media", action="store_true")
    parser.add_argument("--dialplans", default="dialplans")
    parser.add_argument("--phones", default="", help="extensions to register, e.g. 1001,1002")
    parser.add_argument("--traffic", type=float, default=0.0, help="inbound calls per minute")
    args = parser.parse_args(argv)
    password = os.environ.get(args.password_env, "")
    if not password:
        print(f"set the ESL password in ${args.password_env}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = _stop_on_signals()
    sim = Simulator(password, port=args.port, speed=args.speed, fast_media=args.fast_media,
                    dialplan_dir=args.dialplans)
    sim.start()
    for ext in filter(None, args.phones.split(",")):
        sim.register_phone(ext.strip(), "answer:2")
    traffic = None
    if args.traffic > 0:
        traffic = Traffic(sim, ("10000", "10001", "10002", "10003"), args.traffic)
        traffic.start()
    logging.getLogger("callcenter.sim").info("sim: stopping on %s", stop.get())
    if traffic is not None:
        traffic.stop()
    sim.close()
    logging.getLogger("callcenter.sim").info("sim: simulator stopped")
    return 0


def _stop_on_signals() -> AsyncResult:
    """Set to the signal's name by SIGTERM (systemd, docker, kill) exactly as by Ctrl-C."""
    stop = AsyncResult()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop.set, signal.Signals(signum).name)
    return stop


if __name__ == "__main__":
    sys.exit(main())
