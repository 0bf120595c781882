"""The last-known-good cache file: written atomically, mode 0600, never trusted blindly.

A new version replaces the file by a temporary file in the same folder and a rename
(https://man7.org/linux/man-pages/man2/rename.2.html): a reader, or a process killed mid-write,
sees the old file or the new one, never a mix. mkstemp creates the temporary file with mode 0600,
so the key (when the user opts in) is never readable by others, not even for an instant.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from typing import Any, Dict, NamedTuple, Optional

from .fields import invalid_reason

FORMAT = "llm-config-client/1"
MAX_SIZE = 1 << 20


class Cached(NamedTuple):
    config: Dict[str, Any]
    api_key: Optional[str]
    key_marker: Any


def load(path: str, with_key: bool, log: logging.Logger) -> Optional[Cached]:
    """The cached configuration, or None (with a warning when the file exists but is not usable)."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_SIZE + 1)
    except FileNotFoundError:
        log.info("no cache file at %s yet", path)
        return None
    except OSError as error:
        log.warning("ignoring the cache file %s: it cannot be read (%s)", path, error.strerror or error)
        return None
    try:
        if len(raw) > MAX_SIZE:
            raise ValueError("larger than 1 MiB")
        document = json.loads(raw.decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("not an llm-config-client cache file (format %r expected)" % FORMAT)
        reason = invalid_reason(document.get("config"))
        if reason:
            raise ValueError("its configuration is not valid: " + reason)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning("ignoring the cache file %s: %s", path, error)
        return None
    key = document.get("api_key") if with_key else None
    marker = document.get("api_key_marker") if isinstance(key, str) else None
    return Cached(document["config"], key if isinstance(key, str) else None, _marker(marker))


def _marker(value: Any) -> Any:
    # JSON has no tuples: the marker is stored as a list and compared as a tuple.
    return tuple(value) if isinstance(value, list) else None


def holds_key(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            document = json.loads(file.read(MAX_SIZE).decode("utf-8"))
        return isinstance(document, dict) and "api_key" in document
    except (OSError, ValueError):
        return False


def save(path: str, url: str, config: Dict[str, Any], api_key: Optional[str], key_marker: Any) -> None:
    """Replaces the file atomically; raises OSError when it cannot."""
    document: Dict[str, Any] = {
        "format": FORMAT,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "url": url,
        "config": config,
    }
    if api_key is not None:
        document["api_key"] = api_key
        document["api_key_marker"] = list(key_marker) if key_marker is not None else None
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=1, sort_keys=True)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:  # the rename itself survives a crash once the folder is synced (best effort)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
