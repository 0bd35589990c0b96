"""Taskport's reliability suite: real `taskport serve` processes, real files, a real PostgreSQL,
driven the way a hostile or unlucky world would drive them. Every check is bounded in time and
sends traffic to loopback only. See reliability/README.md.

Usage: reliability/run [--fast] [--only NAME ...]
"""

import argparse
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("TASKPORT_BIN", os.path.join(ROOT, ".build", "debug", "taskport"))
POSTGRES = os.environ.get("TASKPORT_TEST_POSTGRES")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `taskport serve` on a free loopback port, with the demo tenant."""

    def __init__(self, folder, database=None, extra=(), log_level="info"):
        self.folder = folder
        self.port = free_port()
        self.database = database or os.path.join(folder, "taskport.sqlite")
        self.log_path = os.path.join(folder, f"server-{self.port}.log")
        self.extra = list(extra)
        self.log_level = log_level
        self.process = None
        self.stopping = False

    def start(self):
        # The log is standard error; standard output has what `serve --demo` prints for people (its credentials).
        log = open(self.log_path, "ab")
        output = open(self.log_path + ".out", "ab")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--database", self.database, "--port", str(self.port), "--demo", "--log-level", self.log_level]
            + self.extra,
            cwd=self.folder, stdout=output, stderr=log,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start: {open(self.log_path).read()[-2000:]}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        self.demo = json.load(open(os.path.join(self.folder, "taskport-demo.json")))
        return self

    def request(self, method, path, body=None, headers=None, timeout=15):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body.encode() if isinstance(body, str) else body
            connection.request(method, path, body=data, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            connection.close()

    def native(self, method, path, body=None, content_type="application/json", key=None, extra=None, timeout=15):
        headers = {"Authorization": f"Bearer {key or self.demo['native']['apiKey']}"}
        if body is not None:
            headers["Content-Type"] = content_type
        headers.update(extra or {})
        return self.request(method, path, body, headers, timeout)

    def alive(self):
        try:
            return self.process.poll() is None and self.request("GET", "/healthz", timeout=5)[0] == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.stopping = True
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        return self.process.returncode if self.process else None

    def log(self):
        return open(self.log_path, errors="replace").read()

    def nexudus_token(self):
        form = f"grant_type=password&username={self.demo['nexudus']['username']}&password={self.demo['nexudus']['password']}"
        status, _, body = self.request("POST", "/api/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, body
        return json.loads(body)

    def surfaces(self, token=None):
        """Every surface's credential headers, for this server's demo tenant."""
        demo = self.demo
        return {
            "native": {"Authorization": f"Bearer {demo['native']['apiKey']}"},
            "rollout": {"Authorization": f"Bearer {demo['rollout']['bearer']}", "X-Rollout-Credential-Id": demo["rollout"]["credentialId"]},
            "maxsight": {"apikey": demo["maxsight"]["apiKey"]},
            "thena": {"x-api-key": demo["thena"]["apiKey"]},
            "nexudus": {"Authorization": f"Bearer {token or self.nexudus_token()['access_token']}"},
        }


def cli(*arguments, database, stdin=None):
    result = subprocess.run([BINARY, *arguments, "--database", database], input=stdin, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"taskport {' '.join(arguments)}: {result.stderr}")
    return result.stdout


def tenant_digest(server):
    """Everything a client can read of the demo tenant's tasks: the list and every history."""
    status, _, body = server.native("GET", "/v1/tasks?limit=200")
    assert status == 200, body
    tasks = json.loads(body)["items"]
    digest = hashlib.sha256(body)
    for task in tasks:
        status, _, history = server.native("GET", f"/v1/tasks/{task['id']}/history")
        assert status == 200, history
        digest.update(history)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# The checks. Each returns a dict of figures and raises AssertionError on failure.


def deep(levels):
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


