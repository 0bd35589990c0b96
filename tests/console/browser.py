#!/usr/bin/env python3
"""The console in a real browser: Debian's Chromium, headless, driven by Selenium.

Starts `taskport serve --demo` on a fresh SQLite file (or, with TASKPORT_TEST_POSTGRES, two
servers on one fresh PostgreSQL schema), signs in as a person would and goes through the
console: the list and its filters, a task's page with every surface's rendering and its history,
an edit, a stale edit, a field error, an assignment, a task titled with markup, a form without
its CSRF token, a delete, signing out. Screenshots go to $TASKPORT_CONSOLE_SHOTS (default: a
temporary folder), so that a person can look at the pages.

Usage: tests/console/browser.py [path to the taskport binary]
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "taskport")
POSTGRES = os.environ.get("TASKPORT_TEST_POSTGRES")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, folder, database, demo):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        self.database = database
        arguments = [BINARY, "serve", "--database", database, "--port", str(self.port), "--log-level", "warning"]
        if demo:
            arguments.append("--demo")
        self.log = open(os.path.join(folder, f"server-{self.port}.log"), "w")
        self.process = subprocess.Popen(arguments, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def api(server, method, path, key, body=None, content_type="application/json", headers=None):
    request = urllib.request.Request(server.base + path, method=method, data=None if body is None else body.encode())
    request.add_header("Authorization", "Bearer " + key)
    if body is not None:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def demo_password(server, key, email):
    """Gives a demo user a password through the CLI, as an administrator would."""
    password = "member-password-" + str(os.getpid())
    database = server.database
    result = subprocess.run([BINARY, "user", "password", "--database", database, "--tenant", "demo", "--email", email],
                            input=password + "\n", capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"taskport user password failed: {result.stderr}")
    return password


def replaced(page):
    """A wait condition: the page that held `page` (its <html>) has been replaced by the next one.
    While the browser swaps documents, asking about the old node can fail in more ways than
    Selenium's staleness_of expects (Chromium's "Node with given id does not belong to the
    document"); each of them means the old page is gone."""
    def gone(_driver):
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True
    return gone


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print(f"  ok  {message}", flush=True)


