"""The ESL parser fed with real FreeSWITCH transcripts (shared/esl-traces) byte for byte,
and with malformed input."""
import re

import pytest

from callcenter.esl.events import (EVENT_PARSERS, ApplicationCompleted, BackgroundJobDone,
                                   ChannelBridged, ChannelCreated, ChannelDestroyed, ChannelHungUp,
                                   ChannelParked, DtmfPressed, PhoneRegistered, RecordingStarted,
                                   RecordingStopped, SUBSCRIBED, parse_event,
                                   subscription_command)
from callcenter.esl.parse import EventHeaders, FrameReader
from esl_fixtures import recv_blocks, reframe, sent_commands

TRACES = ("park_trace.txt", "register_trace.txt", "outbound_trace.txt")
CALLER = "03f5df1c-bb4c-4c60-a03e-8f8c44b9d40b"
AGENT = "71bf6cb0-10d5-49dd-ac19-7abb9dc405be"


def frames_of(block: bytes):
    reader = FrameReader()
    reader.feed(block)
    return list(reader.frames())


def block_frames(name):
    """One frame per RECV block (each block is one write of the switch), its Content-Length
    corrected for the transcript's host/path rewrite (see esl_fixtures)."""
    result = []
    for block in recv_blocks(name):
        frames = frames_of(reframe(block))
        assert len(frames) == 1, block[:200]
        result.append(frames[0])
    return result


@pytest.mark.parametrize("name", TRACES)
def test_raw_blocks_parse_to_the_same_events_as_corrected_ones(name):
    for block in recv_blocks(name):
        raw, fixed = frames_of(block)[0], frames_of(reframe(block))[0]
        assert {k: v for k, v in raw.headers.items() if k != "Content-Length"} == \
            {k: v for k, v in fixed.headers.items() if k != "Content-Length"}
        if raw.content_type == "text/event-plain":
            a, b = parse_event(raw.body), parse_event(fixed.body)
            assert type(a) is type(b) and getattr(a, "uuid", None) == getattr(b, "uuid", None)


def typed_events(name):
    return [e for f in block_frames(name) if f.content_type == "text/event-plain"
            for e in [parse_event(f.body)] if e is not None]


@pytest.mark.parametrize("name", TRACES)
def test_every_block_is_one_frame_and_every_handled_event_name_parses(name):
    frames = block_frames(name)
    names = [re.search(rb"\nEvent-Name: (\w+)", b"\n" + f.body) for f in frames
             if f.content_type == "text/event-plain"]
    handled = [m.group(1).decode() for m in names if m and m.group(1).decode() in EVENT_PARSERS]
    custom = sum(1 for f in frames if b"Event-Subclass: sofia%3A%3Aregister" in f.body)
    events = typed_events(name)
    assert len(events) == len(handled) + custom
    assert all(getattr(e, "uuid", "x") for e in events)


def test_park_trace_call_story():
    events = typed_events("park_trace.txt")
    parked = [e for e in events if isinstance(e, ChannelParked)]
    assert parked[0] == ChannelParked(CALLER, "inbound", "13800000001", "10000")
    assert parked[0].variable("cc_entry") is None or parked[0].variable("cc_entry") == "hotline"
    sendmsg = next(c for c in sent_commands("park_trace.txt") if c.startswith("sendmsg"))
    event_uuid = re.search(r"Event-UUID: (\S+)", sendmsg).group(1)
    done = next(e for e in events if isinstance(e, ApplicationCompleted)
                and e.application_uuid == event_uuid)
    assert done.uuid == CALLER and done.application == "play_and_get_digits"
    assert done.variable("menu_choice") == "1"
    assert done.argument.startswith("1 1 2 4000 # silence_stream://500")
    assert [e.digit for e in events if isinstance(e, DtmfPressed)] == ["1"]
    assert any(isinstance(e, ChannelBridged) and e.uuid == CALLER and e.other_uuid == AGENT
               for e in events)
    hangups = [(e.uuid, e.cause, e.complete) for e in events if isinstance(e, ChannelHungUp)]
    assert (AGENT, "NORMAL_CLEARING", False) in hangups and (CALLER, "NORMAL_CLEARING", True) in hangups
    assert ("8c4f75d1-ac41-4238-adc5-19184b098099", "NORMAL_TEMPORARY_FAILURE", True) in hangups
    assert sum(isinstance(e, ChannelDestroyed) for e in events) == 3
    stop = next(e for e in events if isinstance(e, RecordingStopped))
    assert stop.path == f"/var/lib/freeswitch/recordings/{CALLER}.wav"
    assert any(isinstance(e, RecordingStarted) and e.uuid == CALLER for e in events)


def test_background_job_body_is_read_from_the_event_body_not_glued_to_content_length():
    jobs = [e for e in typed_events("park_trace.txt") if isinstance(e, BackgroundJobDone)]
    assert len(jobs) == 1
    assert jobs[0].job_uuid == "5ed0985b-b9e3-4e9e-a990-d6baa2b24c8f"
    assert jobs[0].ok and jobs[0].body == f"+OK {AGENT}"
    assert jobs[0].command == "originate"
    assert jobs[0].headers.get("Content-Length") == "41"


def test_register_trace_registration_and_job():
    events = typed_events("register_trace.txt")
    reg = next(e for e in events if isinstance(e, PhoneRegistered))
    assert (reg.extension, reg.domain, reg.expires) == ("1001", "127.0.0.1", 300)
    assert reg.contact == '"" <sip:1001@127.0.0.1:5071>'
    job = next(e for e in events if isinstance(e, BackgroundJobDone))
    assert job.body == "+OK 14efc5fa-9378-4b96-872e-5676cb392fab"
    assert any(isinstance(e, ChannelCreated) and e.destination == "1001" for e in events)