HOSTILE_BODIES = [
    ("empty", b""),
    ("not JSON", b"hello"),
    ("a JSON array", b"[]"),
    ("a JSON string", b'"x"'),
    ("null", b"null"),
    ("trailing comma", b'{"title":"x",}'),
    ("duplicate member", b'{"title":"x","title":"y"}'),
    ("duplicate through an escape", b'{"title":"x","\\u0074itle":"y"}'),
    ("comment", b'{"title":"x"/**/}'),
    ("single quotes", b"{'title':'x'}"),
    ("NaN", b'{"title":"x","n":NaN}'),
    ("huge number", b'{"title":"x","n":1e400}'),
    ("huge integer", b'{"title":"x","n":123456789012345678901234567890}'),
    ("invalid UTF-8", b'{"title":"\xff\xfe"}'),
    ("overlong UTF-8", b'{"title":"\xc0\xaf"}'),
    ("encoded surrogate", b'{"title":"\xed\xa0\x80"}'),
    ("lone surrogate escape", b'{"title":"\\ud800"}'),
    ("NUL", b'{"title":"a\\u0000b"}'),
    ("raw control character", b'{"title":"a\x01b"}'),
    ("metadata 510 deep", ('{"title":"x","metadata":' + deep(510) + "}").encode()),
    ("metadata 5000 deep", ('{"title":"x","metadata":' + deep(5000) + "}").encode()),
    ("arrays 100000 deep", b"[" * 100000 + b"]" * 100000),
    ("metadata 17 deep", ('{"metadata":' + deep(17) + "}").encode()),
    ("wide object", ("{" + ",".join(f'"m{i}":0' for i in range(5000)) + "}").encode()),
    ("long array", ("[" + ",".join("0" for _ in range(20000)) + "]").encode()),
    ("metadata over 64 KiB", ('{"metadata":{"big":"' + "x" * 70000 + '"}}').encode()),
    ("over the body limit", b'{"notes":"' + b"x" * (1 << 20) + b'"}'),
    ("year 0000", b'{"dueAt":"0000-01-01T00:00:00Z","dueDateTime":"0000-01-01T00:00:00Z","DueDate":"0000-01-01T00:00:00Z"}'),
    ("odd time zone", b'{"timeZone":"GMT+14:01"}'),
    ("wrong types", b'{"title":5,"completed":"yes","name":[],"isCompleted":"maybe","Name":{}}'),
    ("two documents", b'{"title":"x"}{"title":"y"}'),
]


def write_routes(server):
    """(surface, method, path, content type) for every write route, against demo task 1."""
    return [
        ("native", "POST", "/v1/tasks", "application/json"),
        ("native", "PATCH", "/v1/tasks/1", "application/merge-patch+json"),
        ("native", "POST", "/v1/task-attributes", "application/json"),
        ("native", "POST", "/v1/webhooks", "application/json"),
        ("rollout", "POST", "/api/tasks", "application/json"),
        ("rollout", "PUT", "/api/tasks/1", "application/json"),
        ("rollout", "PUT", "/api/tasks/1", "text/plain"),
        ("rollout", "PUT", "/api/tasks/1", "multipart/form-data; boundary=b"),
        ("maxsight", "PUT", "/v5/tasks/1/update-assignment", "application/json"),
        ("thena", "POST", "/v1/accounts/tasks", "application/json"),
        ("thena", "PUT", "/v1/accounts/tasks/1", "application/json"),
        ("nexudus", "POST", "/api/crm/coworkertasks", "application/json"),
        ("nexudus", "PUT", "/api/crm/coworkertasks", "application/json"),
        ("nexudus", "POST", "/api/token", "application/x-www-form-urlencoded"),
    ]


