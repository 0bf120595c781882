"""Test support: the real service as a child process, its database, an admin, and loopback proxies.

The service is `node <server.js>`: LLM_CONFIG_SERVER_JS, or the repository's dist/server.js. It
runs on an embedded database in a fresh folder, or, when TEST_DATABASE_URL is set, on a
PostgreSQL database made for it (and dropped afterwards).
"""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SERVER_JS = os.environ.get("LLM_CONFIG_SERVER_JS") or os.path.join(REPO, "dist", "server.js")
OPENAPI = os.path.join(REPO, "openapi.json")

ADMIN_TOKEN = "admin-" + secrets.token_hex(16)
READER_TOKEN = "reader-" + secrets.token_hex(16)
CONSUMER_TOKEN = "consumer-" + secrets.token_hex(16)

LISTENING = re.compile(r"Server listening at (http://[0-9.]+:\d+)")


def wait_until(predicate, timeout: float, interval: float = 0.01) -> bool:
    """For states no callback reports (a file, a process); events use threading.Event."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def read_json(path: str) -> Any:
    with open(path) as file:
        return json.load(file)


def read_text(path: str) -> str:
    with open(path) as file:
        return file.read()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    """A database of the service's own: a PostgreSQL database when TEST_DATABASE_URL is set, else a folder."""

    def __init__(self) -> None:
        self.base = os.environ.get("TEST_DATABASE_URL") or None
        self.data_dir = tempfile.mkdtemp(prefix="llm-config-py-")
        self.url: Optional[str] = None
        self.name: Optional[str] = None
        if self.base:
            self.name = "llm_config_py_%d_%s" % (os.getpid(), secrets.token_hex(4))
            self._psql("CREATE DATABASE %s" % self.name)
            parts = urlsplit(self.base)
            self.url = urlunsplit((parts.scheme, parts.netloc, "/" + self.name, parts.query, parts.fragment))

    def env(self) -> Dict[str, str]:
        env = {"DATA_DIR": self.data_dir}
        if self.url:
            env["DATABASE_URL"] = self.url
        return env

    def _psql(self, statement: str) -> None:
        subprocess.run(["psql", self.base, "-v", "ON_ERROR_STOP=1", "-qc", statement],
                       check=True, stdout=subprocess.DEVNULL, timeout=30)

    def drop(self) -> None:
        if self.name:
            self._psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Service:
    """The real service, as a child process. start() and stop() may be repeated: it keeps its port and database."""

    def __init__(self, **env: str) -> None:
        self.db = Database()
        self.encryption_key = base64.b64encode(os.urandom(32)).decode()
        self.extra_env = env
        self.port = 0
        self.url: Optional[str] = None
        self.process: Optional[subprocess.Popen] = None
        self.log: "deque[str]" = deque(maxlen=200)

    def environment(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS" and not k.startswith("TAP")}
        for name in ("DATABASE_URL", "DATA_DIR", "READER_TOKENS", "CONSUMER_TOKENS", "ADMIN_TOKENS", "ADMIN_TOKEN"):
            env.pop(name, None)
        env.update({
            "NODE_ENV": "test",
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "READER_TOKENS": "worker-reader:" + READER_TOKEN,
            "CONSUMER_TOKENS": "worker-consumer:" + CONSUMER_TOKEN,
            "ENCRYPTION_KEY": self.encryption_key,
            "WRITE_RATE_LIMIT": "100000",
            "AUTH_FAILURE_LIMIT": "100000",
            "WATCH_HEARTBEAT_MS": "1000",
            "SHUTDOWN_DRAIN_MS": "0",
            "LOG_LEVEL": "info",
        })
        env.update(self.db.env())
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> "Service":
        try:
            return self._start(timeout)
        except RuntimeError as error:
            # On a loaded machine the embedded database (WebAssembly) can take longer to open
            # than Fastify's 10 s plugin timeout: one more try, then the failure stands.
            if "AVV_ERR_PLUGIN_EXEC_TIMEOUT" not in str(error):
                raise
            return self._start(timeout)

    def _start(self, timeout: float) -> "Service":
        if not os.path.exists(SERVER_JS):
            raise RuntimeError("no service build at %s: set LLM_CONFIG_SERVER_JS or run npm run build" % SERVER_JS)
        self.process = subprocess.Popen(["node", SERVER_JS], env=self.environment(), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        found = threading.Event()

        def drain(stream: Any) -> None:  # keeps reading, so the pipe never fills
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip()
                self.log.append(line)
                match = LISTENING.search(line)
                if match and not found.is_set():
                    self.url = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=drain, args=(self.process.stdout,), daemon=True).start()
        if not found.wait(timeout) or self.url is None:
            self.stop()
            raise RuntimeError("the service did not start:\n" + "\n".join(self.log))
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        finally:
            process.stdout.close()

    def close(self) -> None:
        self.stop()
        self.db.drop()

    # ----- an admin, through urllib ---------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, token: Optional[str] = ADMIN_TOKEN,
                headers: Optional[Dict[str, str]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/merge-patch+json" if method == "PATCH" else "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def patch(self, **fields: Any) -> Dict[str, Any]:
        return self.request("PATCH", "/llm-config", fields)

    def current(self) -> Dict[str, Any]:
        return self.request("GET", "/llm-config", headers={"Cache-Control": "no-cache"})


class Proxy:
    """A loopback TCP proxy to `upstream` that records every request (method, path, headers).

    buffering=True makes it a proxy that buffers whole answers (as nginx does with
    proxy_buffering on): it sends an answer only once the upstream has finished it, so an event
    stream never gets through, while ordinary requests do. It records their statuses.
    """

    def __init__(self, upstream_port: int, buffering: bool = False) -> None:
        self.upstream_port = upstream_port
        self.buffering = buffering
        self.requests: List[Dict[str, Any]] = []
        self.statuses: List[int] = []
        self.changed = threading.Condition()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._sockets: List[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def paths(self) -> List[str]:
        with self.changed:
            return [r["path"] for r in self.requests]

    def wait_for(self, predicate, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def close(self) -> None:
        self._closed = True
        for sock in [self._server] + self._sockets:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _record(self, head: bytes) -> bytes:
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        with self.changed:
            self.requests.append({"method": method, "path": path, "headers": headers})
            self.changed.notify_all()
        if self.buffering:  # one request per connection, so the upstream's end marks the answer's
            kept = [line for line in lines[1:] if line and not line.lower().startswith("connection:")]
            head = ("\r\n".join([lines[0]] + kept + ["Connection: close", "", ""])).encode("latin-1")
        return head

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        self._sockets.append(upstream)
        if self.buffering:
            self._serve_buffered(client, upstream)
        else:
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
            self._pump_requests(client, upstream)

    def _pump_requests(self, client: socket.socket, upstream: socket.socket) -> None:
        pending = b""  # the client sends GETs without bodies: every head ends a request
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                pending += data
                while b"\r\n\r\n" in pending:
                    head, pending = pending.split(b"\r\n\r\n", 1)
                    upstream.sendall(self._record(head + b"\r\n\r\n"))
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _serve_buffered(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            pending = b""
            while b"\r\n\r\n" not in pending:
                data = client.recv(65536)
                if not data:
                    return
                pending += data
            head = pending.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            upstream.sendall(self._record(head))
            answer = b""
            while True:  # until the upstream ends the answer, or the client gives up
                readable, _, _ = select.select([upstream, client], [], [], 1.0)
                if client in readable and not client.recv(1, socket.MSG_PEEK):
                    return
                if upstream in readable:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    answer += data
            status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
            with self.changed:
                self.statuses.append(status)
                self.changed.notify_all()
            client.sendall(answer)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass


class Recorder:
    """Collects a client's change and status callbacks; tests wait on it with deadlines."""

    def __init__(self) -> None:
        self.changes: List[Any] = []
        self.statuses: List[str] = []
        self.condition = threading.Condition()

    def on_change(self, previous, current, changed) -> None:
        with self.condition:
            self.changes.append((previous, current, changed, time.monotonic()))
            self.condition.notify_all()

    def on_status(self, status: str) -> None:
        with self.condition:
            self.statuses.append(status)
            self.condition.notify_all()

    def wait_version(self, version: int, timeout: float = 5.0) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: any(c[1]["version"] >= version for c in self.changes), timeout)

    def wait_status(self, status: str, timeout: float = 5.0) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: status in self.statuses, timeout)

    def versions(self) -> List[int]:
        with self.condition:
            return [c[1]["version"] for c in self.changes]


def fast_options(**options: Any) -> Dict[str, Any]:
    """Timings short enough for tests; everything else as in production."""
    defaults = dict(backoff_base=0.05, backoff_cap=0.5, stream_silence=1.0, stream_timeout=5.0,
                    poll_interval=0.2, request_timeout=5.0)
    defaults.update(options)
    return defaults
