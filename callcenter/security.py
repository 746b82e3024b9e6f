"""Password and service-password hashing (never stored in clear)."""
from __future__ import annotations

import hashlib
import hmac
import re

from werkzeug.security import check_password_hash, generate_password_hash

# scrypt with werkzeug's parameters; slow on purpose.
PASSWORD_METHOD = "scrypt"
SERVICE_PASSWORD = re.compile(r"^[0-9]{6}$")


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise WeakPassword("a console password needs at least 8 characters")
    return generate_password_hash(password, method=PASSWORD_METHOD)


def verify_password(stored_hash: str | None, password: str) -> bool:
    return bool(stored_hash) and check_password_hash(stored_hash, password)


def hash_service_password(digits: str) -> str:
    """The customer's 6-digit service password (服务密码)."""
    if not SERVICE_PASSWORD.match(digits or ""):
        raise WeakPassword("a service password is exactly 6 digits")
    return generate_password_hash(digits, method=PASSWORD_METHOD)


def sip_a1_hash(extension: str, realm: str, password: str) -> str:
    """FreeSWITCH's a1-hash for SIP digest authentication: md5(user:realm:password)."""
    return hashlib.md5(f"{extension}:{realm}:{password}".encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
