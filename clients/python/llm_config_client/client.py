"""LlmConfigClient: a live local copy of the service's configuration, kept by a daemon thread.

The thread follows GET /llm-config/watch (Server-Sent Events), resuming with Last-Event-ID so
that no version is missed or repeated across reconnects, and falls back to polling GET
/llm-config with If-None-Match where the stream cannot be had. Callers only ever read the copy:
``config``, ``task()`` and ``status`` take a lock for a few assignments and do no I/O. Callbacks
run on the thread, never while it holds the lock.
"""
from __future__ import annotations

import http.client
import json
import logging
import os
import random
import socket
import ssl
import threading
import time
import weakref
from typing import Any, Callable, Dict, FrozenSet, List, Optional

from . import cache
from .backoff import Backoff
from .errors import AccessDeniedError, LlmConfigError, NotReadyError, ServiceUnavailableError
from .fields import invalid_reason
from .plans import TASKS, TaskPlan, build_plan
from .sse import SseParser
from .transport import MAX_BODY, AnswerTimeout, Endpoint, check_status, describe

STATUSES = ("initializing", "live", "stale", "failed")
MAX_LINE = MAX_BODY  # an event's data line is one configuration: far below the service's 1 MiB

ChangeCallback = Callable[[Optional[Dict[str, Any]], Dict[str, Any], FrozenSet[str]], Any]
StatusCallback = Callable[[str], Any]

_log = logging.getLogger("llm_config_client")
_log.addHandler(logging.NullHandler())  # a library logs; the application decides where it goes


class _StreamUnavailable(Exception):
    """The stream cannot be had here (not an event stream, or buffered): poll instead."""


def _key_marker(config: Dict[str, Any]) -> Any:
    """What identifies the stored key: api_key_version, or (older services) api_key_set and api_key_hint."""
    if "api_key_version" in config:
        return ("version", config["api_key_version"])
    return ("hint", config["api_key_set"], config["api_key_hint"])


