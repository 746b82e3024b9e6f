"""A real FreeSWITCH on the project's kit, for the real-switch test level.

`RealSwitch` copies freeswitch-conf/ and dialplans/ into a temporary
directory, writes local/realswitch.xml with free high ports (SIP, event
socket, RTP) and test paths, starts the binary in the foreground with its
log, database, run and temp directories in that directory, waits until the
event socket answers and the SIP profiles run, and stops it again.

    switch = RealSwitch(tmp_path)          # needs freeswitch_binary() to be found
    switch.start()
    switch.api("sofia status")             # one-shot ESL api command over a raw socket
    switch.stop()

Tests mark themselves with `pytest.mark.realswitch` and use `skip_without_freeswitch`
(skipped with the reason when no binary is found on PATH or in $FREESWITCH_BIN).
SIPp helpers (`sipp`, the scenario builders) drive calls and registrations.
"""
from __future__ import annotations

if __name__ == "__main__":  # the engine child (EngineProcess): gevent first
    from gevent import monkey
    monkey.patch_all()

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "freeswitch-conf"
DIALPLANS = ROOT / "dialplans"
MODULES = ("mod_console", "mod_logfile", "mod_cdr_csv", "mod_event_socket", "mod_sofia", "mod_loopback",
           "mod_commands", "mod_dptools", "mod_db", "mod_hash", "mod_dialplan_xml", "mod_sndfile",
           "mod_native_file", "mod_tone_stream", "mod_local_stream", "mod_say_en", "mod_say_zh")


def freeswitch_binary() -> str | None:
    configured = os.environ.get("FREESWITCH_BIN")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("freeswitch")


def _skip_reason() -> str:
    configured = os.environ.get("FREESWITCH_BIN")
    if configured:
        return f"FREESWITCH_BIN={configured} is not an executable file"
    return "no FreeSWITCH: no `freeswitch` on PATH and FREESWITCH_BIN is not set"


