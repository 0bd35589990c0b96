"""The worked examples of docs/testing-your-integration.md, run against a real server
(tests/toolkit/run starts one with --demo --fault-injection and sets BASE and KEY)."""
import os
import time

import pytest
import requests

BASE, KEY = os.environ["BASE"], os.environ["KEY"]
H = {"Authorization": f"Bearer {KEY}"}


# A Python client retrying through injected 503s.
def update_with_retries(task_id, patch, attempts=5):
    for _ in range(attempts):
        r = requests.patch(f"{BASE}/v1/tasks/{task_id}", json=patch,
                           headers={**H, "Content-Type": "application/merge-patch+json"})
        if r.status_code not in (429, 502, 503, 504):
            return r
        time.sleep(int(r.headers.get("Retry-After", "1")))
    return r


def test_update_survives_two_503s():
    task = requests.post(f"{BASE}/v1/tasks", json={"title": "Retry me"}, headers=H).json()
    rule = requests.post(f"{BASE}/v1/faults", headers=H, json={
        "surface": "native", "method": "PATCH", "effect": "status", "status": 503, "count": 2}).json()
    try:
        r = update_with_retries(task["id"], {"title": "Retried"})
        assert r.status_code == 200 and r.json()["version"] == 2  # applied once
    finally:
        requests.delete(f"{BASE}/v1/faults/{rule['id']}", headers=H)
    # What the client went through, as the journal kept it: two injected 503s, then the 200.
    for _ in range(40):
        # By path: an injected answer never reached the task, so its entry names none.
        entries = requests.get(f"{BASE}/v1/journal", params={"path": f"/v1/tasks/{task['id']}"}, headers=H).json()["items"]
        patches = [e for e in entries if e["method"] == "PATCH"]
        if len(patches) == 3:
            break
        time.sleep(0.25)
    assert [e["status"] for e in reversed(patches)] == [503, 503, 200]
    assert all(e.get("fault", "").endswith("status 503") for e in patches if e["status"] == 503)


# A test suite resetting between tests.
@pytest.fixture(scope="session", autouse=True)
def baseline():
    requests.post(f"{BASE}/v1/snapshots", json={"name": "baseline"}, headers=H).raise_for_status()


@pytest.fixture(autouse=True)
def clean_state():
    yield
    requests.post(f"{BASE}/v1/snapshots/baseline/restore", headers=H).raise_for_status()


def titles():
    return sorted(t["title"] for t in requests.get(f"{BASE}/v1/tasks", params={"limit": 200}, headers=H).json()["items"])


def test_a_test_that_makes_tasks():
    for index in range(3):
        requests.post(f"{BASE}/v1/tasks", json={"title": f"Made by a test {index}"}, headers=H).raise_for_status()
    assert len([t for t in titles() if t.startswith("Made by a test")]) == 3


def test_the_next_test_starts_from_the_baseline():
    assert not [t for t in titles() if t.startswith("Made by a test") or t == "Retry me"]
    assert "Call Acme about the renewal" in titles()
