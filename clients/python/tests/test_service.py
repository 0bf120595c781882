"""The client against the real service process (issue 12, "Tests")."""
from __future__ import annotations

import json
import os
import select
import shutil
import statistics
import sys
import tempfile
import threading
import time
import unittest

from llm_config_client import AccessDeniedError, LlmConfigClient
from .support import (ADMIN_TOKEN, CONSUMER_TOKEN, READER_TOKEN, Proxy, Recorder, Service,
                     fast_options, read_json, read_text, wait_until)

BOUND = 1.0  # a change reaches a client within 1 s of the write's acknowledgement


_service = None


def setUpModule() -> None:
    # One service for the module: a start costs seconds (the embedded database most), and every
    # test leaves it running, the ones that stop it included.
    global _service
    _service = Service().start()


def tearDownModule() -> None:
    if _service is not None:
        _service.close()


class _WithService(unittest.TestCase):
    @property
    def service(self) -> Service:
        assert _service is not None
        return _service

    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="llm-config-py-test-")
        self.addCleanup(shutil.rmtree, self.folder, True)

    def client(self, url=None, **options) -> LlmConfigClient:
        client = LlmConfigClient(url or self.service.url, **fast_options(**options))
        self.addCleanup(client.close)
        return client

    def proxy(self, **options) -> Proxy:
        proxy = Proxy(self.service.port, **options)
        self.addCleanup(proxy.close)
        return proxy