def check_hostile_corpus(folder):
    server = Server(folder).start()
    try:
        credentials = server.surfaces()
        before = tenant_digest(server)
        cases = 0
        for surface, method, path, content_type in write_routes(server):
            for label, body in HOSTILE_BODIES:
                headers = dict(credentials[surface])
                headers["Content-Type"] = content_type
                if surface == "maxsight":
                    headers["If-Match"] = "*"
                status, _, answer = server.request(method, path, body, headers, timeout=30)
                cases += 1
                assert status < 500, f"{surface} {method} {path} {label}: {status} {answer[:300]!r}"
                assert server.alive(), f"the server died on {surface} {method} {path} {label}"
                if status >= 400:
                    assert tenant_digest(server) == before, f"{surface} {method} {path} {label}: refused with {status} but the tenant changed"
                else:
                    before = tenant_digest(server)
        # Raw protocol abuse, then the server still answers.
        raw_cases = [
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            b"GARBAGE\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"PATCH /v1/tasks/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
            b"GET /v1/tasks?&& HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        for data in raw_cases:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                answer = s.recv(65536)
                assert answer.startswith(b"HTTP/1.1 4"), f"{data[:60]!r}: {answer[:200]!r}"
                assert b"\r\n\r\n{" in answer or b"Content-Length: 0" not in answer, f"an empty answer: {answer[:200]!r}"
            cases += 1
        assert server.alive()
        return {"cases": cases}
    finally:
        server.stop()


def check_secrets_in_logs(folder):
    server = Server(folder, log_level="trace").start()
    try:
        pair = server.nexudus_token()
        secrets = [
            server.demo["native"]["apiKey"], server.demo["maxsight"]["apiKey"], server.demo["thena"]["apiKey"],
            server.demo["rollout"]["bearer"], pair["access_token"], pair["refresh_token"], server.demo["nexudus"]["password"],
        ]
        credentials = server.surfaces(pair["access_token"])
        requests = 0
        for surface, headers in credentials.items():
            path = {"native": "/v1/tasks", "rollout": "/api/tasks", "maxsight": "/v5/tasks", "thena": "/v1/accounts/tasks",
                    "nexudus": "/api/crm/coworkertasks"}[surface]
            for method, body in [("GET", None), ("POST", b'{"title":"x",}'), ("POST", b"[" * 50000)]:
                sent = dict(headers)
                if body is not None:
                    sent["Content-Type"] = "application/json"
                server.request(method, path + "?&&" if method == "GET" else path, body, sent)
                server.request(method, path, body, sent)
                requests += 2
            # The same credentials in the wrong place, mangled, and on another surface.
            for name, value in headers.items():
                server.request("GET", path, None, {name: value + "x"})
                server.request("GET", "/v1/tasks", None, {name: value})
                requests += 2
        form = f"grant_type=refresh_token&refresh_token={pair['refresh_token']}"
        server.request("POST", "/api/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        bad = f"grant_type=password&username=alice%40demo.taskport.test&password={server.demo['nexudus']['password']}x"
        server.request("POST", "/api/token", bad, {"Content-Type": "application/x-www-form-urlencoded"})
        server.request("POST", "/api/token", '{"password":"%s"}' % server.demo["nexudus"]["password"], {"Content-Type": "application/json"})
        requests += 3
        server.stop()
        log = server.log()
        assert len(log) > 1000, "the server logged almost nothing: the check would prove nothing"
        for secret in secrets:
            assert secret not in log, f"a credential ({secret[:6]}…) is in the log"
        return {"requests": requests, "log bytes": len(log), "secrets looked for": len(secrets)}
    finally:
        server.stop()


def check_shutdown_drain(folder):
    server = Server(folder).start()
    key = server.demo["native"]["apiKey"].encode()
    request = b"GET /v1/tasks/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + b"\r\n\r\n"

    def read_head(s):
        s.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += s.recv(65536)
        return head

    connections = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(8)]
    for s in connections:
        s.sendall(request)
        assert read_head(s).startswith(b"HTTP/1.1 200")
    # Writes in flight while the signal arrives.
    results = []

    # Each writer keeps one keep-alive connection, opened before the signal (a connection accepted
    # at the very moment the listener closes is another matter: see reliability/README.md).
    def writer(index):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
        headers = {"Authorization": f"Bearer {key.decode()}", "Content-Type": "application/merge-patch+json"}
        for n in range(30):
            try:
                connection.request("PATCH", "/v1/tasks/1", json.dumps({"notes": f"w{index}-{n}"}), headers)
                response = connection.getresponse()
                response.read()
                results.append(response.status)
                if (response.getheader("Connection") or "").lower() == "close":
                    return
            except (OSError, http.client.HTTPException):
                results.append("closed")
                return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    closed = 0
    for s in connections:
        s.sendall(request)
    for index, s in enumerate(connections):
        try:
            head = read_head(s)
        except TimeoutError:
            raise AssertionError(f"connection {index} got no answer to the request it sent after SIGTERM")
        assert head.startswith(b"HTTP/1.1 200"), head[:100]
        closed += b"connection: close" in head.lower()
        s.close()
    for thread in threads:
        thread.join(30)
    code = server.process.wait(timeout=30)
    assert code == 0, f"exit code {code}"
    assert closed == len(connections), f"{closed} of {len(connections)} answers said Connection: close"
    assert all(r == 200 for r in results), f"answers while stopping: {sorted(set(map(str, results)))}"
    return {"idle connections answered with close": closed, "writes answered": results.count(200), "exit": code}


def check_shutdown_under_new_connections(folder, runs=5):
    """SIGTERM while clients open a new connection for every request: the server stops cleanly."""
    exits = []
    for run in range(runs):
        server = Server(os.path.join(folder, f"run-{run}"))
        os.makedirs(server.folder)
        server.start()
        stop = threading.Event()

        def client():
            while not stop.is_set():
                try:
                    server.native("GET", "/v1/tasks/1", timeout=5)
                except (OSError, http.client.HTTPException):
                    pass

        threads = [threading.Thread(target=client) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(0.7)
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(30)
        exits.append(code)
        assert code == 0, f"run {run}: exit {code}: {server.log()[-1500:]}"
    return {"runs": runs, "exit codes": exits}


def check_sigkill_under_load(folder, seconds=4):
    server = Server(folder, extra=["--durability", "full"]).start()
    ids = []
    for n in range(8):
        status, headers, body = server.native("POST", "/v1/tasks", json.dumps({"title": f"k{n}"}))
        assert status == 201, body
        ids.append(json.loads(body)["id"])
    acknowledged = {}
    stop = threading.Event()

    def writer(task):
        version = 1
        while not stop.is_set():
            title = f"{task[:8]}-{version + 1}"
            try:
                status, headers, body = server.native(
                    "PATCH", f"/v1/tasks/{task}", json.dumps({"title": title}), "application/merge-patch+json",
                    extra={"If-Match": f'"{version}"'},
                )
            except OSError:
                return
            if status == 200:
                version = json.loads(body)["version"]
                acknowledged[task] = (version, title)

    threads = [threading.Thread(target=writer, args=(task,)) for task in ids]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(30)
    check = sqlite3.connect(server.database)
    integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    check.close()
    assert integrity == "ok", integrity
    again = Server(folder, database=server.database).start()
    try:
        writes = 0
        for task, (version, title) in acknowledged.items():
            status, _, body = again.native("GET", f"/v1/tasks/{task}")
            stored = json.loads(body)
            assert stored["version"] >= version, f"{task}: acknowledged version {version}, stored {stored['version']}"
            if stored["version"] == version:
                assert stored["title"] == title, f"{task}: acknowledged {title!r}, stored {stored['title']!r}"
            history = json.loads(again.native("GET", f"/v1/tasks/{task}/history")[2])["items"]
            assert [entry["version"] for entry in history] == list(range(1, stored["version"] + 1)), f"{task}: history has gaps"
            writes += version - 1
        return {"acknowledged writes": writes, "tasks": len(acknowledged), "integrity_check": integrity}
    finally:
        again.stop()


def check_slow_clients(folder, sockets=300, timeout=3):
    """Hundreds of sockets that trickle header bytes, or a body, and never finish."""
    server = Server(folder, extra=["--connection-timeout", str(timeout)]).start()
    try:
        trickling = []
        for n in range(sockets):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout * 4)
            s.sendall(b"GET /v1/tasks HTTP/1.1\r\nHost: x\r\nX-Slow: " if n % 2 else
                      b"PATCH /v1/tasks/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            trickling.append(s)
        started = time.time()
        open_sockets = set(range(sockets))
        while open_sockets and time.time() - started < timeout * 4:
            for n in list(open_sockets):
                try:
                    trickling[n].sendall(b"a")
                    trickling[n].setblocking(False)
                    try:
                        if trickling[n].recv(65536) == b"":
                            open_sockets.discard(n)
                    except BlockingIOError:
                        pass
                    finally:
                        trickling[n].setblocking(True)
                except OSError:
                    open_sockets.discard(n)
            time.sleep(0.25)
        closed_after = time.time() - started
        for s in trickling:
            s.close()
        assert not open_sockets, f"{len(open_sockets)} of {sockets} trickling sockets still open after {closed_after:.1f} s"
        assert server.alive()
        status, _, _ = server.native("GET", "/v1/tasks")
        assert status == 200
        return {"sockets": sockets, "all closed after s": round(closed_after, 1), "timeout s": timeout}
    finally:
        server.stop()


def check_sqlite_disk_full(folder):
    """The SQLite file's disk fills up under writes, then has room again."""
    disk = os.path.join(folder, "disk")
    os.makedirs(disk)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", disk], capture_output=True).returncode != 0:
        raise Skip("cannot mount a small tmpfs here (needs root)")
    server = None
    try:
        server = Server(disk, extra=["--durability", "full"]).start()
        filler = os.path.join(disk, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
                    if shutil.disk_usage(disk).free < 3 * 1024 * 1024:
                        break
            except OSError:
                pass
        answers = []
        note = "x" * 15000
        for n in range(2000):
            status, headers, body = server.native("PATCH", "/v1/tasks/1", json.dumps({"notes": f"{n}{note}"}), "application/merge-patch+json")
            answers.append(status)
            if status != 200:
                break
        refused = answers[-1]
        assert refused == 503, f"a full disk answered {refused}: {body[:300]!r}"
        assert headers.get("retry-after"), "no Retry-After"
        assert server.alive()
        assert server.native("GET", "/v1/tasks/1")[0] == 200, "reads stop when the disk is full"
        os.remove(filler)
        again = [server.native("PATCH", "/v1/tasks/1", json.dumps({"notes": f"again {n}"}), "application/merge-patch+json")[0] for n in range(3)]
        assert again == [200, 200, 200], f"after room was made: {again}"
        return {"writes before the disk was full": len(answers) - 1, "then": refused, "after room was made": again}
    finally:
        if server:
            server.stop()
        subprocess.run(["umount", disk], capture_output=True)


def storm(servers, writers=16, rounds=15):
    """Writers on every server race to change one task, each with the version it read."""
    status, _, body = servers[0].native("POST", "/v1/tasks", json.dumps({"title": "storm"}))
    task = json.loads(body)["id"]
    outcomes = []

    def writer(index):
        server = servers[index % len(servers)]
        for n in range(rounds):
            _, _, body = server.native("GET", f"/v1/tasks/{task}")
            version = json.loads(body)["version"]
            status, _, _ = server.native(
                "PATCH", f"/v1/tasks/{task}", json.dumps({"notes": f"{index}-{n}"}), "application/merge-patch+json",
                extra={"If-Match": f'"{version}"'},
            )
            outcomes.append(status)

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        list(pool.map(writer, range(writers)))
    accepted = outcomes.count(200)
    assert set(outcomes) <= {200, 412}, f"answers: {sorted(set(outcomes))}"
    final = json.loads(servers[0].native("GET", f"/v1/tasks/{task}")[2])
    history = json.loads(servers[-1].native("GET", f"/v1/tasks/{task}/history")[2])["items"]
    assert final["version"] == 1 + accepted, f"{accepted} writes accepted, version {final['version']}"
    assert len(history) == final["version"], "history and version disagree"
    return {"writes": len(outcomes), "accepted": accepted, "refused as stale": outcomes.count(412)}


def check_conflict_storm(folder):
    server = Server(folder).start()
    try:
        return storm([server])
    finally:
        server.stop()


def postgres_url(schema):
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}schema={schema}"


def check_conflict_storm_postgres(folder):
    if not POSTGRES:
        raise Skip("TASKPORT_TEST_POSTGRES is not set")
    database = postgres_url(f"storm_{os.getpid()}")
    first = Server(os.path.join(folder, "a"), database=database)
    second = Server(os.path.join(folder, "b"), database=database)
    os.makedirs(first.folder)
    os.makedirs(second.folder)
    first.start()
    second.start()
    try:
        return storm([first, second])
    finally:
        first.stop()
        second.stop()


def check_credential_matrix(folder):
    server = Server(folder).start()

    def answers(status, path, headers):
        """Whether `path` answers `status` within the bound the README states for a change another
        process makes (the CLI here): the server's directory cache hears of it within 20 ms, and
        trusts nothing longer than --directory-cache-seconds (1 s)."""
        deadline = time.time() + 2
        while True:
            if server.request("GET", path, None, headers)[0] == status:
                return True
            if time.time() > deadline:
                return False
            time.sleep(0.01)

    try:
        paths = {"native": "/v1/tasks/1", "rollout": "/api/tasks/1", "maxsight": "/v5/tasks/1", "thena": "/v1/accounts/tasks/1",
                 "nexudus": "/api/crm/coworkertasks/1"}
        pair = server.nexudus_token()
        credentials = server.surfaces(pair["access_token"])
        checked = 0
        for surface, path in paths.items():
            assert server.request("GET", path, None, credentials[surface])[0] == 200, surface
            assert server.request("GET", path, None, {})[0] == 401, f"{surface} without a credential"
            for other, headers in credentials.items():
                if other != surface:
                    assert server.request("GET", path, None, headers)[0] == 401, f"{other}'s credential on {surface}"
                    checked += 1
            checked += 2
        # A new password ends the Nexudus access token, its refresh token and the Rollout bearer.
        cli("user", "password", "--tenant", "demo", "--email", "alice@demo.taskport.test", database=server.database, stdin="a-new-passw0rd\n")
        assert answers(401, paths["nexudus"], credentials["nexudus"])
        assert answers(401, paths["rollout"], credentials["rollout"])
        form = f"grant_type=refresh_token&refresh_token={pair['refresh_token']}"
        assert server.request("POST", "/api/token", form, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 400
        # A disabled user can use nothing; enabled again, keys work and old tokens stay dead.
        cli("user", "disable", "--tenant", "demo", "--email", "alice@demo.taskport.test", database=server.database)
        for surface in ("native", "maxsight", "thena"):
            assert answers(401, paths[surface], credentials[surface]), f"{surface} for a disabled user"
        cli("user", "enable", "--tenant", "demo", "--email", "alice@demo.taskport.test", database=server.database)
        assert answers(200, paths["native"], credentials["native"])
        assert server.request("GET", paths["nexudus"], None, credentials["nexudus"])[0] == 401
        # A revoked Rollout credential is refused.
        token = cli("rollout", "token", "--tenant", "demo", "--email", "alice@demo.taskport.test", database=server.database)
        bearer = re.search(r"Bearer (\S+)", token).group(1)
        credential = re.search(r"X-Rollout-Credential-Id: (\S+)", token).group(1)
        fresh = {"Authorization": f"Bearer {bearer}", "X-Rollout-Credential-Id": credential}
        assert server.request("GET", paths["rollout"], None, fresh)[0] == 200
        cli("rollout", "revoke", "--tenant", "demo", credential, database=server.database)
        assert answers(401, paths["rollout"], fresh)
        # A read-only user reads through every surface and changes nothing through any.
        cli("user", "create", "--tenant", "demo", "--email", "reader@demo.taskport.test", "--name", "Reader",
            "--role", "CoworkerTask-Read", "--role", "CoworkerTask-List", database=server.database)
        key = re.search(r"key: (\S+)", cli("apikey", "create", "--tenant", "demo", "--email", "reader@demo.taskport.test",
                                            database=server.database)).group(1)
        assert server.native("GET", "/v1/tasks/1", key=key)[0] == 200
        assert server.native("PATCH", "/v1/tasks/1", '{"title":"no"}', "application/merge-patch+json", key=key)[0] == 403
        assert server.request("PUT", "/v1/accounts/tasks/1", '{"title":"no"}', {"x-api-key": key, "Content-Type": "application/json"})[0] == 403
        return {"refusals checked": checked + 12}
    finally:
        server.stop()


def check_database_outage(folder):
    """Two servers on PostgreSQL; the database stops under load and comes back."""
    if not POSTGRES:
        raise Skip("TASKPORT_TEST_POSTGRES is not set")
    data = os.environ.get("TASKPORT_TEST_POSTGRES_DIR")
    if not data:
        raise Skip("TASKPORT_TEST_POSTGRES_DIR (the cluster's folder, to stop and start it) is not set")
    database = postgres_url(f"outage_{os.getpid()}")
    servers = [Server(os.path.join(folder, name), database=database) for name in ("a", "b")]
    for server in servers:
        os.makedirs(server.folder)
        server.start()
    third = Server(os.path.join(folder, "c"), database=database)
    os.makedirs(third.folder)
    third.start()
    slowest = 0.0
    answers = []
    stop = threading.Event()

    def writer(server):
        while not stop.is_set() and not server.stopping:
            started = time.time()
            try:
                status, headers, _ = server.native("PATCH", "/v1/tasks/1", '{"notes":"outage"}', "application/merge-patch+json", timeout=40)
            except OSError as error:
                if server.stopping:
                    return
                status, headers = f"{type(error).__name__}", {}
            elapsed = time.time() - started
            answers.append((status, headers.get("retry-after"), elapsed))

    threads = [threading.Thread(target=writer, args=(servers[i % 2],)) for i in range(8)]
    threads.append(threading.Thread(target=writer, args=(third,)))
    try:
        for thread in threads:
            thread.start()
        time.sleep(2)
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", data, "immediate"], check=True, timeout=60)
        down = time.time()
        not_ready = None
        while time.time() - down < 10:
            if not_ready is None and servers[0].request("GET", "/readyz", timeout=10)[0] == 503:
                not_ready = time.time() - down
            time.sleep(0.2)
        # A third server, stopped while the database is away, still stops, and cleanly.
        stopping = time.time()
        third_code = third.stop(timeout=30)
        stop_seconds = time.time() - stopping
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "restart", data], check=True, timeout=60)
        up = time.time()
        recovered = None
        while time.time() - up < 30:
            if all(s.native("GET", "/v1/tasks/1")[0] == 200 for s in servers):
                recovered = time.time() - up
                break
            time.sleep(0.1)
        stop.set()
        joined = time.time()
        for thread in threads:
            thread.join(60)
        print(f"     writers stopped in {time.time() - joined:.1f} s", flush=True)
        slowest = max(elapsed for _, _, elapsed in answers)
        print(f"     slowest answers: {sorted(answers, key=lambda a: -a[2])[:3]}; the third server stopped in {stop_seconds:.1f} s "
              f"with exit {third_code}", flush=True)
        during = [a for a in answers if a[0] not in (200,)]
        print(f"     outage figures: {len(answers)} answers, {len(during)} not 200 "
              f"({sorted(set(str(a[0]) for a in during))}), slowest {slowest:.1f} s, "
              f"/readyz not ready after {not_ready}, recovered after {recovered}", flush=True)
        assert all(status == 503 and retry for status, retry, _ in during), f"answers during the outage: {sorted(set(str(a[0]) for a in during))}"
        assert not_ready is not None and not_ready < 4, f"/readyz said not ready after {not_ready}"
        # The stated bounds (docs/hardening.md): 2 s once the database is known to be away, 30 s at
        # the most; a loaded 2-core machine needs the slack between them.
        assert recovered is not None and recovered < 15, f"recovered after {recovered}"
        assert slowest < 31, f"the slowest answer took {slowest:.1f} s"
        assert third_code == 0 and stop_seconds < 10, f"stopped during the outage: exit {third_code} after {stop_seconds:.1f} s"
        stopping = time.time()
        codes = [s.stop(timeout=30) for s in servers]
        print(f"     both servers stopped in {time.time() - stopping:.1f} s", flush=True)
        assert codes == [0, 0], f"exit codes {codes}"
        return {"answers": len(answers), "503 during the outage": len(during), "slowest answer s": round(slowest, 2),
                "not ready after s": round(not_ready, 2), "recovered after s": round(recovered, 2),
                "stopped during the outage after s": round(stop_seconds, 2)}
    finally:
        stop.set()
        for server in servers + [third]:
            server.stop()


def check_sigkill_loop(folder, cycles=3):
    """SIGKILL under load again and again on the same file, each time checking everything acknowledged."""
    figures = []
    for cycle in range(cycles):
        cycle_folder = os.path.join(folder, f"cycle-{cycle}")
        os.makedirs(cycle_folder)
        figures.append(check_sigkill_under_load(cycle_folder, seconds=8)["acknowledged writes"])
    return {"cycles": cycles, "acknowledged writes per cycle": figures}


class Skip(Exception):
    pass


CHECKS = [
    ("hostile-corpus", check_hostile_corpus, True),
    ("secrets-in-logs", check_secrets_in_logs, True),
    ("shutdown-drain", check_shutdown_drain, True),
    ("shutdown-under-new-connections", check_shutdown_under_new_connections, True),
    ("slow-clients", check_slow_clients, True),
    ("sqlite-disk-full", check_sqlite_disk_full, True),
    ("credential-matrix", check_credential_matrix, True),
    ("conflict-storm", check_conflict_storm, True),
    ("conflict-storm-postgres", check_conflict_storm_postgres, True),
    ("sigkill-under-load", check_sigkill_under_load, True),
    ("database-outage", check_database_outage, True),
    ("sigkill-loop", check_sigkill_loop, False),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast", action="store_true", help="only the checks the README's test command runs")
    parser.add_argument("--only", nargs="*", default=None)
    arguments = parser.parse_args()
    passed = failed = skipped = 0
    for name, check, fast in CHECKS:
        if arguments.only is not None and name not in arguments.only:
            continue
        if arguments.fast and not fast:
            continue
        folder = tempfile.mkdtemp(prefix=f"taskport-{name}-")
        started = time.time()
        try:
            figures = check(folder)
            print(f"PASS {name} ({time.time() - started:.1f} s): {json.dumps(figures)}", flush=True)
            passed += 1
            shutil.rmtree(folder, ignore_errors=True)
        except Skip as reason:
            print(f"SKIP {name}: {reason}", flush=True)
            skipped += 1
            shutil.rmtree(folder, ignore_errors=True)
        except Exception as error:
            print(f"FAIL {name} ({time.time() - started:.1f} s): {type(error).__name__}: {error}", flush=True)
            print(f"     kept for a look: {folder}", flush=True)
            failed += 1
    print(f"reliability: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
