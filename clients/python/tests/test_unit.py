"""Parts of the client on their own, and behaviours the real service cannot be made to show on demand
(403 on a read, 503 with Retry-After, an answer that is not an event stream), against a fake on loopback."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from llm_config_client import AccessDeniedError, Fallback, LlmConfigClient, TaskPlan
from llm_config_client import cache
from llm_config_client.backoff import Backoff
from llm_config_client.fields import invalid_reason
from llm_config_client.plans import build_plan
from llm_config_client.sse import SseParser
from llm_config_client.transport import retry_after

from .support import fast_options, free_port, wait_until

CONFIG = {
    "id": 1, "provider": "openai", "api_url": None, "model_tagger": "gpt-4o-mini", "model_enricher": "gpt-4o",
    "model_analytics": "gpt-4.1", "model_responder": None, "enabled": True, "auto_tagging": True,
    "auto_enrichment": False, "external_enrichment": True, "max_retries": 3, "retry_delay": 300,
    "backup_provider": None, "backup_model": None, "batch_size": 5, "concurrent_tasks": 2, "cache_responses": True,
    "min_confidence_tagging": 0.7, "min_confidence_entity": 0.8, "api_key_set": False, "api_key_hint": None,
    "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z", "version": 3,
}


class Sse(unittest.TestCase):
    def test_events_ids_comments_and_multiline_data(self) -> None:
        parser = SseParser()
        lines = ["retry: 2000\n", "\n", ": heartbeat\n", "\n", "id: 7\r\n", "event: config\n", "data: {\"a\":\n",
                 "data:1}\n", "\n"]
        events = [e for e in (parser.feed(line) for line in lines) if e]
        self.assertEqual(len(events), 1)
        self.assertEqual((events[0].event, events[0].id, json.loads(events[0].data)), ("config", "7", {"a": 1}))
        self.assertEqual(parser.retry_ms, 2000)


class BackoffDelays(unittest.TestCase):
    def test_exponential_with_jitter_capped_and_reset(self) -> None:
        low, high = Backoff(0.5, 30, rng=lambda: 0.0), Backoff(0.5, 30, rng=lambda: 0.999999)
        lows = [low.next_delay() for _ in range(10)]
        highs = [high.next_delay() for _ in range(10)]
        self.assertAlmostEqual(lows[0], 0.25)
        self.assertAlmostEqual(highs[0], 0.5, places=4)
        self.assertAlmostEqual(highs[-1], 30, places=3)
        self.assertEqual(lows[-1], 15)
        low.reset()
        self.assertAlmostEqual(low.next_delay(), 0.25)

    def test_a_thousand_clients_do_not_come_back_in_lockstep(self) -> None:
        delays = sorted(Backoff(0.5, 30).next_delay() for _ in range(1000))
        self.assertGreater(delays[-1] - delays[0], 0.2)
        self.assertGreater(len({round(d, 3) for d in delays}), 200)

    def test_retry_after(self) -> None:
        self.assertEqual(retry_after({"Retry-After": "5"}), 5.0)
        self.assertIsNone(retry_after({"Retry-After": "soon"}))
        self.assertIsNone(retry_after({}))
        date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
        self.assertTrue(25 <= retry_after({"Retry-After": date}) <= 31)


class Plans(unittest.TestCase):
    def test_the_four_plans(self) -> None:
        config = dict(CONFIG, backup_provider="ollama", backup_model=None)
        tagger = build_plan("tagger", config, "sk-x")
        self.assertEqual(tagger, TaskPlan(task="tagger", enabled=True, provider="openai", model="gpt-4o-mini", api_url=None,
                                          min_confidence=0.7, external_allowed=False, max_retries=3, retry_delay_s=300,
                                          batch_size=5, concurrent_tasks=2, cache_responses=True,
                                          fallback=Fallback("ollama", "gpt-4o-mini"), version=3, api_key="sk-x"))
        enricher = build_plan("enricher", config, None)
        self.assertEqual((enricher.enabled, enricher.min_confidence, enricher.external_allowed), (False, 0.8, True))
        analytics = build_plan("analytics", config, None)
        self.assertEqual((analytics.enabled, analytics.min_confidence, analytics.model), (True, None, "gpt-4.1"))
        responder = build_plan("responder", config, None)
        self.assertEqual((responder.enabled, responder.model, responder.fallback), (False, None, Fallback("ollama", None)))
        self.assertIsNone(build_plan("tagger", CONFIG, None).fallback)
        self.assertTrue(build_plan("responder", dict(CONFIG, model_responder="r1"), None).enabled)
        self.assertFalse(build_plan("analytics", dict(CONFIG, enabled=False), None).enabled)

    def test_frozen_and_the_key_is_not_in_repr(self) -> None:
        plan = build_plan("tagger", CONFIG, "sk-secret-value")
        self.assertNotIn("sk-secret-value", repr(plan))
        with self.assertRaises(Exception):
            plan.model = "other"  # type: ignore[misc]

    def test_an_unknown_task_names_the_four(self) -> None:
        with self.assertRaisesRegex(ValueError, "tagger, enricher, analytics, responder"):
            build_plan("summarizer", CONFIG, None)

    def test_validation(self) -> None:
        self.assertIsNone(invalid_reason(CONFIG))
        self.assertIsNone(invalid_reason(dict(CONFIG, api_key_version=None, some_new_field=1)))
        self.assertIn("batch_size", invalid_reason(dict(CONFIG, batch_size=True)))
        self.assertIn("version", invalid_reason({k: v for k, v in CONFIG.items() if k != "version"}))


class CacheFile(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.folder, True)
        self.path = os.path.join(self.folder, "llm-config.json")
        self.log = logging.getLogger("llm_config_client.test")

    def closed_url(self) -> str:
        return "http://127.0.0.1:%d" % free_port()

    def test_corrupt_or_foreign_files_are_ignored_with_a_warning(self) -> None:
        for content in (b"{not json", b'{"format": "something-else", "config": {}}',
                        json.dumps({"format": cache.FORMAT, "config": dict(CONFIG, version="3")}).encode(), b"\xff\xfe"):
            with self.subTest(content=content[:30]):
                with open(self.path, "wb") as file:
                    file.write(content)
                with self.assertLogs("llm_config_client", "WARNING") as logs:
                    client = LlmConfigClient(self.closed_url(), cache_file=self.path, **fast_options())
                self.addCleanup(client.close)
                self.assertIn("ignoring the cache file", logs.output[0])
                self.assertIsNone(client.config)
                with self.assertRaisesRegex(TimeoutError, "was not usable"):
                    client.wait_ready(timeout=0.2)
                client.close()

    def test_ready_and_stale_from_a_good_file(self) -> None:
        cache.save(self.path, "http://x", CONFIG, None, None)
        statuses = []
        client = LlmConfigClient(self.closed_url(), cache_file=self.path, on_status=statuses.append, **fast_options())
        self.addCleanup(client.close)
        client.wait_ready(timeout=2)  # at once: the first attempt is refused, the file serves
        self.assertEqual(client.config, CONFIG)
        self.assertEqual(client.status, "stale")
        self.assertEqual(statuses, ["stale"])
        self.assertIn("connection refused", str(client.error))

    def test_a_service_that_answers_first_wins_over_the_file(self) -> None:
        cache.save(self.path, "http://x", dict(CONFIG, version=2, batch_size=1), None, None)
        fake = Fake({"/llm-config": reply(200, CONFIG)})
        self.addCleanup(fake.close)
        changes = []
        client = LlmConfigClient(fake.url, cache_file=self.path, on_change=lambda *c: changes.append(c), **fast_options())
        self.addCleanup(client.close)
        client.wait_ready(timeout=2)
        self.assertEqual(client.version, 3)
        self.assertEqual(changes, [])  # the old copy was never served, so nothing "changed"
        self.assertEqual(fake.requests[0][1].get("If-None-Match"), '"2"')

    def test_a_slow_service_makes_the_file_serve_after_the_grace(self) -> None:
        cache.save(self.path, "http://x", CONFIG, None, None)
        release = threading.Event()
        self.addCleanup(release.set)
        fake = Fake({"/llm-config": lambda handler, index: release.wait(5)})
        self.addCleanup(fake.close)
        client = LlmConfigClient(fake.url, cache_file=self.path, **fast_options(cache_grace=0.3))
        self.addCleanup(client.close)
        started = time.monotonic()
        client.wait_ready(timeout=3)
        self.assertTrue(0.25 <= time.monotonic() - started < 2)
        self.assertEqual((client.version, client.status), (3, "stale"))

    def test_a_key_in_the_file_is_used_only_when_opted_in_and_scrubbed_otherwise(self) -> None:
        config = dict(CONFIG, api_key_set=True, api_key_hint="…KKKK")
        cache.save(self.path, "http://x", config, "sk-on-disk-KKKK", ("hint", True, "…KKKK"))
        opted = LlmConfigClient(self.closed_url(), cache_file=self.path, cache_api_key=True, **fast_options())
        opted.wait_ready(timeout=2)
        self.assertEqual(opted.task("tagger").api_key, "sk-on-disk-KKKK")
        opted.close()
        plain = LlmConfigClient(self.closed_url(), cache_file=self.path, **fast_options())
        self.addCleanup(plain.close)
        plain.wait_ready(timeout=2)
        self.assertIsNone(plain.task("tagger").api_key)
        with open(self.path) as file:
            self.assertNotIn("sk-on-disk", file.read())

    def test_writes_are_atomic_and_private(self) -> None:
        stop, torn = threading.Event(), []

        def reader() -> None:
            while not stop.is_set():
                try:
                    with open(self.path) as file:
                        json.load(file)
                except FileNotFoundError:
                    pass
                except ValueError as error:
                    torn.append(error)

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for version in range(1, 100):
                cache.save(self.path, "http://x", dict(CONFIG, version=version, model_tagger="m" * (version % 90 + 1)), None, None)
        finally:
            stop.set()
            thread.join()
        self.assertEqual(torn, [])
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        self.assertEqual(os.listdir(self.folder), ["llm-config.json"])


class ReadyTimeout(unittest.TestCase):
    def test_without_service_and_cache_file_the_timeout_says_why(self) -> None:
        url = "http://127.0.0.1:%d" % free_port()
        client = LlmConfigClient(url, **fast_options())
        self.addCleanup(client.close)
        started = time.monotonic()
        with self.assertRaises(TimeoutError) as raised:
            client.wait_ready(timeout=0.5)
        self.assertLess(time.monotonic() - started, 2)
        message = str(raised.exception)
        for part in (url, "within 0.5 s", "connection refused", "no cache file"):
            self.assertIn(part, message)
        self.assertEqual(client.status, "initializing")


class Fake:
    """A fake service on loopback: `routes` maps a path to a function (handler, index) -> None."""

    def __init__(self, routes) -> None:
        self.requests = []
        self.condition = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                with fake.condition:
                    index = sum(1 for r in fake.requests if r[0] == path)
                    fake.requests.append((path, dict(self.headers), time.monotonic()))
                    fake.condition.notify_all()
                routes.get(path, reply(404, {"detail": "no"}))(self, index)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client that hangs up mid-answer (close(), a stream given up) is expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate, timeout: float) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: predicate(self.requests), timeout)


def reply(status, body=None, headers=None):
    def handle(handler, index) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    return handle


def config_or_304(handler, index) -> None:
    etag = '"%d"' % CONFIG["version"]
    if handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    else:
        reply(200, CONFIG, {"ETag": etag})(handler, index)


class AgainstAFake(unittest.TestCase):
    def fake(self, routes) -> Fake:
        fake = Fake(routes)
        self.addCleanup(fake.close)
        return fake

    def test_403_fails_with_the_services_reason_and_stops(self) -> None:
        detail = 'The token "w" (nobody) may not read the configuration.'
        fake = self.fake({"/llm-config": reply(403, {"detail": detail})})
        client = LlmConfigClient(fake.url, token="some-token-0123456789", **fast_options())
        self.addCleanup(client.close)
        with self.assertRaises(AccessDeniedError) as raised:
            client.wait_ready(timeout=5)
        self.assertEqual(client.status, "failed")
        self.assertIn("403", str(raised.exception))
        self.assertIn(detail, str(raised.exception))
        self.assertNotIn("some-token-0123456789", str(raised.exception))
        self.assertFalse(fake.wait_for(lambda r: len(r) > 1, 0.5))

    def test_503_retry_after_is_honoured(self) -> None:
        def flaky(handler, index) -> None:
            if index == 0:
                reply(503, {"detail": "draining"}, {"Retry-After": "1"})(handler, index)
            else:
                config_or_304(handler, index)
        fake = self.fake({"/llm-config": flaky})
        client = LlmConfigClient(fake.url, **fast_options(backoff_base=0.01, backoff_cap=0.02))
        self.addCleanup(client.close)
        client.wait_ready(timeout=5)
        first, second = [r[2] for r in fake.requests[:2]]
        self.assertGreaterEqual(second - first, 0.95)  # not the 10-20 ms of the backoff

    def test_an_answer_that_is_not_an_event_stream_means_polling_with_if_none_match(self) -> None:
        fake = self.fake({"/llm-config": config_or_304, "/llm-config/watch": reply(200, {"not": "a stream"})})
        client = LlmConfigClient(fake.url, **fast_options(poll_interval=0.05))
        self.addCleanup(client.close)
        client.wait_ready(timeout=5)
        self.assertTrue(fake.wait_for(lambda r: sum(1 for x in r if x[1].get("If-None-Match") == '"3"') >= 3, 5))
        self.assertEqual([r[0] for r in fake.requests[:2]], ["/llm-config", "/llm-config/watch"])
        self.assertEqual(sum(1 for r in fake.requests if r[0] == "/llm-config/watch"), 1)  # retried only now and then
        self.assertEqual(client.status, "live")

    def test_the_key_is_revealed_again_only_when_api_key_version_moves(self) -> None:
        keyed = dict(CONFIG, api_key_set=True, api_key_hint="…SAME", api_key_version=2)
        versions = [dict(keyed, version=4, batch_size=9),  # the key did not change: no reveal
                    dict(keyed, version=5, api_key_version=5)]  # rotated (same hint): a reveal
        done = threading.Event()
        self.addCleanup(done.set)

        def stream(handler, index) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(b"retry: 2000\n\n")
            if index == 0:
                for config in versions:
                    handler.wfile.write(("id: %d\nevent: config\ndata: %s\n\n" % (config["version"], json.dumps(config))).encode())
            handler.wfile.flush()
            done.wait(5)

        def credentials(handler, index) -> None:
            reply(200, {"api_key": ["sk-first", "sk-second"][min(index, 1)]})(handler, index)

        changes = []
        fake = self.fake({"/llm-config": reply(200, keyed), "/llm-config/watch": stream, "/llm-config/credentials": credentials})
        client = LlmConfigClient(fake.url, token="consumer-token-0123456789", on_change=lambda *c: changes.append(c), **fast_options())
        self.addCleanup(client.close)
        client.wait_ready(timeout=5)
        self.assertTrue(wait_until(lambda: client.version == 5, 5))
        self.assertEqual(client.task("tagger").api_key, "sk-second")
        self.assertEqual([r[0] for r in fake.requests], ["/llm-config", "/llm-config/credentials", "/llm-config/watch",
                                                         "/llm-config/credentials"])
        self.assertEqual(fake.requests[2][1].get("Last-Event-ID"), "3")
        self.assertEqual([c[2] for c in changes], [{"batch_size", "version"}, {"api_key_version", "version", "batch_size"}])

    def test_a_rotation_whose_reveal_fails_is_held_back_stale_then_taken_with_its_key(self) -> None:
        # The same as the TypeScript client: plans never pair a version with another version's key.
        keyed = dict(CONFIG, api_key_set=True, api_key_hint="…AAAA", api_key_version=2)
        rotated = dict(keyed, version=4, api_key_hint="…BBBB", api_key_version=4, batch_size=9)
        done = threading.Event()
        self.addCleanup(done.set)

        def stream(handler, index) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(b"retry: 2000\n\n")
            if int(handler.headers.get("Last-Event-ID", "0")) < 4:
                handler.wfile.write(("id: 4\nevent: config\ndata: %s\n\n" % json.dumps(rotated)).encode())
            handler.wfile.flush()
            done.wait(5)

        def credentials(handler, index) -> None:
            if index in (1, 2):
                return reply(503, {"detail": "the encryption key is unavailable"})(handler, index)
            reply(200, {"api_key": ["sk-first", None, None, "sk-second"][index]})(handler, index)

        while_stale = []
        statuses = []
        changes = []
        fake = self.fake({"/llm-config": reply(200, keyed), "/llm-config/watch": stream, "/llm-config/credentials": credentials})
        client = LlmConfigClient(fake.url, token="consumer-token-0123456789", on_change=lambda *c: changes.append(c),
                                 on_status=lambda status: statuses.append(status) or (status == "stale" and while_stale.append((client.version, client.task("tagger").api_key))),
                                 **fast_options())
        self.addCleanup(client.close)
        client.wait_ready(timeout=5)
        self.assertTrue(wait_until(lambda: client.version == 4 and client.status == "live", 5))
        self.assertEqual(while_stale, [(3, "sk-first")])  # stale, the earlier version with its own key
        self.assertEqual(statuses, ["live", "stale", "live"])  # no flip to live on a reconnect while held back
        self.assertEqual(client.task("tagger").api_key, "sk-second")
        self.assertEqual([c[2] for c in changes], [{"api_key_hint", "api_key_version", "version", "batch_size"}])
        watches = [r for r in fake.requests if r[0] == "/llm-config/watch"]
        self.assertEqual([w[1].get("Last-Event-ID") for w in watches[:3]], ["3", "3", "3"])  # asked again for the held-back version

    def test_close_ends_the_thread_promptly(self) -> None:
        fake = self.fake({"/llm-config": config_or_304, "/llm-config/watch": lambda handler, index: time.sleep(3)})
        client = LlmConfigClient(fake.url, **fast_options(stream_silence=10))
        client.wait_ready(timeout=5)
        self.assertTrue(fake.wait_for(lambda r: any(x[0] == "/llm-config/watch" for x in r), 5))
        started = time.monotonic()
        client.close()
        self.assertLess(time.monotonic() - started, 1)
        self.assertFalse(client._thread.is_alive())


if __name__ == "__main__":
    unittest.main()
