"""The console's secret key: from the configuration, else generated once and kept."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def console_secret_key(configured: str, data_directory: str) -> str:
    if configured:
        return configured
    path = Path(data_directory) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key
