"""Hashing a one-hour recording: how long the event loop stalls (prints figures; not a test).

A one-hour stereo 8 kHz 16-bit WAV is about 115 MB. The engine measures and
hashes a closed recording (callcenter.live.recordings) and `verify` / the QA
desk hash through callcenter.qa.storage. Done in gevent's thread pool, the other
calls' greenlets keep running; done inline, every call waits for the whole hash.
A ticker greenlet that wakes every 10 ms reports its worst lateness either way.
"""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402

from callcenter.qa.storage import sha256_of, sha256_off_loop  # noqa: E402

ONE_HOUR_BYTES = 8000 * 2 * 2 * 3600


def worst_lateness(work) -> tuple[float, float]:
    worst, running = 0.0, True

    def ticker():
        nonlocal worst
        while running:
            started = time.monotonic()
            gevent.sleep(0.01)
            worst = max(worst, time.monotonic() - started - 0.01)

    tick = gevent.spawn(ticker)
    gevent.sleep(0.05)
    started = time.monotonic()
    work()
    took = time.monotonic() - started
    running = False
    tick.join()
    return took, worst


def main() -> None:
    with tempfile.NamedTemporaryFile(suffix=".wav", delete=False) as file:
        chunk = os.urandom(1 << 20)
        for _ in range(ONE_HOUR_BYTES // len(chunk)):
            file.write(chunk)
        path = file.name
    try:
        sha256_of(path)  # warm the page cache: both runs read from memory
        for name, work in (("inline (blocks the loop)", lambda: sha256_of(path)),
                           ("thread pool (as the engine does)", lambda: sha256_off_loop(path))):
            took, worst = worst_lateness(work)
            print(f"{name:34s} hash {ONE_HOUR_BYTES / 1e6:.0f} MB in {took * 1000:6.0f} ms; "
                  f"worst event-loop stall {worst * 1000:6.1f} ms")
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