class LlmConfigClient:
    """A live, local copy of the configuration served by llm-config-service.

    ``url`` is the service's base URL. Timings are in seconds; the defaults suit production and
    every one of them can be shortened (tests do).
    """

    def __init__(
        self,
        url: str,
        *,
        token: Optional[str] = None,
        cache_file: Optional[str] = None,
        poll_interval: float = 30.0,
        cache_api_key: bool = False,
        on_change: Optional[ChangeCallback] = None,
        on_status: Optional[StatusCallback] = None,
        request_timeout: float = 10.0,
        stream_silence: float = 5.0,
        stream_timeout: float = 45.0,
        cache_grace: float = 1.0,
        stream_retry_interval: float = 300.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        healthy_after: float = 60.0,
        ssl_context: Optional[ssl.SSLContext] = None,
        logger: Optional[logging.Logger] = None,
    ) -> None:
        for name, value in (("poll_interval", poll_interval), ("request_timeout", request_timeout),
                            ("stream_silence", stream_silence), ("stream_timeout", stream_timeout),
                            ("stream_retry_interval", stream_retry_interval), ("healthy_after", healthy_after),
                            ("cache_grace", cache_grace)):
            if not value > 0:
                raise ValueError("%s must be a positive number of seconds" % name)
        self._endpoint = Endpoint(url, token, ssl_context)
        self._cache_file = os.fspath(cache_file) if cache_file is not None else None
        self._cache_api_key = bool(cache_api_key)
        self._poll_interval = float(poll_interval)
        self._request_timeout = float(request_timeout)
        self._stream_silence = float(stream_silence)
        self._stream_timeout = float(stream_timeout)
        self._stream_retry_interval = float(stream_retry_interval)
        self._cache_grace = float(cache_grace)
        self._backoff_args = (float(backoff_base), float(backoff_cap))
        Backoff(*self._backoff_args)  # validates them now, in the caller's thread
        self._healthy_after = float(healthy_after)
        self._log = logger or _log

        self._lock = threading.Lock()
        self._settled = threading.Event()  # a configuration, a failure, or close()
        self._closed = threading.Event()  # also the worker's interruptible sleep
        self._status = "initializing"
        self._config: Optional[Dict[str, Any]] = None
        self._api_key: Optional[str] = None
        self._key_marker: Any = None  # the marker at which _api_key was revealed
        self._may_reveal = token is not None  # without a token the service reveals nothing: do not ask
        self._held_back = False  # the service has a version whose key could not be revealed yet
        self._etag: Optional[str] = None
        self._last_event_id: Optional[int] = None  # the last version learned from the service itself
        self._error: Optional[LlmConfigError] = None
        self._cached: Optional[cache.Cached] = None  # the cache file's copy, until used or superseded
        self._cache_note = "no cache file (cache_file= lets a client start while the service is down)"
        self._change_callbacks: List[ChangeCallback] = [on_change] if on_change else []
        self._status_callbacks: List[StatusCallback] = [on_status] if on_status else []
        self._active: Optional[http.client.HTTPConnection] = None  # for close() to interrupt
        self._active_sock: Optional[socket.socket] = None  # the stream's socket, likewise
        self._thread: Optional[threading.Thread] = None

        if self._cache_file is not None:
            self._load_cache()
        _registry.add(self)
        self._start_thread()

    # ----- what callers read: no I/O -------------------------------------------------------

    @property
    def status(self) -> str:
        """'initializing', 'live', 'stale' or 'failed'."""
        return self._status

    @property
    def config(self) -> Optional[Dict[str, Any]]:
        """The current configuration exactly as GET /llm-config serves it (a copy), or None before the first."""
        with self._lock:
            return dict(self._config) if self._config is not None else None

    @property
    def version(self) -> Optional[int]:
        with self._lock:
            return self._config["version"] if self._config is not None else None

    @property
    def error(self) -> Optional[LlmConfigError]:
        """The latest problem (why the client is stale or failed); None while all is well."""
        return self._error

    def task(self, name: str) -> TaskPlan:
        """The plan for one task: 'tagger', 'enricher', 'analytics' or 'responder'."""
        if name not in TASKS:
            raise ValueError("unknown task %r: the tasks are %s" % (name, ", ".join(TASKS)))
        with self._lock:
            config, key = self._config, self._api_key
        if config is None:
            raise NotReadyError("no configuration yet from %s: call wait_ready() first" % self._endpoint.display)
        return build_plan(name, config, key)

    def wait_ready(self, timeout: Optional[float] = None) -> "LlmConfigClient":
        """Returns once there is a configuration (fresh, or from the cache file).

        Raises TimeoutError when there is none within ``timeout`` seconds, saying why, and
        AccessDeniedError at once when the service refused the token.
        """
        if not self._settled.wait(timeout):
            error = self._error
            why = str(error) if error is not None else "no answer yet"
            raise TimeoutError("llm-config: no configuration from %s within %g s (%s); %s" % (
                self._endpoint.display, timeout, why, self._cache_note))
        with self._lock:
            if self._config is not None:
                return self
            error = self._error
        if isinstance(error, AccessDeniedError):
            raise error
        raise NotReadyError("llm-config: the client was closed before it had a configuration")

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Calls ``callback(previous, current, changed)`` for every newer configuration; returns an unsubscribe function."""
        return self._subscribe(self._change_callbacks, callback)

    def on_status(self, callback: StatusCallback) -> Callable[[], None]:
        """Calls ``callback(status)`` at every change of status; returns an unsubscribe function."""
        return self._subscribe(self._status_callbacks, callback)

    def close(self) -> None:
        """Ends the stream and the thread. Idempotent; the copy stays readable."""
        self._closed.set()
        self._settled.set()
        with self._lock:
            active, sock, thread = self._active, self._active_sock, self._thread
        for candidate in (active.sock if active is not None else None, sock):
            if candidate is not None:
                try:
                    candidate.shutdown(socket.SHUT_RDWR)  # wakes the thread from a blocking read
                except OSError:
                    pass
        if thread is not None and thread is not threading.current_thread() and thread.is_alive():
            thread.join(2.0)

    def __enter__(self) -> "LlmConfigClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<LlmConfigClient %s status=%s version=%s>" % (self._endpoint.display, self._status, self.version)

    # ----- the worker thread ---------------------------------------------------------------

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._run, name="llm-config-client", daemon=True)
        self._thread = thread
        thread.start()

    def _run(self) -> None:
        backoff = Backoff(*self._backoff_args)
        polling, stream_again_at = False, 0.0
        while not self._closed.is_set():
            try:
                if polling or self._last_event_id is None:
                    # A GET first: ready at once, whatever the stream does; then the stream resumes after it.
                    self._poll()
                    backoff.reset()
                    if polling:
                        remaining = stream_again_at - time.monotonic()
                        if remaining > 0:
                            self._closed.wait(min(self._poll_interval, remaining))
                            continue
                        polling = False
                        self._log.info("trying the event stream of %s again", self._endpoint.display)
                    continue
                self._stream(backoff)
                delay = backoff.next_delay()  # the stream ended: reconnect (resuming), spread out
            except AccessDeniedError as error:
                self._fail(error)
                return
            except _StreamUnavailable as why:
                if not polling:
                    self._log.warning("no event stream from %s (%s): polling every %g s", self._endpoint.display, why, self._poll_interval)
                polling, stream_again_at = True, time.monotonic() + self._stream_retry_interval
                continue
            except ServiceUnavailableError as error:
                if self._closed.is_set():
                    return
                self._trouble(error)
                if error.retry_after is not None:
                    delay = error.retry_after + random.random() * self._backoff_args[0]
                else:
                    delay = backoff.next_delay()
            except Exception as error:  # a bug must not kill the thread: log it and carry on
                if self._closed.is_set():
                    return
                self._log.exception("llm-config client: unexpected error")
                self._trouble(ServiceUnavailableError("unexpected error: %s" % type(error).__name__))
                delay = backoff.next_delay()
            self._closed.wait(delay)

    def _poll(self) -> None:
        headers = {"Accept": "application/json"}
        with self._lock:
            current = self._config
        timeout = self._request_timeout
        if current is None and self._cached is not None:
            # The first attempt, with a cache file: wait cache_grace at most before using the file.
            current, timeout = self._cached.config, min(timeout, self._cache_grace)
        if current is not None:
            headers["If-None-Match"] = self._etag or '"%d"' % current["version"]
        status, answer_headers, body = self._endpoint.get("/llm-config", headers, timeout, register=self._register)
        check_status(self._endpoint, "/llm-config", status, answer_headers, body)
        if status == 304 and current is not None:
            config = current
        else:
            try:
                config = json.loads(body.decode("utf-8"))
            except ValueError:
                raise ServiceUnavailableError("%s answered /llm-config with something that is not JSON" % self._endpoint.display) from None
            self._etag = answer_headers.get("ETag")
        self._adopt(config)
        self._last_event_id = config["version"]
        self._set_status("live")

    def _stream(self, backoff: Backoff) -> None:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache", "Last-Event-ID": str(self._last_event_id)}
        try:
            # A buffering proxy holds back even the answer's head: that, too, counts as silence.
            conn, response, sock = self._endpoint.open("/llm-config/watch", headers, self._request_timeout,
                                                 register=self._register, answer_timeout=self._stream_silence)
        except AnswerTimeout:
            raise _StreamUnavailable("no answer within %g s of connecting: a buffering proxy?" % self._stream_silence) from None
        connected, seen = time.monotonic(), False
        try:
            if response.status in (404, 405, 406, 501):
                raise _StreamUnavailable("it answered %d" % response.status)
            if response.status != 200:
                check_status(self._endpoint, "/llm-config/watch", response.status, response.headers, response.read(MAX_BODY))
                raise ServiceUnavailableError("%s answered the stream with %d" % (self._endpoint.display, response.status))
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if content_type != "text/event-stream":
                raise _StreamUnavailable("the answer is %s, not an event stream" % (content_type or "untyped"))
            if sock is None:
                raise ServiceUnavailableError("the connection to %s closed at once" % self._endpoint.display)
            with self._lock:
                self._active_sock = sock
            if self._closed.is_set():
                return
            sock.settimeout(self._stream_silence)
            parser = SseParser()
            while not self._closed.is_set():
                try:
                    raw = response.readline(MAX_LINE)
                except (socket.timeout, TimeoutError):
                    if not seen:  # a buffering proxy holds the stream back
                        raise _StreamUnavailable("nothing arrived within %g s of connecting: a buffering proxy?" % self._stream_silence) from None
                    raise ServiceUnavailableError("the event stream of %s was silent for %g s" % (self._endpoint.display, self._stream_timeout)) from None
                except (OSError, http.client.HTTPException, ValueError):
                    return  # broken off (a restart, close()): reconnect, resuming
                if not raw:
                    return  # the service ended the stream
                if not seen:
                    seen = True
                    sock.settimeout(self._stream_timeout)  # heartbeats arrive well within it
                    if not self._held_back:  # a version held back is newer than the copy: not current
                        self._set_status("live")
                if not raw.endswith(b"\n") and len(raw) >= MAX_LINE:
                    raise ServiceUnavailableError("%s sent an event line over 1 MiB" % self._endpoint.display)
                event = parser.feed(raw.decode("utf-8", "replace"))
                if event is None or event.event != "config":
                    continue
                try:
                    config = json.loads(event.data)
                except ValueError:
                    raise ServiceUnavailableError("%s sent an event that is not JSON" % self._endpoint.display) from None
                if isinstance(config, dict) and isinstance(config.get("version"), int) and config["version"] <= self._last_event_id:
                    continue  # the service sends each version once across reconnects; this makes sure of it
                self._adopt(config)
                self._last_event_id = config["version"]
                self._etag = None
                self._set_status("live")
        finally:
            self._release(conn, response)
            if seen and time.monotonic() - connected >= self._healthy_after:
                backoff.reset()

    def _adopt(self, config: Any) -> None:
        """Makes ``config`` current, with its key (revealed first when it changed), then tells the callbacks."""
        reason = invalid_reason(config)
        if reason:
            raise ServiceUnavailableError("%s sent a configuration the client cannot use: %s" % (self._endpoint.display, reason))
        marker = _key_marker(config)
        with self._lock:
            key, held_marker, may_reveal = self._api_key, self._key_marker, self._may_reveal
        if self._config is None and self._cached is not None:
            key, held_marker = self._cached.api_key, self._cached.key_marker  # a key cached by opt-in
        if not config["api_key_set"]:
            key = None
        elif marker != held_marker:
            try:
                key = self._reveal() if may_reveal else None
            except ServiceUnavailableError:
                self._held_back = True  # this version is not taken; it comes again on reconnect
                raise
        self._held_back = False
        with self._lock:
            if self._status == "failed":
                return
            previous, previous_key = self._config, self._api_key
            self._config, self._api_key, self._key_marker = dict(config), key, marker
            self._cached = None
            changed = frozenset(name for name in set(previous or ()) | set(config)
                                if previous is None or previous.get(name, _ABSENT) != config.get(name, _ABSENT))
            callbacks = list(self._change_callbacks) if previous is not None and changed else []
        self._settled.set()
        if changed or key != previous_key:
            self._write_cache()
        for callback in callbacks:
            self._call(callback, previous, dict(config), changed)

    def _reveal(self) -> Optional[str]:
        status, headers, body = self._get("/llm-config/credentials", {"Accept": "application/json"})
        if status in (401, 403):
            # Not an error: this token reads but may not reveal, so the plans have no api_key.
            self._log.info("the token may not reveal the API key (%d): task plans carry no api_key", status)
            with self._lock:
                self._may_reveal = False
            return None
        check_status(self._endpoint, "/llm-config/credentials", status, headers, body)
        try:
            key = json.loads(body.decode("utf-8"))["api_key"]
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailableError("%s answered /llm-config/credentials with something unexpected" % self._endpoint.display) from None
        if key is not None and not isinstance(key, str):
            raise ServiceUnavailableError("%s answered /llm-config/credentials with a key that is not a string" % self._endpoint.display)
        self._log.info("revealed the API key from %s", self._endpoint.display)
        return key

    # ----- status ----------------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        with self._lock:
            if self._status == status or self._status == "failed":
                return
            self._status = status
            if status == "live":
                self._error = None
            callbacks = list(self._status_callbacks)
            version = self._config["version"] if self._config is not None else None
        self._log.info("llm-config client %s (version %s) for %s", status, version, self._endpoint.display)
        for callback in callbacks:
            self._call(callback, status)

    def _trouble(self, error: ServiceUnavailableError) -> None:
        """The service could not be reached: serve the last known configuration, stale."""
        first = self._error is None or str(self._error) != str(error)
        self._error = error
        if first:
            self._log.warning("llm-config: %s; retrying", error)
        else:
            self._log.debug("llm-config: %s; retrying", error)
        if self._config is None and self._cached is not None:
            self._use_cache()
        if self._config is not None:
            self._set_status("stale")

    def _use_cache(self) -> None:
        """The first attempt failed (or took longer than cache_grace): ready from the cache file."""
        cached = self._cached
        assert cached is not None
        with self._lock:
            if self._config is not None:
                return
            self._config = dict(cached.config)
            self._api_key, self._key_marker = cached.api_key, cached.key_marker
            self._cached = None
        self._settled.set()
        self._log.info("serving the cache file %s (version %d) while %s is unreachable",
                       self._cache_file, cached.config["version"], self._endpoint.display)

    def _fail(self, error: AccessDeniedError) -> None:
        """401 or 403: stop for good, and drop the key."""
        self._log.error("llm-config client failed: %s; it has stopped", error)
        with self._lock:
            self._error = error
            self._api_key, self._key_marker = None, None
            if self._cached is not None:
                self._cached = self._cached._replace(api_key=None, key_marker=None)
        self._set_status("failed")
        self._settled.set()
        if self._cache_file is not None and cache.holds_key(self._cache_file):
            self._write_cache()

    # ----- I/O helpers -----------------------------------------------------------------------

    def _get(self, path: str, headers: Dict[str, str]) -> Any:
        return self._endpoint.get(path, headers, self._request_timeout, register=self._register)

    def _register(self, conn: Optional[http.client.HTTPConnection]) -> None:
        with self._lock:
            self._active = conn
        if conn is not None and self._closed.is_set():
            raise ServiceUnavailableError("closed")

    def _release(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        with self._lock:
            if self._active is conn:
                self._active = None
            self._active_sock = None
        response.close()
        conn.close()

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            self._log.exception("llm-config: a callback raised (ignored)")

    def _subscribe(self, callbacks: List[Any], callback: Any) -> Callable[[], None]:
        if not callable(callback):
            raise TypeError("callback must be callable")
        with self._lock:
            callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in callbacks:
                    callbacks.remove(callback)
        return unsubscribe

    # ----- the cache file --------------------------------------------------------------------

    def _load_cache(self) -> None:
        assert self._cache_file is not None
        cached = cache.load(self._cache_file, self._cache_api_key, self._log)
        if cached is None:
            exists = os.path.exists(self._cache_file)
            self._cache_note = "the cache file %s %s" % (self._cache_file, "was not usable (see the warning)" if exists else "does not exist yet")
            return
        self._cached = cached
        self._cache_note = "the cache file %s has version %d" % (self._cache_file, cached.config["version"])
        if not self._cache_api_key and cache.holds_key(self._cache_file):
            try:  # the user has not opted in (any more): no key on disk
                cache.save(self._cache_file, self._endpoint.display, cached.config, None, None)
            except OSError as error:
                self._log.warning("could not remove the key from the cache file %s: %s", self._cache_file, describe(error))

    def _write_cache(self) -> None:
        if self._cache_file is None:
            return
        with self._lock:
            config, key, marker = self._config, self._api_key, self._key_marker
        if config is None and self._cached is not None:
            config = self._cached.config  # a failed client that never used the file: rewrite it keyless
        if config is None:
            return
        try:
            cache.save(self._cache_file, self._endpoint.display, config, key if self._cache_api_key else None, marker)
        except OSError as error:
            self._log.warning("could not write the cache file %s: %s", self._cache_file, describe(error))

    # ----- fork ------------------------------------------------------------------------------

    def _before_fork(self) -> None:
        self._lock.acquire()  # the child then inherits a consistent copy

    def _after_fork_in_parent(self) -> None:
        self._lock.release()

    def _after_fork_in_child(self) -> None:
        # The worker thread does not exist in the child: make new locks and events, forget the
        # parent's connection without shutting it down (that would cut the parent's stream too),
        # and start a watcher of our own. It resumes after the version the parent had.
        self._lock = threading.Lock()
        settled, closed = threading.Event(), threading.Event()
        if self._settled.is_set():
            settled.set()
        if self._closed.is_set():
            closed.set()
        self._settled, self._closed = settled, closed
        self._active, self._active_sock, self._thread = None, None, None
        if not closed.is_set() and self._status != "failed":
            self._start_thread()


_ABSENT = object()
_registry: "weakref.WeakSet[LlmConfigClient]" = weakref.WeakSet()
_forking: List[LlmConfigClient] = []


def _before_fork() -> None:
    _forking[:] = list(_registry)
    for client in _forking:
        client._before_fork()


def _after_fork_in_parent() -> None:
    for client in _forking:
        client._after_fork_in_parent()
    _forking.clear()


def _after_fork_in_child() -> None:
    for client in _forking:
        client._after_fork_in_child()
    _forking.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)
