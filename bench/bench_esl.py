"""ESL layer figures (prints numbers; not a test).

1. Events per second parsed and dispatched on one core, from the FreeSWITCH transcripts
   (shared/esl-traces/park_trace.txt, channel events of ~2-11 KB), next to greenswitch
   0.0.19's own reader (ESLProtocol.receive_events + handle_event: line-by-line read,
   full unquote and split of every event) on the same bytes in the same run:
   a) the transcript as recorded with `event plain ALL` (every event on the wire);
   b) only the events our subscription asks for (what the switch sends us).
2. api round trips per second with p50/p99 latency against the switch simulator.

Run: .venv/bin/python bench/bench_esl.py [--rounds N] [--api N]
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from greenswitch.esl import ESLProtocol  # noqa: E402

from callcenter.esl.connection import SwitchConnection  # noqa: E402
from callcenter.esl.events import EVENT_PARSERS, subscription_command  # noqa: E402
from callcenter.esl.wire import HardenedInboundESL  # noqa: E402
from esl_fixtures import recv_blocks, reframe  # noqa: E402


def event_blocks(narrow: bool) -> list[bytes]:
    blocks = [reframe(b) for b in recv_blocks("park_trace.txt") if b"text/event-plain" in b[:80]]
    if narrow:
        wanted = set(EVENT_PARSERS)
        blocks = [b for b in blocks if re.search(rb"\nEvent-Name: (\w+)", b).group(1).decode() in wanted]
    return blocks


def greenswitch_rate(stream: bytes, count: int) -> float:
    protocol = ESLProtocol()
    protocol.sock = None
    protocol.sock_file = io.BytesIO(stream)
    started = time.perf_counter()
    protocol.receive_events()  # reads until EOF; events land on its queue
    elapsed = time.perf_counter() - started
    assert protocol._esl_event_queue.qsize() == count, protocol._esl_event_queue.qsize()
    return count / elapsed


def our_rate(stream: bytes, count: int) -> tuple[float, int]:
    connection = SwitchConnection("127.0.0.1", 1, "unused")
    dispatched = []
    connection.on_event = dispatched.append
    for uuid in set(re.findall(rb"\nUnique-ID: ([0-9a-f-]{36})", stream)):
        connection.call_events(uuid.decode())
    wire = HardenedInboundESL("127.0.0.1", 1, "unused", timeout=1,
                              on_event_frame=connection._on_frame, on_lost=lambda reason: None)
    started = time.perf_counter()
    for offset in range(0, len(stream), 65536):  # as recv() delivers it
        wire._frames.feed(stream[offset:offset + 65536])
        for frame in wire._frames.frames():
            wire.handle_frame(frame)
    elapsed = time.perf_counter() - started
    return count / elapsed, len(dispatched)


def parse_bench(rounds: int) -> None:
    print(f"subscription: {subscription_command()}")
    for label, narrow in (("a) event plain ALL, as recorded", False),
                          ("b) our subscription only", True)):
        blocks = event_blocks(narrow)
        stream = b"".join(blocks) * rounds
        count = len(blocks) * rounds
        size = len(stream) / count / 1024
        gs, ours, typed = [], [], 0
        for _ in range(3):
            gs.append(greenswitch_rate(stream, count))
            rate, typed = our_rate(stream, count)
            ours.append(rate)
        print(f"{label}: {count} events, mean {size:.1f} KB")
        print(f"   greenswitch reader : {max(gs):10,.0f} events/s")
        print(f"   callcenter.esl     : {max(ours):10,.0f} events/s "
              f"({typed} typed and dispatched)   ratio {max(ours) / max(gs):.1f}x")


def api_bench(count: int) -> None:
    try:
        from callcenter.sim import Simulator
    except ImportError as error:
        print(f"api round trips: simulator not available ({error})")
        return
    sim = Simulator(password="bench-esl-password", dialplan_dir=None)
    port = sim.start()
    connection = SwitchConnection("127.0.0.1", port, "bench-esl-password")
    connection.start()
    try:
        if not connection.wait_connected(5):
            print("api round trips: could not connect to the simulator")
            return
        for _ in range(50):
            connection.api("status")
        latencies = []
        started = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            connection.api("status")
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"api round trips against the simulator: {count / elapsed:,.0f}/s, "
              f"p50 {statistics.median(latencies) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms")
    finally:
        connection.stop()
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="times the transcript is replayed")
    parser.add_argument("--api", type=int, default=5000, help="api round trips to time")
    args = parser.parse_args()
    parse_bench(args.rounds)
    api_bench(args.api)


if __name__ == "__main__":
    main()
