"""HTTP over http.client: one connection per request, the token only ever in its header."""
from __future__ import annotations

import email.utils
import http.client
import json
import socket
import ssl
import time
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlsplit

from .errors import AccessDeniedError, ServiceUnavailableError

USER_AGENT = "llm-config-client-python/0.1"
MAX_BODY = 1 << 20  # the service's own limit; a larger answer is not the service's
MAX_RETRY_AFTER = 3600.0


class Endpoint:
    def __init__(self, url: str, token: Optional[str], ssl_context: Optional[ssl.SSLContext] = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http(s) URL, such as http://127.0.0.1:3000")
        if token is not None and (not token or any(c.isspace() or ord(c) < 32 for c in token)):
            raise ValueError("token must be a non-empty string without spaces or control characters")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        # For logs and errors: never the userinfo of the URL, and never the token.
        netloc = parts.hostname if parts.port is None else "%s:%d" % (parts.hostname, parts.port)
        if ":" in parts.hostname:
            netloc = "[%s]" % parts.hostname + ("" if parts.port is None else ":%d" % parts.port)
        self.display = "%s://%s%s" % (parts.scheme, netloc, self.prefix)
        self._token = token
        self._ssl = ssl_context
        self.has_token = token is not None

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self._ssl or ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def headers(self, extra: Dict[str, str]) -> Dict[str, str]:
        headers = {"User-Agent": USER_AGENT, **extra}
        if self._token is not None:
            headers["Authorization"] = "Bearer " + self._token
        return headers

    def open(self, path: str, headers: Dict[str, str], timeout: float,
             register: Optional[Callable[[Optional[http.client.HTTPConnection]], None]] = None,
             answer_timeout: Optional[float] = None,
             ) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse, Optional[socket.socket]]:
        """Sends a GET; returns the connection, the response (its body unread) and the socket.

        The socket is returned apart because http.client hands it over to the response (and
        forgets it) when the answer ends with the connection.

        ``register`` is told of the connection before it connects, so that another thread can
        interrupt it (close()); it may raise to cancel the request. ``answer_timeout`` bounds
        the wait for the answer's head once the request is sent (AnswerTimeout).
        """
        conn = self.connection(timeout)
        try:
            if register is not None:
                register(conn)
            conn.request("GET", self.prefix + path, headers=self.headers(headers))
            sock = conn.sock
            if answer_timeout is not None and sock is not None:
                sock.settimeout(answer_timeout)
                try:
                    return conn, conn.getresponse(), sock
                except (socket.timeout, TimeoutError):
                    raise AnswerTimeout("%s sent no answer to %s within %g s" % (self.display, path, answer_timeout)) from None
            return conn, conn.getresponse(), sock
        except BaseException as error:
            conn.close()
            if register is not None:
                register(None)
            if isinstance(error, AnswerTimeout) or not isinstance(error, (OSError, http.client.HTTPException)):
                raise
            raise ServiceUnavailableError("%s is unreachable: %s" % (self.display, describe(error))) from None

    def get(self, path: str, headers: Dict[str, str], timeout: float,
            register: Optional[Callable[[Optional[http.client.HTTPConnection]], None]] = None,
            ) -> Tuple[int, http.client.HTTPMessage, bytes]:
        conn, response, _ = self.open(path, headers, timeout, register)
        try:
            body = response.read(MAX_BODY + 1)
        except (OSError, http.client.HTTPException) as error:
            raise ServiceUnavailableError("%s broke off its answer: %s" % (self.display, describe(error))) from None
        finally:
            conn.close()
            if register is not None:
                register(None)
        if len(body) > MAX_BODY:
            raise ServiceUnavailableError("%s answered %s with more than 1 MiB: not the service" % (self.display, path))
        return response.status, response.headers, body


class AnswerTimeout(ServiceUnavailableError):
    """The request was sent, but no answer's head came back in time."""


def describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError) or type(error).__name__ == "timeout":
        return "no answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    text = str(error) or type(error).__name__
    return text


def retry_after(headers: Any) -> Optional[float]:
    """Retry-After as seconds (delta-seconds or an HTTP date), bounded; None when absent or invalid."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def problem_detail(body: bytes) -> Optional[str]:
    try:
        detail = json.loads(body.decode("utf-8")).get("detail")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return detail if isinstance(detail, str) else None


def check_status(endpoint: Endpoint, path: str, status: int, headers: Any, body: bytes) -> None:
    """Raises for an answer that is not a success: AccessDeniedError (stop) or ServiceUnavailableError (retry)."""
    if status == 401:
        if endpoint.has_token:
            why = "the service does not know this token (401 Unauthorized)"
        else:
            why = "the service needs a token and none was given (401 Unauthorized): pass token="
        raise AccessDeniedError("%s refused %s: %s" % (endpoint.display, path, why), 401)
    if status == 403:
        detail = problem_detail(body)
        why = "the token's role may not read the configuration (403 Forbidden)"
        raise AccessDeniedError("%s refused %s: %s%s" % (endpoint.display, path, why, ": " + detail if detail else ""), 403)
    if status in (429, 503):
        delay = retry_after(headers)
        detail = problem_detail(body)
        raise ServiceUnavailableError("%s answered %s with %d%s" % (endpoint.display, path, status, ": " + detail if detail else ""), delay)
    if status >= 300 and status != 304:
        raise ServiceUnavailableError("%s answered %s with %d%s" % (
            endpoint.display, path, status, " (is this URL the llm-config service?)" if status == 404 else ""))
