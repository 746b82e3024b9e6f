"""A real softphone for the real-switch level: Debian's baresip as an agent's phone.

    phone = BaresipPhone(tmp_path, switch, "1008", password).start()   # registered
    phone.command("hold"); phone.command("resume")                    # as the agent would
    phone.quit()                                                       # un-REGISTERs, exits
    phone.start()                                                      # comes back

It auto-answers (answermode=auto), sends a 300 Hz tone read from a WAV file as the
agent's voice (no sound card: the aufile source and the aubridge player), speaks
PCMA / PCMU, and is driven over its ctrl_tcp control port (netstring JSON) with
the menu module's commands. The sndfile filter writes what the phone heard to
`<workdir>/heard/*-dec.wav`.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from realswitch import RealSwitch, SwitchFailed, free_port

skip_without_baresip = pytest.mark.skipif(shutil.which("baresip") is None,
                                          reason="baresip is not installed (Debian package baresip-core)")


def _tone(path: Path, seconds: int = 120) -> None:
    import math
    import struct
    import wave
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        second = struct.pack("<8000h", *(int(6000 * math.sin(2 * math.pi * 300 * i / 8000))
                                         for i in range(8000)))
        w.writeframes(second * seconds)


class BaresipPhone:
    def __init__(self, workdir: Path, switch: RealSwitch, extension: str, password: str):
        self.workdir = workdir / f"baresip-{extension}"
        self.switch, self.extension, self.password = switch, extension, password
        self.sip_port, self.control_port = free_port(socket.SOCK_DGRAM), free_port()
        self.process: subprocess.Popen | None = None

    @property
    def heard_dir(self) -> Path:
        return self.workdir / "heard"

    def configure(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.heard_dir.mkdir(exist_ok=True)
        tone = self.workdir / "voice.wav"
        if not tone.exists():
            _tone(tone)
        (self.workdir / "config").write_text(f"""\
poll_method epoll
sip_listen 127.0.0.1:{self.sip_port}
audio_source aufile,{tone}
audio_player aubridge,nil
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{self.control_port}
snd_path {self.heard_dir}
""")
        (self.workdir / "accounts").write_text(
            f"<sip:{self.extension}@127.0.0.1:{self.switch.ports.agents_sip}>;auth_pass={self.password};"
            "answermode=auto;regint=60;audio_codecs=PCMA,PCMU\n")

    def start(self, timeout: float = 10) -> BaresipPhone:
        self.configure()
        self._log = (self.workdir / "baresip.log").open("ab")
        self.process = subprocess.Popen(["baresip", "-f", str(self.workdir)], cwd=self.workdir,
                                        stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"{self.extension}@callcenter" in self.switch.api("sofia status profile agents reg"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise SwitchFailed(f"baresip {self.extension} did not register:\n{self.log_text()[-2000:]}")

    def command(self, name: str, params: str = "", timeout: float = 5) -> dict:
        """A menu command over ctrl_tcp (e.g. hold, resume, hangup); its JSON response."""
        body = json.dumps({"command": name, "params": params, "token": name}).encode()
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=timeout) as sock:
            sock.sendall(str(len(body)).encode() + b":" + body + b",")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                length, sep, rest = data.partition(b":")
                if sep and length.isdigit() and len(rest) > int(length):
                    break
        length, _, rest = data.partition(b":")
        return json.loads(rest[:int(length)]) if length.isdigit() else {}

    def quit(self, timeout: float = 10) -> None:
        """The agent closes the softphone (its quit command): baresip un-REGISTERs and exits.
        (A SIGTERM'd baresip exits without un-registering.)"""
        if self.process is not None and self.process.poll() is None:
            try:
                self.command("quit")
            except OSError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        path = self.workdir / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""