class LiveTest(_WithService):
    def test_ready_and_live(self) -> None:
        recorder = Recorder()
        client = self.client(token=READER_TOKEN, on_status=recorder.on_status)
        client.wait_ready(timeout=5)
        self.assertTrue(recorder.wait_status("live"))
        self.assertEqual(client.status, "live")
        served = self.service.current()
        self.assertEqual(client.config, served)
        plan = client.task("tagger")
        self.assertEqual((plan.model, plan.provider, plan.version), (served["model_tagger"], served["provider"], served["version"]))
        self.assertIsNone(plan.api_key)  # a reader may not reveal the key: not an error
        self.assertEqual(client.status, "live")
        self.assertIsNone(client.error)

    def test_a_change_arrives_within_the_bound_with_its_changed_fields(self) -> None:
        recorder = Recorder()
        client = self.client(token=READER_TOKEN, on_change=recorder.on_change)
        client.wait_ready(timeout=5)
        self.assertTrue(wait_until(lambda: client.status == "live", 5))
        latencies = []
        for size in range(21, 41):
            acknowledged_version = self.service.patch(batch_size=size)["version"]
            acknowledged = time.monotonic()
            self.assertTrue(recorder.wait_version(acknowledged_version, timeout=5), "version %d never arrived" % acknowledged_version)
            seen = next(c for c in recorder.changes if c[1]["version"] == acknowledged_version)
            latencies.append(max(0.0, seen[3] - acknowledged))
        previous, current, changed, _ = recorder.changes[-1]
        self.assertEqual(changed, {"batch_size", "version", "updated_at"})
        self.assertEqual((previous["batch_size"], current["batch_size"]), (39, 40))
        self.assertEqual(client.task("enricher").batch_size, 40)
        latencies.sort()
        p99 = latencies[int(0.99 * (len(latencies) - 1))]
        sys.stderr.write("\n[python client] propagation after the write's answer: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d writes)\n"
                         % (statistics.median(latencies) * 1000, p99 * 1000, latencies[-1] * 1000, len(latencies)))
        self.assertLess(p99, BOUND)

    def test_a_key_rotation_reaches_a_consumer_and_other_changes_cost_no_reveal(self) -> None:
        self.service.patch(api_key="sk-first-key-0000AAAA")
        proxy = self.proxy()
        recorder = Recorder()
        client = self.client(url=proxy.url, token=CONSUMER_TOKEN, on_change=recorder.on_change)
        client.wait_ready(timeout=5)
        self.assertEqual(client.task("tagger").api_key, "sk-first-key-0000AAAA")
        self.assertNotIn("sk-first", repr(client.task("tagger")))  # never in a log line
        self.assertTrue(proxy.wait_for(lambda p: "/llm-config/watch" in p.paths(), 5))

        version = self.service.patch(api_key="sk-second-key-1111BBBB")["version"]
        self.assertTrue(recorder.wait_version(version, timeout=BOUND * 2))
        self.assertEqual(client.task("responder").api_key, "sk-second-key-1111BBBB")
        reveals = proxy.paths().count("/llm-config/credentials")
        self.assertEqual(reveals, 2)

        version = self.service.patch(concurrent_tasks=3)["version"]
        self.assertTrue(recorder.wait_version(version, timeout=BOUND * 2))
        self.assertEqual(proxy.paths().count("/llm-config/credentials"), reveals)  # the key did not change: no reveal
        self.assertEqual(client.task("tagger").api_key, "sk-second-key-1111BBBB")

    def test_401_fails_for_good_without_printing_the_token(self) -> None:
        proxy = self.proxy()
        recorder = Recorder()
        token = "not-a-known-token-0123456789"
        client = self.client(url=proxy.url, token=token, on_status=recorder.on_status)
        with self.assertRaises(AccessDeniedError) as raised:
            client.wait_ready(timeout=5)
        self.assertEqual(client.status, "failed")
        self.assertEqual(recorder.statuses, ["failed"])
        self.assertEqual(raised.exception.status, 401)
        self.assertIn("does not know this token", str(raised.exception))
        self.assertNotIn(token, str(raised.exception))
        self.assertEqual(len(proxy.requests), 1)
        # A retrying client (backoff from 50 ms) would have sent several more within this deadline.
        self.assertFalse(proxy.wait_for(lambda p: len(p.requests) > 1, 1.5))
        self.assertFalse(client._thread.is_alive())

    def test_behind_a_buffering_proxy_it_polls_and_gets_304s(self) -> None:
        proxy = self.proxy(buffering=True)
        recorder = Recorder()
        client = self.client(url=proxy.url, token=READER_TOKEN, on_change=recorder.on_change, poll_interval=0.2,
                             stream_silence=0.5, stream_retry_interval=60)
        client.wait_ready(timeout=5)
        self.assertTrue(proxy.wait_for(lambda p: p.statuses.count(304) >= 2, 10), proxy.statuses)
        self.assertEqual(client.status, "live")
        self.assertIn("/llm-config/watch", proxy.paths())
        polls = [r for r in proxy.requests if r["path"] == "/llm-config" and "if-none-match" in r["headers"]]
        self.assertTrue(polls)
        version = self.service.patch(retry_delay=42)["version"]
        self.assertTrue(recorder.wait_version(version, timeout=5))
        self.assertEqual(client.task("analytics").retry_delay_s, 42)

    def test_after_a_fork_the_child_has_a_watcher_of_its_own(self) -> None:
        client = self.client(token=READER_TOKEN)
        client.wait_ready(timeout=5)
        self.assertTrue(wait_until(lambda: client.status == "live", 5))
        forked_at = client.version
        parent_thread = client._thread
        ready_r, ready_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe, and never return into unittest
            code = 1
            try:
                os.close(ready_r)
                os.close(result_r)
                seen = threading.Event()
                client.on_change(lambda previous, current, changed: seen.set())
                os.write(ready_w, b"R")
                got = seen.wait(10)
                report = {"got": got, "version": client.version, "batch_size": client.config["batch_size"],
                          "status": client.status, "thread_alive": bool(client._thread and client._thread.is_alive()),
                          "new_thread": client._thread is not parent_thread}
                os.write(result_w, (json.dumps(report) + "\n").encode())
                code = 0
            finally:
                os._exit(code)
        os.close(ready_w)
        os.close(result_w)
        try:
            self.assertTrue(select.select([ready_r], [], [], 10)[0], "the child did not start")
            self.assertEqual(os.read(ready_r, 1), b"R")
            version = self.service.patch(batch_size=77)["version"]
            self.assertGreater(version, forked_at)
            self.assertTrue(select.select([result_r], [], [], 10)[0], "no report from the child")
            report = json.loads(os.read(result_r, 4096).decode())
            self.assertEqual(report, {"got": True, "version": version, "batch_size": 77, "status": "live",
                                      "thread_alive": True, "new_thread": True})
            self.assertTrue(wait_until(lambda: client.version == version, 5))  # the parent still watches too
            self.assertTrue(client._thread.is_alive())
        finally:
            os.close(ready_r)
            os.close(result_r)
            _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8, 0)

    def test_the_cache_file_is_private_atomic_and_keyless_unless_asked(self) -> None:
        self.service.patch(api_key="sk-cached-key-2222CCCC")
        path = os.path.join(self.folder, "cache", "llm-config.json")
        old_umask = os.umask(0)  # even so, the file is 0600
        try:
            recorder = Recorder()
            client = self.client(token=CONSUMER_TOKEN, cache_file=path, on_change=recorder.on_change)
            client.wait_ready(timeout=5)
            self.assertTrue(wait_until(lambda: os.path.exists(path), 5))
        finally:
            os.umask(old_umask)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as file:
            text = file.read()
        self.assertNotIn("sk-cached-key", text)
        self.assertEqual(json.loads(text)["config"]["version"], client.version)
        self.assertEqual(client.task("tagger").api_key, "sk-cached-key-2222CCCC")

        inode = os.stat(path).st_ino
        version = self.service.patch(batch_size=55)["version"]
        self.assertTrue(recorder.wait_version(version, timeout=5))
        self.assertTrue(wait_until(lambda: read_json(path)["config"]["version"] == version, 5))
        self.assertNotEqual(os.stat(path).st_ino, inode)  # replaced by a rename, not rewritten in place
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.assertEqual(sorted(os.listdir(os.path.dirname(path))), ["llm-config.json"])  # no temporary left

        keyed = os.path.join(self.folder, "keyed.json")
        opted = self.client(token=CONSUMER_TOKEN, cache_file=keyed, cache_api_key=True)
        opted.wait_ready(timeout=5)
        self.assertTrue(wait_until(lambda: os.path.exists(keyed) and "sk-cached-key" in read_text(keyed), 5))
        self.assertEqual(os.stat(keyed).st_mode & 0o777, 0o600)


