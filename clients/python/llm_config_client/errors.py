"""Errors the client raises or reports. None of their messages ever contains the token or the key."""
from __future__ import annotations

from typing import Optional


class LlmConfigError(Exception):
    """Something the client could not do; ``client.error`` holds the latest one."""


class AccessDeniedError(LlmConfigError, PermissionError):
    """401 or 403: the client is ``failed`` and has stopped. ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotReadyError(LlmConfigError, LookupError):
    """No configuration yet (neither from the service nor from the cache file)."""


class ServiceUnavailableError(LlmConfigError, ConnectionError):
    """The service could not be reached or did not answer usefully (the client keeps retrying)."""

    def __init__(self, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