def main():
    work = tempfile.mkdtemp(prefix="taskport-console-")
    shots = os.environ.get("TASKPORT_CONSOLE_SHOTS") or os.path.join(work, "shots")
    os.makedirs(shots, exist_ok=True)
    if POSTGRES:
        separator = "&" if "?" in POSTGRES else "?"
        database = f"{POSTGRES}{separator}schema=console_{os.getpid()}"
    else:
        database = os.path.join(work, "taskport.sqlite")
    servers = [Server(work, database, demo=True)]
    if POSTGRES:
        servers.append(Server(work, database, demo=False))
    server = servers[0]
    demo = json.load(open(os.path.join(work, "taskport-demo.json")))
    key = demo["native"]["apiKey"]
    console = demo["console"]

    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    def chrome():
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(60)
        return driver

    browser = chrome()
    others = []

    def shot(name):
        browser.save_screenshot(os.path.join(shots, name + ".png"))

    def go(path, on=server):
        browser.get(on.base + path)

    def text():
        return browser.find_element(By.TAG_NAME, "body").text

    def submit(form_id=None, on=None):
        driver = on or browser
        form = driver.find_element(By.ID, form_id) if form_id else driver.find_element(By.CSS_SELECTOR, "main form")
        page = driver.find_element(By.TAG_NAME, "html")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 30).until(replaced(page))

    def sign_in(driver, email, password, on=server):
        driver.get(on.base + "/console/sign-in")
        driver.find_element(By.NAME, "email").send_keys(email)
        driver.find_element(By.NAME, "password").send_keys(password)
        submit(on=driver)

    try:
        print(f"console on {'PostgreSQL, two servers' if POSTGRES else 'SQLite'}; screenshots in {shots}", flush=True)
        go("/console")
        check(browser.current_url.endswith("/console/sign-in"), "an anonymous visit is sent to the sign-in form")
        browser.find_element(By.NAME, "email").send_keys(console["email"])
        browser.find_element(By.NAME, "password").send_keys("not the password")
        submit()
        check("not right" in text() and browser.current_url.endswith("/console/sign-in"), "a wrong password is refused")
        browser.find_element(By.NAME, "email").clear()
        browser.find_element(By.NAME, "email").send_keys(console["email"])
        browser.find_element(By.NAME, "password").send_keys(console["password"])
        submit()
        check(browser.current_url.endswith("/console/tasks"), "signing in opens the task list")
        rows = browser.find_elements(By.CSS_SELECTOR, "table.tasks tbody tr")
        check(len(rows) >= 3, f"the list shows the demo tasks ({len(rows)} rows)")
        cookie = browser.get_cookie("taskport_session")
        check(cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", "the session cookie is HttpOnly and SameSite=Strict")
        shot("01-tasks")

        Select(browser.find_element(By.NAME, "completed")).select_by_value("yes")
        submit()
        done = browser.find_elements(By.CSS_SELECTOR, "table.tasks tbody tr")
        check("completed=yes" in browser.current_url and done and all("done" in row.text for row in done) and len(done) < len(rows),
              f"the completed filter keeps only completed tasks ({len(done)} rows)")

        # A task titled with markup is shown as text, and no script runs.
        go("/console/tasks/new")
        title = "<script>alert(1)</script> & <b>bold</b>"
        browser.find_element(By.NAME, "title").send_keys(title)
        submit()
        check(browser.find_element(By.TAG_NAME, "h1").text.endswith(title + " version 1"), "a title with markup shows as text")
        try:
            browser.switch_to.alert
            raise AssertionError("a script in a title ran")
        except NoAlertPresentException:
            print("  ok  no script from a title runs", flush=True)
        number = browser.current_url.rstrip("/").split("/")[-1]
        check("<b>bold</b>" not in browser.page_source and "&lt;b&gt;bold&lt;/b&gt;" in browser.page_source, "the page escapes what it shows")
        surfaces = [s.text for s in browser.find_elements(By.CSS_SELECTOR, "details summary")]
        check(surfaces == ["native", "rollout", "maxsight", "thena", "nexudus"], f"the task as each surface shows it: {surfaces}")

        # An edit lands as one version with its history entry.
        field = browser.find_element(By.CSS_SELECTOR, "#edit input[name=title]")
        field.clear()
        field.send_keys("Renamed in the console")
        browser.find_element(By.CSS_SELECTOR, "#edit input[name=time_zone]").send_keys("Europe/London")
        # A local time London skips (01:30 on the day the clocks go forward) lands as 02:30 BST.
        due = browser.find_element(By.CSS_SELECTOR, "#edit input[name=due]")
        browser.execute_script("arguments[0].value = arguments[1]", due, "2027-03-28T01:30:00")
        submit("edit")
        check("version 2" in browser.find_element(By.TAG_NAME, "h1").text, "an edit makes version 2")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["title"] == "Renamed in the console" and task["timeZone"] == "Europe/London", "the native API shows the edit")
        check(task["dueAt"].startswith("2027-03-28T01:30:00"), f"the due time is read on the task's clock: {task['dueAt']}")
        check("through console" in text(), "the history names the console as the surface")
        check(not any(word in text().split() for word in ["nil", "Optional"]), "no empty value shows as nil")
        shot("02-task")

        # Completing a task is a checkbox.
        browser.find_element(By.CSS_SELECTOR, "#edit input[name=completed]").click()
        submit("edit")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["completed"] is True and task["version"] == 3, "ticking Completed completes the task")
        browser.find_element(By.CSS_SELECTOR, "#edit input[name=completed]").click()
        submit("edit")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["completed"] is False and task["version"] == 4, "and unticking it reopens it")

        # Two people edit the same task: the second to save gets the conflict page.
        second = chrome()
        others.append(second)
        sign_in(second, console["email"], console["password"])
        second.get(server.base + f"/console/tasks/{number}")
        field = second.find_element(By.CSS_SELECTOR, "#edit input[name=title]")
        field.clear()
        field.send_keys("Saved first, in another browser")
        go(f"/console/tasks/{number}")
        submit("edit", on=second)
        check("Saved first" in second.find_element(By.TAG_NAME, "h1").text, "the first of two browser sessions saves")
        field = browser.find_element(By.CSS_SELECTOR, "#edit input[name=title]")
        field.clear()
        field.send_keys("Saved second")
        submit("edit")
        check("changed while you were editing" in text() and "Saved first, in another browser" in text() and "Saved second" in text(),
              "the second gets the conflict page with both versions")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["title"] == "Saved first, in another browser" and task["version"] == 5, "and overwrites nothing")

        # A change through Rollout's PUT shows in the console's history as surface rollout.
        rollout = demo["rollout"]
        request = urllib.request.Request(server.base + f"/api/tasks/{task['id']}", method="PUT",
                                         data=json.dumps({"name": "Renamed through Rollout"}).encode())
        request.add_header("Authorization", "Bearer " + rollout["bearer"])
        request.add_header("X-Rollout-Credential-Id", rollout["credentialId"])
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            check(response.status == 200, "Rollout's PUT renames the task")
        go(f"/console/tasks/{number}")
        timeline = browser.find_element(By.CSS_SELECTOR, "ol.timeline li").text
        check("through rollout" in timeline and "Renamed through Rollout" in timeline, f"the console's history shows it as rollout: {timeline[:120]!r}")

        # A stale edit shows both versions and overwrites nothing.
        field = browser.find_element(By.CSS_SELECTOR, "#edit input[name=title]")
        field.clear()
        field.send_keys("Stale edit")
        status, _, _ = api(server, "PATCH", f"/v1/tasks/{number}", key, json.dumps({"title": "Changed through the API"}), "application/merge-patch+json")
        check(status == 200, "meanwhile the API changes the task")
        submit("edit")
        check("changed while you were editing" in text() and "Stale edit" in text() and "Changed through the API" in text(),
              "a stale edit shows a conflict page with both versions")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["title"] == "Changed through the API" and task["version"] == 7, "the stale edit overwrote nothing")
        shot("03-conflict")

        # A field error appears beside the field, and nothing changes.
        go(f"/console/tasks/{number}")
        zone = browser.find_element(By.CSS_SELECTOR, "#edit input[name=time_zone]")
        zone.clear()
        zone.send_keys("Mars/Olympus")
        submit("edit")
        errors = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".field-error")]
        check(any("Mars/Olympus" in e for e in errors), f"the time zone's error is beside it: {errors}")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["version"] == 7 and task["timeZone"] == "Europe/London", "a refused edit changes nothing")
        shot("04-field-error")

        # An assignment with a comment, as Maxsight's update-assignment makes it, emails the team.
        go(f"/console/tasks/{number}")
        Select(browser.find_element(By.CSS_SELECTOR, "#assign select[name=assignee]")).select_by_visible_text("Support (team)")
        browser.find_element(By.CSS_SELECTOR, "#assign input[name=comment]").send_keys("Over to support")
        submit("assign")
        shot("05-assigned")
        status, task, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(task["assignee"]["type"] == "team" and task["assignmentComment"] == "Over to support", "the assignment lands")
        status, outbox, _ = api(server, "GET", "/v1/outbox?limit=200", key)
        assigned = [m for m in outbox["items"] if m["event"] == "task.assigned" and m.get("taskId") == task["id"]]
        check(len(assigned) >= 1, f"it writes the assignment emails to the outbox ({len(assigned)})")
        check("Over to support" in text(), "the history shows the comment")

        # A form without its CSRF token is refused and changes nothing.
        session = browser.get_cookie("taskport_session")["value"]
        forged = urllib.request.Request(server.base + f"/console/tasks/{number}", method="POST",
                                        data=urllib.parse.urlencode({"title": "Forged", "version": task["version"]}).encode())
        forged.add_header("Cookie", "taskport_session=" + session)
        forged.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            urllib.request.urlopen(forged, timeout=30)
            code = 200
        except urllib.error.HTTPError as error:
            code = error.code
            headers = error.headers
        check(code == 403, f"a POST without the CSRF token is {code}")
        check("default-src 'self'" in headers.get("Content-Security-Policy", ""), "pages carry the Content-Security-Policy")
        status, after, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(after["title"] == task["title"] and after["version"] == task["version"], "the forged POST changed nothing")

        if len(servers) > 1:
            go("/console/tasks", on=servers[1])
            check(browser.current_url.endswith("/console/tasks") and f"/console/tasks/{number}" in browser.page_source,
                  "the other server accepts the same session (the store keeps it)")

        # The admin page: the tenant's people, and a webhook whose secret is shown once.
        go("/console/admin")
        check("bob@demo.taskport.test" in text(), "the admin page lists the tenant's users")
        check(not any(word in text().split() for word in ["nil", "Optional"]), "the admin page shows no nil")
        browser.find_element(By.CSS_SELECTOR, "#new-webhook input[name=url]").send_keys("https://example.com/hooks/console")
        submit("new-webhook")
        secret = browser.find_element(By.ID, "webhook-secret").text
        check(secret.startswith("whsec_"), "a new webhook's secret is shown once")
        shot("06-admin")
        go("/console/admin")
        check("https://example.com/hooks/console" in text() and secret not in browser.page_source, "the list never shows the secret again")
        status, hooks, _ = api(server, "GET", "/v1/webhooks", key)
        check(any(h["url"] == "https://example.com/hooks/console" for h in hooks["items"]), "the native API sees the webhook")

        # An API key made here is shown once, works, shows its last use, and stops when revoked.
        browser.find_element(By.CSS_SELECTOR, "#new-api-key-form input[name=name]").send_keys("made in the console")
        submit("new-api-key-form")
        made = browser.find_element(By.ID, "new-api-key").text
        status, _, _ = api(server, "GET", "/v1/tasks", made)
        check(made.startswith("tpk_") and status == 200, "a key made in the console is shown once and works")
        # The last use is written beside the request that used the key: give it a moment.
        for _ in range(20):
            go("/console/admin")
            row = [r for r in browser.find_elements(By.CSS_SELECTOR, "#api-keys tbody tr") if "made in the console" in r.text][0]
            if "never" not in row.text:
                break
            time.sleep(0.25)
        check(made[:12] in row.text and made not in browser.page_source and "never" not in row.text,
              f"the list shows its prefix and last use, never the key: {row.text!r}")
        page = browser.find_element(By.TAG_NAME, "html")
        row.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(browser, 30).until(replaced(page))
        row = [r for r in browser.find_elements(By.CSS_SELECTOR, "#api-keys tbody tr") if "made in the console" in r.text][0]
        check("revoked" in row.text, "the list shows the key revoked")
        status, _, _ = api(server, "GET", "/v1/tasks", made)
        check(status == 401, "a revoked key is refused")

        # A Rollout token and credential made here work on Rollout, and revoking the credential ends them.
        go("/console/admin")
        submit("new-rollout-token-form")
        token = browser.find_element(By.ID, "new-rollout-token").text
        credential_id = browser.find_element(By.ID, "new-rollout-credential").text

        def rollout_status():
            request = urllib.request.Request(server.base + "/api/tasks?limit=1")
            request.add_header("Authorization", "Bearer " + token)
            request.add_header("X-Rollout-Credential-Id", credential_id)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        check(rollout_status() == 200, "a Rollout token and credential made in the console work")
        go("/console/admin")
        row = [r for r in browser.find_elements(By.CSS_SELECTOR, "#rollout-credentials tbody tr") if credential_id in r.text][0]
        page = browser.find_element(By.TAG_NAME, "html")
        row.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(browser, 30).until(replaced(page))
        check(rollout_status() == 401 and credential_id not in text(), "revoking the credential in the console ends it")

        # A team made here, and Bob put in it from his own page.
        go("/console/admin")
        browser.find_element(By.CSS_SELECTOR, "#new-team-form input[name=name]").send_keys("Night shift")
        submit("new-team-form")
        check("Team Night shift made" in text(), "a team is made on the admin page")
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.LINK_TEXT, "Bob Agent").click()
        WebDriverWait(browser, 30).until(replaced(page))
        check(browser.find_element(By.ID, "user-email").text == "bob@demo.taskport.test", "a user's page opens from the list")
        Select(browser.find_element(By.CSS_SELECTOR, "#join-team-form select[name=team]")).select_by_visible_text("Night shift")
        submit("join-team-form")
        check("Night shift" in browser.find_element(By.ID, "user-teams").text, "the user's page shows the team joined")
        shot("08-user")
        go("/console/admin")
        row = [r for r in browser.find_elements(By.CSS_SELECTOR, "#teams tbody tr") if "Night shift" in r.text][0]
        check("Bob Agent" in row.text, "the admin page lists the new member")

        # A member sees tasks but not the admin pages, not even by URL.
        member = chrome()
        others.append(member)
        sign_in(member, "bob@demo.taskport.test", demo_password(server, key, "bob@demo.taskport.test"))
        check(member.current_url.endswith("/console/tasks"), "a member signs in to the tasks")
        check("Admin" not in [a.text for a in member.find_elements(By.CSS_SELECTOR, "header nav a")], "a member's menu has no Admin")
        member.get(server.base + "/console/admin")
        check("Forbidden" in member.find_element(By.TAG_NAME, "h1").text and not member.find_elements(By.ID, "users"),
              "a member who types the admin URL gets 403")

        # At a phone's width the pages still read.
        browser.set_window_size(390, 900)
        go(f"/console/tasks/{number}")
        shot("07-phone")
        browser.set_window_size(1280, 1000)

        # The journal lists the API's requests for the task, and links each to it.
        api(server, "GET", f"/v1/tasks/{number}", key)
        for _ in range(40):
            go("/console/journal?surface=native")
            links = browser.find_elements(By.CSS_SELECTOR, f"#journal a.task-link[href='/console/tasks/{number}']")
            if links:
                break
            time.sleep(0.25)
        check(links, "the journal lists a native request that touched the task, with a link to it")
        check(key not in browser.page_source, "the journal never shows the API key")
        shot("09-journal")
        row = links[0].find_element(By.XPATH, "./ancestor::tr")
        page = browser.find_element(By.TAG_NAME, "html")
        row.find_element(By.CSS_SELECTOR, "td a").click()
        WebDriverWait(browser, 30).until(replaced(page))
        check("Bearer ***" in text() and browser.find_element(By.ID, "entry-task").text == f"#{number}",
              "an entry shows its headers, credentials redacted, and the task it touched")
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.ID, "entry-task").click()
        WebDriverWait(browser, 30).until(replaced(page))
        check(browser.current_url.endswith(f"/console/tasks/{number}"), "the entry's task link opens the task")

        # Delete, after the confirmation page.
        go(f"/console/tasks/{number}/delete")
        check("Delete #" in browser.find_element(By.TAG_NAME, "h1").text, "delete asks first")
        submit()
        status, _, _ = api(server, "GET", f"/v1/tasks/{number}", key)
        check(status == 404 and browser.current_url.endswith("/console/tasks"), "the task is deleted everywhere")

        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
        WebDriverWait(browser, 30).until(replaced(page))
        go("/console/tasks")
        check(browser.current_url.endswith("/console/sign-in"), "after signing out the console asks to sign in again")
        print("console: all checks passed", flush=True)
    finally:
        for driver in [browser] + others:
            driver.quit()
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