skip_without_freeswitch = pytest.mark.skipif(freeswitch_binary() is None, reason=_skip_reason())
skip_without_sipp = pytest.mark.skipif(shutil.which("sipp") is None,
                                       reason="no SIPp: install Debian's sip-tester")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (SIP listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
            try:
                with socket.socket(socket.AF_INET, other) as second:
                    second.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


class SwitchFailed(RuntimeError):
    """FreeSWITCH did not start or did not answer in time (the message has its log's tail)."""


@dataclass(frozen=True)
class Ports:
    agents_sip: int
    public_sip: int
    esl: int
    rtp_start: int


class RealSwitch:
    """One FreeSWITCH process on a private copy of the kit."""

    def __init__(self, workdir: Path, *, park_timeout: int = 20, carrier_cidrs: str = "127.0.0.1/32",
                 overrides: Mapping[str, str] | None = None, binary: str | None = None,
                 give_password: bool = True):
        """give_password=False starts FreeSWITCH without CALLCENTER_ESL_PASSWORD (as an operator
        who forgot it would); the helper then cannot use the event socket itself and start()
        only waits until it accepts connections."""
        self.workdir = workdir
        self.binary = binary or freeswitch_binary()
        self.give_password = give_password
        self.password = "test-" + secrets.token_hex(12)
        # below Linux's ephemeral ports (32768-60999): SIPp, tshark and every client socket
        # take theirs there, and FreeSWITCH hangs a call up (RTP "Bind Error",
        # INCOMPATIBLE_DESTINATION) when its RTP port is already taken
        rtp = 10000 + secrets.randbelow(1000) * 20
        self.ports = Ports(free_port(), free_port(), free_port(), rtp)
        self.conf_dir = workdir / "kit" / "freeswitch-conf"
        self.prompts_dir = workdir / "prompts"
        self.log_dir = workdir / "log"
        self.variables = {
            "cc_sip_ip": "127.0.0.1", "cc_rtp_ip": "127.0.0.1", "cc_ext_ip": "127.0.0.1",
            "cc_agents_sip_port": str(self.ports.agents_sip), "cc_public_sip_port": str(self.ports.public_sip),
            "cc_esl_port": str(self.ports.esl), "cc_carrier_cidrs": carrier_cidrs,
            "cc_rtp_start_port": str(rtp), "cc_rtp_end_port": str(rtp + 18),
            "cc_prompts_dir": str(self.prompts_dir), "cc_moh_dir": str(self.prompts_dir / "moh"),
            "cc_park_timeout": str(park_timeout), "cc_max_sessions": "50",
            **(overrides or {})}
        self.process: subprocess.Popen | None = None
        self._copied = False

    # -- preparing the kit --------------------------------------------------------------
    def prepare(self) -> Path:
        """Copy the kit and write the test's overrides; returns the conf directory.
        Tests may add files (directory users, prompts) between prepare() and start()."""
        if self._copied:
            return self.conf_dir
        shutil.copytree(KIT, self.conf_dir)
        shutil.copytree(DIALPLANS, self.conf_dir.parent / "dialplans")
        for stale in list((self.conf_dir / "local").glob("*.xml")) + \
                list((self.conf_dir / "directory" / "users").glob("*.xml")):
            stale.unlink()
        lines = ["<include>"] + [f'  <X-PRE-PROCESS cmd="set" data="{key}={value}"/>'
                                 for key, value in self.variables.items()] + ["</include>", ""]
        (self.conf_dir / "local" / "realswitch.xml").write_text("\n".join(lines))
        for name in ("log", "db", "run", "temp", "storage", "cache", "recordings", "sounds"):
            (self.workdir / name).mkdir(parents=True, exist_ok=True)
        (self.prompts_dir / "moh").mkdir(parents=True, exist_ok=True)
        self._copied = True
        return self.conf_dir

    def engine_config(self) -> str:
        """The `switch:` section of a callcenter configuration for this switch (YAML)."""
        return (f"switch:\n  kind: freeswitch\n  host: 127.0.0.1\n  port: {self.ports.esl}\n"
                f"  password: {self.password}\n")

    @property
    def users_dir(self) -> Path:
        return self.conf_dir / "directory" / "users"

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        if self.binary is None:
            pytest.skip(_skip_reason())
        self.prepare()
        w = self.workdir
        command = [self.binary, "-nf", "-nc", "-nonat", "-nonatmap",
                   "-conf", str(self.conf_dir), "-log", str(w / "log"), "-db", str(w / "db"),
                   "-run", str(w / "run"), "-temp", str(w / "temp"), "-storage", str(w / "storage"),
                   "-cache", str(w / "cache"), "-recordings", str(w / "recordings"),
                   "-sounds", str(w / "sounds")]
        env = {key: value for key, value in os.environ.items() if key != "CALLCENTER_ESL_PASSWORD"}
        if self.give_password:
            env["CALLCENTER_ESL_PASSWORD"] = self.password
        self._output = (w / "stdout.log").open("wb")
        self.process = subprocess.Popen(command, stdout=self._output, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, cwd=w, start_new_session=True)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = "not started"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SwitchFailed(f"FreeSWITCH exited with {self.process.returncode}\n{self.log_tail()}")
            if not self.give_password:
                try:
                    socket.create_connection(("127.0.0.1", self.ports.esl), timeout=1).close()
                    return
                except OSError as error:
                    last_error = str(error)
                    time.sleep(0.3)
                    continue
            try:
                status = self.api("status", timeout=3)
                profiles = self.api("sofia status", timeout=3)
                if "is ready" in status and profiles.count("RUNNING") >= 2:
                    return
                last_error = f"not ready yet: {status.strip()[:200]} / {profiles.strip()[:300]}"
            except OSError as error:
                last_error = str(error)
            time.sleep(0.3)
        raise SwitchFailed(f"FreeSWITCH not ready after {timeout} s ({last_error})\n{self.log_tail()}")

    def stop(self, timeout: float = 20, quick: bool = False) -> None:
        """Shut FreeSWITCH down gracefully (calls hung up, modules unloaded: about 5 s), or
        with quick=True at once (`fsctl shutdown now`) when the test is over anyway."""
        process, self.process = self.process, None
        if process is None:
            return
        if quick and process.poll() is None and self.give_password:
            try:
                self.api("fsctl shutdown now", timeout=3)
            except OSError:
                pass  # the switch exits before it answers
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            try:
                if not self.give_password:
                    raise OSError("no usable event socket password")
                self.api("fsctl shutdown", timeout=3)
            except OSError:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
        self._output.close()

    def log_tail(self, lines: int = 60) -> str:
        text = ""
        for path in (self.log_dir / "freeswitch.log", self.workdir / "stdout.log"):
            if path.exists():
                text = path.read_text(errors="replace")
                if text.strip():
                    break
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        path = self.log_dir / "freeswitch.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> RealSwitch:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- a one-shot event socket client (raw socket, for readiness and checks) ------------
    def api(self, command: str, timeout: float = 5) -> str:
        """Run one `api` command over a fresh event socket connection; returns the body."""
        with socket.create_connection(("127.0.0.1", self.ports.esl), timeout=timeout) as sock:
            reader = _FrameReader(sock)
            headers, _ = reader.frame()
            if headers.get("Content-Type") != "auth/request":
                raise OSError(f"unexpected greeting {headers}")
            sock.sendall(f"auth {self.password}\n\n".encode())
            headers, _ = reader.frame()
            if not headers.get("Reply-Text", "").startswith("+OK"):
                raise OSError(f"event socket refused the password: {headers.get('Reply-Text')}")
            sock.sendall(f"api {command}\n\n".encode())
            headers, body = reader.frame()
            return body.decode(errors="replace")


class _FrameReader:
    def __init__(self, sock: socket.socket):
        self.sock, self.buffer = sock, b""

    def frame(self) -> tuple[dict[str, str], bytes]:
        while b"\n\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\n\n", 1)
        headers = dict(line.split(": ", 1) for line in head.decode().splitlines() if ": " in line)
        length = int(headers.get("Content-Length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return headers, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError("event socket closed")
        self.buffer += chunk


# -- SIPp ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SippResult:
    returncode: int
    output: str
    messages: str  # the SIP messages sent and received (-trace_msg)

    def responses(self) -> list[int]:
        """Status codes of the SIP responses SIPp received, in order."""
        codes, lines = [], self.messages.splitlines()
        for index, line in enumerate(lines):
            if "message received" in line:
                first = next((text for text in lines[index + 1:] if text.strip()), "")
                if first.startswith("SIP/2.0 "):
                    codes.append(int(first.split()[1]))
        return codes


def sipp(workdir: Path, scenario: str, target: str, *, service: str = "10000", local_ip: str = "127.0.0.1",
         credentials: tuple[str, str] | None = None, extra: tuple[str, ...] = (),
         timeout: float = 60) -> SippResult:
    """Run one SIPp client (one call) against target "ip:port" and wait for it."""
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"scenario-{secrets.token_hex(4)}"
    scenario_file = workdir / f"{name}.xml"
    scenario_file.write_text(scenario)
    trace = workdir / f"{name}_messages.log"
    command = ["sipp", target, "-sf", str(scenario_file), "-s", service, "-i", local_ip,
               "-mi", local_ip, "-p", str(free_port(socket.SOCK_DGRAM)),
               "-mp", str(free_port(socket.SOCK_DGRAM)),
               "-m", "1", "-l", "1", "-nostdin", "-trace_msg",
               "-message_file", str(trace), "-timeout", f"{int(timeout)}s", "-timeout_error", *extra]
    if credentials:
        command += ["-au", credentials[0], "-ap", credentials[1]]
    completed = subprocess.run(command, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=timeout + 15)
    messages = trace.read_text(errors="replace") if trace.exists() else ""
    return SippResult(completed.returncode, (completed.stdout + completed.stderr).decode(errors="replace"),
                      messages)


_SDP = """
      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
"""


def _message(first_line: str, cseq: str, headers: str = "", body: str = "") -> str:
    length = "Content-Type: application/sdp\n      Content-Length: [len]\n" if body else "Content-Length: 0\n"
    return f"""<![CDATA[
      {first_line}
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:13800000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>{'[peer_tag_param]' if 'INVITE' not in cseq else ''}
      Call-ID: [call_id]
      CSeq: {cseq}
      Contact: sip:13800000001@[local_ip]:[local_port]
      Max-Forwards: 70
      {headers}{length}{body}
    ]]>"""


def _scenario(name: str, body: str) -> str:
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
{body}
</scenario>
"""


def caller_scenario(hold_ms: int) -> str:
    """A caller (13800000001) dials [service], is answered, stays hold_ms, hangs up
    (or accepts the switch's BYE if the switch hangs up first)."""
    invite = _message("INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "1 INVITE", body=_SDP)
    ack = _message("ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "1 ACK")
    bye = _message("BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "2 BYE")
    ok = """<![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>"""
    return _scenario("caller, answered, stays, hangs up", f"""
  <send retrans="500">{invite}</send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>{ack}</send>
  <recv request="BYE" timeout="{hold_ms}" ontimeout="hangup"/>
  <send next="end">{ok}</send>
  <label id="hangup"/>
  <send retrans="500">{bye}</send>
  <recv response="200" crlf="true"/>
  <label id="end"/>
  <timewait milliseconds="200"/>""")


def refused_call_scenario(expected: int) -> str:
    """A caller dials [service] and expects the final response `expected` (then ACKs it)."""
    invite = _message("INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "1 INVITE", body=_SDP)
    ack = _message("ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "1 ACK")
    return _scenario(f"call refused with {expected}", f"""
  <send retrans="500">{invite}</send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="{expected}"/>
  <send>{ack}</send>""")


def register_scenario(final: int, contact_port: int | None = None, expires: int = 300) -> str:
    """REGISTER user [service] without credentials (expects 401), then with digest
    credentials from SIPp's -au/-ap options, expecting the final response `final`.
    contact_port: where calls to the user should go (default: this SIPp's own port);
    expires=0 removes the registration of that contact."""
    contact = str(contact_port) if contact_port else "[local_port]"
    def register(cseq: int, auth: str) -> str:
        return f"""<![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]reg[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:[service]@[local_ip]:{contact}>
      {auth}Expires: {expires}
      Max-Forwards: 70
      Content-Length: 0
    ]]>"""
    return _scenario(f"register, challenged, then {final}", f"""
  <send retrans="500">{register(1, "")}</send>
  <recv response="401" auth="true"/>
  <send retrans="500">{register(2, "[authentication]" + chr(10) + "      ")}</send>
  <recv response="{final}"/>""")


class AgentPhone:
    """An agent's registered SIP phone that answers every call: a SIPp UAS on its own
    port (SIPp's built-in `uas` scenario: 180, 200 OK, waits for the BYE), registered
    as `extension` with digest credentials, so `originate user/<extension> ...` rings it.

        phone = AgentPhone(tmp_path, switch, "1001", "password").start()
        ...
        phone.stop()
    """

    def __init__(self, workdir: Path, switch: RealSwitch, extension: str, password: str,
                 behaviour: str = "answer"):
        """behaviour: "answer" (SIPp's built-in uas), "reject" (603 Decline), "ring"
        (180 Ringing, never answers; accepts the CANCEL) or "slow" (rings 3 s, then answers)."""
        if behaviour not in PHONE_BEHAVIOURS:
            raise ValueError(f"phone behaviour {behaviour!r}: one of {sorted(PHONE_BEHAVIOURS)}")
        self.workdir, self.switch = workdir / f"phone-{extension}", switch
        self.extension, self.password = extension, password
        self.behaviour = behaviour
        self.port = free_port(socket.SOCK_DGRAM)
        self.process: subprocess.Popen | None = None

    def start(self) -> AgentPhone:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = (self.workdir / "uas.log").open("wb")
        scenario = ["-sn", "uas"]
        if PHONE_BEHAVIOURS[self.behaviour]:
            path = self.workdir / f"uas-{self.behaviour}.xml"
            path.write_text(PHONE_BEHAVIOURS[self.behaviour])
            scenario = ["-sf", str(path)]
        self.process = subprocess.Popen(
            ["sipp", *scenario, "-i", "127.0.0.1", "-p", str(self.port), "-nostdin",
             "-mp", str(free_port(socket.SOCK_DGRAM)), "-trace_msg",
             "-message_file", str(self.workdir / "uas_messages.log")],
            cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        result = sipp(self.workdir, register_scenario(200, contact_port=self.port),
                      f"127.0.0.1:{self.switch.ports.agents_sip}", service=self.extension,
                      credentials=(self.extension, self.password), timeout=20)
        if result.responses() != [401, 200]:
            self.stop()
            raise SwitchFailed(f"agent phone {self.extension} could not register: {result.responses()}\n"
                               f"{result.output[-2000:]}")
        return self

    def unregister(self) -> SippResult:
        """REGISTER with Expires: 0 for the phone's contact (the phone keeps running)."""
        return sipp(self.workdir, register_scenario(200, contact_port=self.port, expires=0),
                    f"127.0.0.1:{self.switch.ports.agents_sip}", service=self.extension,
                    credentials=(self.extension, self.password), timeout=20)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def answered_calls(self) -> int:
        """How many INVITEs the phone answered (200 OK sent), from its SIP trace."""
        trace = self.workdir / "uas_messages.log"
        if not trace.exists():
            return 0
        lines = trace.read_text(errors="replace").splitlines()
        return sum(1 for index, line in enumerate(lines) if "message sent" in line
                   and next((text for text in lines[index + 1:] if text.strip()), "").startswith("SIP/2.0 200")
                   and "INVITE" in _cseq_after(lines, index))


def _cseq_after(lines: list[str], index: int) -> str:
    for text in lines[index + 1:index + 15]:
        if text.lower().startswith("cseq:"):
            return text
    return ""


def _digit_name(digit: str) -> str:
    names = {"*": "star", "#": "pound"}
    if digit not in names and not (len(digit) == 1 and digit.isdigit()):
        raise ValueError(f"DTMF digit {digit!r}: 0-9, * or #")
    return names.get(digit, digit)


def dtmf_caller_scenario(presses: list[tuple[int, str]], hold_ms: int) -> str:
    """A caller (13800000001) dials [service], is answered, then for each (pause_ms, digits)
    waits pause_ms and presses the digits as RFC 2833 events (SIPp plays Debian's
    /usr/share/sip-tester/dtmf_2833_<digit>.pcap, 300 ms apart), then stays up to hold_ms
    and hangs up (or accepts the switch's BYE if the switch hangs up first).

    The pcaps are cut from one recording: their RTP sequence numbers rise in the order
    1..9, *, #, 0, and FreeSWITCH drops a digit whose packets go back in sequence as late
    packets. So one caller's digits must follow that order (ValueError otherwise)."""
    pressed = "".join(digits for _, digits in presses)
    ranks = [DTMF_PCAP_ORDER.index(digit) for digit in pressed if digit in DTMF_PCAP_ORDER]
    if ranks != sorted(set(ranks)) or len(ranks) != len(pressed):
        raise ValueError(f"DTMF {pressed!r}: one caller's digits must follow the pcaps' order "
                         f"{DTMF_PCAP_ORDER!r} without repeats")
    steps = []
    for pause_ms, digits in presses:
        steps.append(f'  <pause milliseconds="{int(pause_ms)}"/>')
        for index, digit in enumerate(digits):
            if index:
                steps.append('  <pause milliseconds="300"/>')
            steps.append('  <nop><action><exec play_pcap_audio="'
                         f'{DTMF_PCAPS}/dtmf_2833_{_digit_name(digit)}.pcap"/></action></nop>')
    base = caller_scenario(hold_ms)
    marker = '  <recv request="BYE" timeout='
    assert marker in base
    return base.replace(marker, "\n".join(steps) + "\n" + marker, 1)


def speaking_caller_scenario(hold_ms: int) -> str:
    """A caller like caller_scenario() who offers PCMA and, once answered, talks: SIPp plays
    Debian's /usr/share/sip-tester/g711a.pcap (7 s of PCMA audio) to the switch."""
    base = caller_scenario(hold_ms)
    offer = "m=audio [media_port] RTP/AVP 0 101\n      a=rtpmap:0 PCMU/8000"
    assert offer in base
    base = base.replace(offer, "m=audio [media_port] RTP/AVP 8 101\n      a=rtpmap:8 PCMA/8000")
    marker = '  <recv request="BYE" timeout='
    talk = f'  <nop><action><exec play_pcap_audio="{DTMF_PCAPS}/g711a.pcap"/></action></nop>\n'
    return base.replace(marker, talk + marker, 1)


DTMF_PCAPS = "/usr/share/sip-tester"
DTMF_PCAP_ORDER = "123456789*#0"  # by the RTP sequence numbers in the pcaps

_UAS_REPLY = """<![CDATA[
      SIP/2.0 {status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      {cseq}
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>"""

# SIPp server scenarios of a phone that does not answer (None: SIPp's built-in uas answers).
PHONE_BEHAVIOURS: dict[str, str | None] = {
    "answer": None,
    "reject": _scenario("phone rejects every call (603)", f"""
  <recv request="INVITE"/>
  <send>{_UAS_REPLY.format(status="603 Decline", cseq="[last_CSeq:]")}</send>
  <recv request="ACK"/>"""),
    "ring": _scenario("phone rings and never answers", f"""
  <recv request="INVITE"/>
  <send>{_UAS_REPLY.format(status="180 Ringing", cseq="[last_CSeq:]")}</send>
  <recv request="CANCEL"/>
  <send>{_UAS_REPLY.format(status="200 OK", cseq="[last_CSeq:]")}</send>
  <send>{_UAS_REPLY.format(status="487 Request Terminated", cseq="CSeq: [last_cseq_number] INVITE")}</send>
  <recv request="ACK"/>"""),
    "slow": _scenario("phone rings 3 s, answers, waits for the BYE", f"""
  <recv request="INVITE"/>
  <send>{_UAS_REPLY.format(status="180 Ringing", cseq="[last_CSeq:]")}</send>
  <pause milliseconds="3000"/>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]
{_SDP}
    ]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send>{_UAS_REPLY.format(status="200 OK", cseq="[last_CSeq:]")}</send>"""),
}


# -- many agents, load callers, SIP capture, the engine in its own process ---------------------
# (used by tests/test_realswitch_throughput.py and bench/bench_realswitch.py)

def bulk_register_scenario(contact_port: int, expires: int = 3600) -> str:
    """REGISTER the users of an injection file (`SEQUENTIAL`, then
    `extension;[authentication username=extension password=secret];` per line) with digest
    auth; their Contact is `contact_port` (one SIPp UAS answers for all)."""
    def register(cseq: int, auth: str) -> str:
        return f"""<![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]reg[call_number]
      To: <sip:[field0]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:[field0]@[local_ip]:{contact_port}>
      {auth}Expires: {expires}
      Max-Forwards: 70
      Content-Length: 0
    ]]>"""
    return _scenario("bulk register with digest auth", f"""
  <send retrans="500">{register(1, "")}</send>
  <recv response="401" auth="true"/>
  <send retrans="500">{register(2, "[field1]" + chr(10) + "      ")}</send>
  <recv response="200"/>""")


class AgentPhones:
    """Many agents' phones at once: one SIPp UAS (built-in `uas`: 180, 200 OK at once, waits
    for the BYE) answering every INVITE, and one SIPp client registering all the extensions
    with digest auth from an injection CSV, their Contact on the UAS's port."""

    def __init__(self, workdir: Path, switch: RealSwitch, credentials: Mapping[str, str]):
        self.workdir, self.switch, self.credentials = workdir / "phones", switch, dict(credentials)
        self.port = free_port(socket.SOCK_DGRAM)
        self.media_port = free_port(socket.SOCK_DGRAM)
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, rate: int = 100) -> AgentPhones:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = (self.workdir / "uas.log").open("wb")
        self.process = subprocess.Popen(
            ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(self.port), "-nostdin",
             "-mp", str(self.media_port), "-max_socket", "4096", "-trace_err",
             "-error_file", str(self.workdir / "uas_errors.log")],
            cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self.register(rate)
        except BaseException:
            self.stop()
            raise
        return self

    def register(self, rate: int = 100, expires: int = 3600) -> None:
        users = self.workdir / "users.csv"
        users.write_text("SEQUENTIAL\n" + "".join(
            f"{ext};[authentication username={ext} password={pw}];\n" for ext, pw in self.credentials.items()))
        scenario = self.workdir / "register.xml"
        scenario.write_text(bulk_register_scenario(self.port, expires))
        count = len(self.credentials)
        completed = subprocess.run(
            ["sipp", f"127.0.0.1:{self.switch.ports.agents_sip}", "-sf", str(scenario), "-inf", str(users),
             "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)), "-m", str(count), "-r", str(rate),
             "-l", str(rate), "-nostdin", "-timeout", "60s", "-timeout_error", "-trace_err",
             "-error_file", str(self.workdir / "register_errors.log")],
            cwd=self.workdir, stdin=subprocess.DEVNULL, capture_output=True, timeout=90)
        if completed.returncode != 0:
            raise SwitchFailed(f"registering {count} agents failed ({completed.returncode}):\n"
                               f"{(completed.stdout + completed.stderr).decode(errors='replace')[-2000:]}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


def load_caller_scenario(prefix: str, hold_ms: int) -> str:
    """caller_scenario() whose caller number is `prefix` + SIPp's call number (unique per call)."""
    return caller_scenario(hold_ms).replace("13800000001", prefix + "[call_number]")


def sipp_load(workdir: Path, scenario: str, target: str, *, service: str, rate: float, count: int,
              timeout: float) -> subprocess.Popen:
    """Start a SIPp client placing `count` calls at `rate` calls/s (returns the process)."""
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"load-{secrets.token_hex(4)}"
    path = workdir / f"{name}.xml"
    path.write_text(scenario)
    period = 1000
    if rate < 1:
        period, rate = int(1000 / rate), 1
    return subprocess.Popen(
        ["sipp", target, "-sf", str(path), "-s", service, "-i", "127.0.0.1", "-mi", "127.0.0.1",
         "-p", str(free_port(socket.SOCK_DGRAM)), "-mp", str(free_port(socket.SOCK_DGRAM)),
         "-r", f"{rate:g}", "-rp", str(period), "-m", str(count), "-l", str(count + 10), "-nostdin",
         "-max_socket", "4096", "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_err",
         "-error_file", str(workdir / f"{name}_errors.log"), "-trace_stat", "-stf", str(workdir / f"{name}.csv")],
        cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


class SipCapture:
    """tshark capturing SIP (UDP) on the loopback interface to a pcap file; `messages()` reads
    it back as (time, method, status, call_id, from_user, to_user, cseq_method) rows."""

    FIELDS = ("frame.time_epoch", "sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.from.user",
              "sip.to.user", "sip.CSeq.method")

    def __init__(self, path: Path, ports: tuple[int, ...]):
        self.path, self.ports = path, ports
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> SipCapture:
        flt = " or ".join(f"udp port {port}" for port in self.ports)
        self._err = self.path.with_suffix(".tshark.log")
        self.process = subprocess.Popen(["tshark", "-i", "lo", "-f", flt, "-w", str(self.path), "-q", "-B", "64"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._err.open("wb"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Capturing on" in self._err.read_text(errors="replace") and self.path.exists():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"tshark exited: {self._err.read_text(errors='replace')}")
            time.sleep(0.1)
        raise RuntimeError("tshark did not start capturing")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            time.sleep(0.5)  # the last packets
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def messages(self) -> list[tuple]:
        decode = [arg for port in self.ports for arg in ("-d", f"udp.port=={port},sip")]
        completed = subprocess.run(["tshark", "-r", str(self.path), *decode, "-Y", "sip", "-T", "fields",
                                    "-E", "separator=\t", *[a for f in self.FIELDS for a in ("-e", f)]],
                                   capture_output=True, timeout=300)
        rows = []
        for line in completed.stdout.decode(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) < len(self.FIELDS):
                continue
            at, method, status, call_id, from_user, to_user, cseq = parts[:7]
            rows.append((float(at), method, int(status) if status.isdigit() else None, call_id,
                         from_user, to_user, cseq))
        return rows


def cpu_ms(pid: int) -> float:
    """utime + stime of a process (and its reaped children) in milliseconds, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:13])  # utime, stime (fields 14, 15)
    return 1000.0 * ticks / os.sysconf("SC_CLK_TCK")


def _round_robin_realtime() -> None:
    os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))


class EngineProcess:
    """The engine in its own process (`python tests/realswitch.py engine CONFIG`), so its CPU
    is its own and it can be killed with SIGKILL. `ready` logins are logged in ready once
    their phones are registered; the child prints `ready` then, and `flush` flushes its
    call log (answers `ok`)."""

    def __init__(self, config: Path, ready: list[str] = (), log: Path | None = None,
                 realtime: bool = False):
        """``realtime``: run it as docs/systemd/callcenter.service does, round-robin real-time
        at priority 1 (FreeSWITCH's own threads run SCHED_FIFO 1 and up when it may)."""
        self.config, self.ready, self.log = config, list(ready), log or config.with_suffix(".engine.log")
        self.realtime = realtime
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> EngineProcess:
        import sys
        self._logfile = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "engine", str(self.config), ",".join(self.ready)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._logfile, text=True, cwd=str(ROOT),
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            preexec_fn=_round_robin_realtime if self.realtime else None)
        import select
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if line.strip() == "ready":
                    return self
                if not line:
                    break
            if self.process.poll() is not None:
                break
        raise SwitchFailed(f"engine process not ready:\n{self.log.read_text(errors='replace')[-3000:]}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, line: str, timeout: float = 30) -> str:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                self.process.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(5)
        self.process = None
        self._logfile.close()


def _engine_main(config_path: str, ready: str) -> int:
    """The child of EngineProcess."""
    import logging
    import sys

    import gevent
    from gevent.fileobject import FileObjectThread

    from callcenter.config import load_config
    from callcenter.engine import Engine, build_services

    logging.basicConfig(level=os.environ.get("CC_ENGINE_LOG_LEVEL", "INFO"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engine = Engine(build_services(load_config(Path(config_path), environ={})))
    engine.start(connect_timeout=10)
    logins = [login for login in ready.split(",") if login]
    deadline = time.monotonic() + 60
    pending = set(logins)
    while pending and time.monotonic() < deadline:
        for login in list(pending):
            try:
                if engine.shell.core.agent(login).phone_registered:
                    pending.discard(login)
            except Exception:
                pass
        gevent.sleep(0.2)
    if pending:
        registered = {r.extension for r in engine.switch.registrations()}
        for card in engine.agents.call_takers():
            if card.login in pending and card.extension in registered:
                engine.shell.phone(card.extension, True)
    ids = {card.login: card.id for card in engine.agents.call_takers()}
    for login in logins:
        try:
            engine.live.set_agent_state(ids[login], "ready")
        except Exception as error:  # already busy after a restart, say
            logging.getLogger("engine-child").warning("%s not set ready: %s", login, error)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    profile_to = os.environ.get("CC_ENGINE_PROFILE")  # where the benchmarks' profile of the engine goes
    if profile_to:
        import cProfile
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    for line in FileObjectThread(sys.stdin, "r"):
        word = line.strip()
        if word == "flush":
            engine.calllog.flush()
            sys.stdout.write("ok\n")
        elif word == "settle":  # work through the events already here, then write everything
            started = time.monotonic()
            engine.caught_up(timeout=120)
            engine.calllog.flush()
            sys.stdout.write(f"ok {time.monotonic() - started:.1f}\n")
        elif word == "quit":
            break
        sys.stdout.flush()
    if profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)
    engine.stop()
    return 0


if __name__ == "__main__":
    import sys
    if len(sys.argv) >= 3 and sys.argv[1] == "engine":
        sys.exit(_engine_main(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""))
    sys.exit("usage: realswitch.py engine CONFIG [LOGIN,LOGIN...]")