class RestartTest(_WithService):
    def test_a_restart_mid_stream_resumes_without_missing_or_repeating_a_version(self) -> None:
        proxy = self.proxy()
        recorder = Recorder()
        # The default silence threshold: a restarted service on a loaded machine can be slow to
        # send its first line, and a client that polls meanwhile sees only the latest version.
        client = self.client(url=proxy.url, token=READER_TOKEN, on_change=recorder.on_change, on_status=recorder.on_status,
                             stream_silence=5.0)
        client.wait_ready(timeout=5)
        start = client.version
        first = self.service.patch(max_retries=4)["version"]
        self.assertTrue(recorder.wait_version(first, timeout=BOUND * 2))

        self.service.stop()
        self.assertTrue(recorder.wait_status("stale", timeout=10))
        self.service.start()
        written = [self.service.patch(max_retries=n)["version"] for n in (5, 6, 7)]
        self.assertTrue(recorder.wait_version(written[-1], timeout=10))
        self.assertTrue(wait_until(lambda: client.status == "live", 5))

        self.assertEqual(recorder.versions(), list(range(start + 1, written[-1] + 1)),
                         [(r["path"], r["headers"].get("last-event-id")) for r in proxy.requests])
        self.assertEqual(client.task("tagger").max_retries, 7)
        resumes = [r["headers"].get("last-event-id") for r in proxy.requests if r["path"] == "/llm-config/watch"]
        self.assertEqual(resumes[0], str(start))
        self.assertEqual(resumes[1], str(first))  # the reconnect after the restart resumed after `first`
        self.assertTrue(all(int(r) >= first for r in resumes[1:]), resumes)

    def test_down_at_start_with_a_cache_file_it_is_ready_and_stale_then_live(self) -> None:
        path = os.path.join(self.folder, "llm-config.json")
        self.service.patch(api_key="sk-down-at-start-3333DDDD", model_tagger="tagger-before")
        with LlmConfigClient(self.service.url, token=CONSUMER_TOKEN, cache_file=path, **fast_options()) as first:
            first.wait_ready(timeout=5)
            self.assertTrue(wait_until(lambda: os.path.exists(path), 5))
            cached = first.config

        self.service.stop()
        recorder = Recorder()
        client = self.client(token=CONSUMER_TOKEN, cache_file=path, on_change=recorder.on_change, on_status=recorder.on_status)
        client.wait_ready(timeout=1)
        self.assertEqual(client.config, cached)
        self.assertTrue(recorder.wait_status("stale", timeout=5))
        self.assertEqual(client.task("tagger").model, "tagger-before")
        self.assertIsNone(client.task("tagger").api_key)  # the key was not cached (cache_api_key=False)

        self.service.start()
        self.assertTrue(recorder.wait_status("live", timeout=10))
        version = self.service.patch(model_tagger="tagger-after")["version"]
        self.assertTrue(recorder.wait_version(version, timeout=5))
        self.assertEqual(client.task("tagger").model, "tagger-after")
        self.assertEqual(client.task("tagger").api_key, "sk-down-at-start-3333DDDD")
        self.assertEqual(recorder.statuses, ["stale", "live"])


if __name__ == "__main__":
    unittest.main()
