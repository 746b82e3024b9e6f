"""An agent's SIP credentials, apart from the console login (pure: no database, no I/O).

FreeSWITCH authenticates phones by SIP digest with the stored HA1,
md5(extension:realm:password), so the clear password is never kept: it is
typed by the admin or generated here, shown once, and only its HA1 for the
agent's *current* extension is stored. The HA1 names the extension, so a
new extension needs a new password: `plan` refuses to renumber a phone
without one rather than leave a hash the phone can never match (403).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Callable

REALM = "callcenter"  # the agents' SIP domain and digest realm (freeswitch-conf cc_domain)
MIN_LENGTH = 10
MAX_LENGTH = 64
GENERATED_LENGTH = 16
# No look-alikes (0/O, 1/l/I): the agent types it into a phone's keypad or a softphone.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SipCredentialError(ValueError):
    """A rule the change breaks; ``field`` names the form field to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def ha1(extension: str, password: str, realm: str = REALM) -> str:
    """The digest HA1 FreeSWITCH's `a1-hash` parameter takes: md5(user:realm:password)."""
    return hashlib.md5(f"{extension}:{realm}:{password}".encode()).hexdigest()


def generate_password(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(ALPHABET) for _ in range(GENERATED_LENGTH))


def check_password(password: str) -> None:
    """A typed SIP password: long enough against offline guessing of its HA1, typeable on a phone."""
    if len(password) < MIN_LENGTH:
        raise SipCredentialError("sip_password", f"a SIP password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise SipCredentialError("sip_password", f"a SIP password has at most {MAX_LENGTH} characters")
    if not password.isascii() or not password.isprintable() or " " in password:
        raise SipCredentialError("sip_password", "letters, digits and punctuation only (no spaces)")


@dataclass(frozen=True)
class Credentials:
    """What to store after a change. ``shown_once``: a generated password to show the admin
    now (it is stored nowhere); None when the admin typed it or nothing was generated."""
    extension: str | None
    ha1: str | None
    changed: bool
    shown_once: str | None = None


def plan(current_extension: str | None, current_ha1: str | None, new_extension: str | None,
         typed_password: str = "", generate: bool = False,
         make_password: Callable[[], str] = generate_password) -> Credentials:
    """The credentials after an admin's change of extension and/or SIP password.

    - no extension: no SIP account, no hash (a typed password is refused);
    - a typed password or ``generate``: a new HA1 for the (new) extension;
    - the same extension, no new password: unchanged;
    - a new extension without a new password: refused (SipCredentialError on ``sip_password``).
    """
    if typed_password and generate:
        raise SipCredentialError("sip_password", "type a SIP password or generate one, not both")
    if new_extension is None:  # ``generate`` alone is a form's default: nothing to generate for
        if typed_password:
            raise SipCredentialError("sip_extension", "a SIP password needs an extension")
        return Credentials(None, None, changed=current_extension is not None or current_ha1 is not None)
    if typed_password:
        check_password(typed_password)
        return Credentials(new_extension, ha1(new_extension, typed_password), changed=True)
    if generate:
        password = make_password()
        return Credentials(new_extension, ha1(new_extension, password), changed=True, shown_once=password)
    if new_extension != current_extension:
        raise SipCredentialError(
            "sip_password", f"extension {new_extension} needs a new SIP password (the stored one was made "
                            f"for {current_extension or 'no extension'}): type one or choose generate")
    return Credentials(current_extension, current_ha1, changed=False)