def test_unhandled_events_are_dropped():
    frames = block_frames("park_trace.txt")
    state = next(f for f in frames if b"Event-Name: CHANNEL_STATE\n" in f.body)
    codec = next(f for f in frames if b"Event-Name: CODEC\n" in f.body)
    assert parse_event(state.body) is None and parse_event(codec.body) is None


def test_replies_of_the_transcript():
    frames = block_frames("register_trace.txt")
    replies = [f for f in frames if f.content_type in ("api/response", "command/reply")]
    texts = [f.body.decode().strip() or f.headers["Reply-Text"] for f in replies]
    assert "-ERR nosuchcommand Command not found!" in texts
    assert "-ERR command not found" in texts
    assert replies[4].headers["Job-UUID"] == "0147a209-b09c-4306-a9f5-e8ca6234fc5d"
    notice = frames[-1]
    assert notice.content_type == "text/disconnect-notice" and notice.body.startswith(b"Disconnected")


def test_outbound_linger_notice_has_zero_length():
    last = block_frames("outbound_trace.txt")[-1]
    assert last.headers["Content-Disposition"] == "linger" and last.body == b""


@pytest.mark.parametrize("name", TRACES)
def test_whole_stream_byte_for_byte_survives_the_rewritten_content_lengths(name):
    """The transcripts' Content-Lengths are short by the host/path rewrite; read as one
    stream the reader must flag that, resynchronise at the next blank line, and still end
    on the final frame."""
    raw = b"".join(recv_blocks(name))
    reader = FrameReader()
    reader.feed(raw)
    frames = list(reader.frames())
    assert frames[-1].content_type == "text/disconnect-notice"
    if name != "outbound_trace.txt":  # there the lengths are only 2 short: blank lines skipped
        assert any(f.problems for f in frames)
    handled = [parse_event(f.body) for f in frames if f.content_type == "text/event-plain"]
    assert sum(e is not None for e in handled) >= len(typed_events(name)) - 3
    good = [f for f in map(reframe, recv_blocks(name))]
    reader = FrameReader()
    for block in good:
        for i in range(0, len(block), 97):  # arbitrary chunking
            reader.feed(block[i:i + 97])
    frames = list(reader.frames())
    assert len(frames) == len(good) and not any(f.problems for f in frames)


def test_subscription_names_only_what_the_engine_acts_on_and_can_parse():
    command = subscription_command()
    assert command.startswith("event plain ")
    words = command.split()[2:]
    assert words[:len(SUBSCRIBED)] == list(SUBSCRIBED)
    assert set(SUBSCRIBED) <= set(EVENT_PARSERS)
    assert words[len(SUBSCRIBED):] == ["CUSTOM", "sofia::register", "sofia::unregister",
                                       "sofia::expire"]
    for unused in ("CHANNEL_STATE", "ALL", "CHANNEL_EXECUTE", "CHANNEL_CREATE", "CHANNEL_ANSWER",
                   "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "HEARTBEAT", "RECORD_START"):
        assert unused not in words


def test_malformed_frames_are_skipped_and_reading_goes_on():
    good = b"Content-Type: command/reply\nReply-Text: +OK\n\n"
    bad = [
        b"Content-Type: api/response\nContent-Length: twelve\n\n",
        b"Content-Type: command/reply\nthis line has no colon\nReply-Text: +OK x\n\n",
        b"Content-Type: api/response\nContent-Length: 3\n\n\xff\xfe\n",
        b"Content-Length: -5\nContent-Type: text/event-plain\n\n",
    ]
    reader = FrameReader()
    reader.feed(b"".join(x + good for x in bad))
    frames = list(reader.frames())
    assert [f.headers.get("Reply-Text") for f in frames[1::2]] == ["+OK"] * 4
    assert all(frames[i].problems for i in (0, 2, 6))
    assert frames[4].body == b"\xff\xfe\n"  # bodies stay bytes; decoded with replacement later
    assert "+OK x" == frames[2].headers["Reply-Text"]


def test_non_utf8_event_body_parses_with_replacement():
    body = b"Event-Name: DTMF\nUnique-ID: " + CALLER.encode() + b"\nDTMF-Digit: 5\nX: \xff\n\n"
    event = parse_event(body)
    assert isinstance(event, DtmfPressed) and event.digit == "5"


def test_truncated_body_waits_for_more_bytes():
    reader = FrameReader()
    reader.feed(b"Content-Type: api/response\nContent-Length: 10\n\n+OK")
    assert list(reader.frames()) == []
    reader.feed(b" done\n\n")
    assert [f.body for f in reader.frames()] == [b"+OK done\n\n"]


def test_lazy_headers_decode_only_what_is_read():
    headers = EventHeaders(b"Event-Name: X\nOther-Leg-Unique-ID: b\nUnique-ID: a\nV: 10%25%20off\n\n")
    assert headers.get("Unique-ID") == "a" and headers.get("V") == "10% off"
    assert headers.get("Missing") is None and headers.all()["Other-Leg-Unique-ID"] == "b"


def test_event_body_cut_short_by_the_sender_is_ended_at_the_next_envelope():
    truncated = b"Content-Length: 500\nContent-Type: text/event-plain\n\nEvent-Name: HEARTBEAT\n"
    reply = b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n"
    event = b"Content-Length: 32\nContent-Type: text/event-plain\n\nEvent-Name: DTMF\nDTMF-Digit: 5\n\n"
    for tail in (reply, event):
        reader = FrameReader()
        reader.feed(truncated + tail)
        frames = list(reader.frames())
        assert len(frames) == 2 and "truncated body" in frames[0].problems[0]
        assert frames[0].body == b"Event-Name: HEARTBEAT\n"
        assert frames[1].body == tail.split(b"\n\n", 1)[1] and not frames[1].problems
