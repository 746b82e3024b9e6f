"""SIP credentials apart from the console password (callcenter.sip_credentials): the HA1,
generated passwords, and what a change of extension and/or password stores."""
from __future__ import annotations

import hashlib
import random

import pytest

from callcenter import sip_credentials as sc
from callcenter.sip_credentials import Credentials, SipCredentialError, plan

OLD = sc.ha1("1001", "old-phone-pass")


def fixed_password() -> str:
    return "GeneratedPass234"


def test_ha1_is_md5_of_user_realm_password_with_realm_callcenter():
    assert sc.ha1("1001", "secret") == hashlib.md5(b"1001:callcenter:secret").hexdigest()
    assert sc.ha1("1001", "secret", realm="other") != sc.ha1("1001", "secret")


def test_generated_passwords_are_long_typeable_and_differ():
    rng = random.Random(7)
    first, second = sc.generate_password(rng.choice), sc.generate_password(rng.choice)
    assert len(first) == sc.GENERATED_LENGTH and first != second
    assert set(first) <= set(sc.ALPHABET) and not set("0O1lI") & set(sc.ALPHABET)
    sc.check_password(first)  # a generated one passes the typed rules


@pytest.mark.parametrize("current_ext, current_ha1, new_ext, typed, generate, expected", [
    # nothing new: unchanged
    ("1001", OLD, "1001", "", False, Credentials("1001", OLD, changed=False)),
    # a typed password for the same extension
    ("1001", OLD, "1001", "new-phone-pass", False,
     Credentials("1001", sc.ha1("1001", "new-phone-pass"), changed=True)),
    # rotation: generated, shown once
    ("1001", OLD, "1001", "", True,
     Credentials("1001", sc.ha1("1001", "GeneratedPass234"), changed=True, shown_once="GeneratedPass234")),
    # a new extension with a typed password: the hash names the new extension
    ("1001", OLD, "1009", "new-phone-pass", False,
     Credentials("1009", sc.ha1("1009", "new-phone-pass"), changed=True)),
    # a new extension, generated
    ("1001", OLD, "1009", "", True,
     Credentials("1009", sc.ha1("1009", "GeneratedPass234"), changed=True, shown_once="GeneratedPass234")),
    # the phone taken away: no hash left behind
    ("1001", OLD, None, "", False, Credentials(None, None, changed=True)),
    # a form's default "generate" without an extension: nothing to generate for
    (None, None, None, "", True, Credentials(None, None, changed=False)),
    # a new agent's first phone
    (None, None, "1020", "", True,
     Credentials("1020", sc.ha1("1020", "GeneratedPass234"), changed=True, shown_once="GeneratedPass234")),
    # an extension that never had a password keeps having none
    ("1001", None, "1001", "", False, Credentials("1001", None, changed=False)),
])
def test_plan(current_ext, current_ha1, new_ext, typed, generate, expected):
    assert plan(current_ext, current_ha1, new_ext, typed, generate, make_password=fixed_password) == expected


@pytest.mark.parametrize("current_ext, new_ext, typed, generate, field, words", [
    # renumbering without a new password would leave a hash for the old extension: refused
    ("1001", "1009", "", False, "sip_password", "extension 1009 needs a new SIP password"),
    (None, "1020", "", False, "sip_password", "needs a new SIP password"),
    ("1001", "1001", "short", False, "sip_password", "at least 10 characters"),
    ("1001", "1001", "x" * 65, False, "sip_password", "at most 64"),
    ("1001", "1001", "has a space", False, "sip_password", "no spaces"),
    ("1001", "1001", "pässwört-long", False, "sip_password", "no spaces"),
    ("1001", "1001", "typed-and-ticked", True, "sip_password", "not both"),
    ("1001", None, "typed-password-1", False, "sip_extension", "needs an extension"),
])
def test_plan_refuses(current_ext, new_ext, typed, generate, field, words):
    with pytest.raises(SipCredentialError) as refused:
        plan(current_ext, OLD, new_ext, typed, generate, make_password=fixed_password)
    assert refused.value.field == field and words in refused.value.message


def test_the_model_drops_the_hash_with_the_extension_it_was_made_for(sessions):
    from callcenter.models import Agent
    with sessions() as session:
        # keyword order does not matter when an agent is created
        session.add(Agent(login="wangf", display_name="Wang Fang", password_hash="x",
                          sip_a1_hash=OLD, sip_extension="1001"))
        session.commit()
    with sessions() as session:
        agent = session.query(Agent).filter_by(login="wangf").one()
        assert agent.sip_a1_hash == OLD
        agent.sip_extension = "1001"  # the same extension: kept
        session.commit()
        assert agent.sip_a1_hash == OLD
        session.expire(agent)  # the old value is not in memory: the listener loads it
        agent.sip_extension = "1009"  # renumbered
        session.commit()
    with sessions() as session:
        agent = session.query(Agent).filter_by(login="wangf").one()
        assert (agent.sip_extension, agent.sip_a1_hash, agent.sip_password_set_at) == ("1009", None, None)
