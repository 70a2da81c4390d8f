"""The dashboard in headless Chromium against a real ztp-server with real ztp-client processes.

Each test names the issue-14 defect it would catch ("defect N"). Tests share one server and
one browser and run in file order; each signs in afresh.
"""

import csv
import glob
import os
import time

import pytest
from selenium.webdriver.common.by import By

from conftest import WAIT, click_in, low_contrast, screenshot, sign_in, wait_for


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def signed_in(driver, server, view="#/"):
    sign_in(driver, server)
    wait_for(driver, lambda d: by_id(d, "app-view").is_displayed(), "the dashboard after sign-in")
    if view != "#/":
        driver.get(server.base + "/" + view)
    return driver


def row_for(driver, tbody_id, text):
    for row in driver.find_elements(By.CSS_SELECTOR, "#%s tr" % tbody_id):
        if text in row.text:
            return row
    return None


def confirm(driver):
    wait_for(driver, lambda d: by_id(d, "confirm").is_displayed(), "the confirmation dialog")
    by_id(driver, "confirm-ok").click()


def header_sessions(driver):
    """The header's "N sessions", read from its text."""
    import re
    match = re.search(r"(\d[\d,]*) sessions?\b", by_id(driver, "server-summary").text)
    return match.group(0) if match else ""



def live_count(server):
    return server.api("GET", "/v1/server")["sessions"]


# Sign-in ------------------------------------------------------------------------------------

def test_wrong_key_keeps_the_field_and_says_what_to_check(browser, server):
    """Defect 8: a wrong key wiped the field and answered with curl instructions."""
    browser.allowed_console_errors = ["401"]  # the refused key's request, logged by Chromium
    sign_in(browser, server, key="not-the-key")
    error = wait_for(browser, lambda d: by_id(d, "login-error").text and by_id(d, "login-error"), "an error")
    assert "not accepted" in error.text
    assert "Bearer" not in error.text and "Authorization" not in error.text
    assert by_id(browser, "admin-key").get_attribute("value") == "not-the-key"
    assert by_id(browser, "admin-key").get_attribute("aria-invalid") == "true"
    assert not by_id(browser, "app-view").is_displayed()
    screenshot(browser, "sign-in-wrong-key")


def test_right_key_shows_the_server_and_a_live_header_count(browser, server, start_client):
    start_client("overview-1")
    signed_in(browser, server)
    facts = wait_for(browser, lambda d: "Uptime" in by_id(d, "server-facts").text and by_id(d, "server-facts"), "server facts")
    assert "ZTP listener" in facts.text
    assert by_id(browser, "server-key").text == server.api("GET", "/v1/server")["server_public_key"]
    wait_for(browser, lambda d: header_sessions(d) == "%d sessions" % live_count(server)
             or header_sessions(d) == "%d session" % live_count(server), "the header's session count")
    wait_for(browser, lambda d: by_id(d, "overview-health").text == "Ready", "health at a glance")
    for scheme in ("light", "dark"):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        assert low_contrast(browser) == [], scheme
    screenshot(browser, "overview-signed-in")


# Sessions: rates, totals, search, sort -----------------------------------------------------

class Chatter:
    """Keeps a client sending chat lines so its byte counters, and its rate, move."""

    def __init__(self, client, line="x" * 200, every=0.1):
        import threading
        self.client, self.line, self.every = client, line, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped.is_set() and self.client.alive():
            try:
                self.client.send(self.line)
            except OSError:
                return
            time.sleep(self.every)

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=5)


# Overview: the last 15 minutes as charts ------------------------------------------------------

CHART_DATA = """
// Each dataset of the chart on canvas #arguments[0]: its label, point count, newest point and
// the largest value among the last `arguments[1]` points, read from Chart.js itself.
const chart = Chart.getChart(document.getElementById(arguments[0]));
if (!chart) return null;
return chart.data.datasets.map((d) => {
  const recent = d.data.slice(-arguments[1]);
  const last = d.data[d.data.length - 1];
  return { label: d.label, points: d.data.length, x: last ? last.x : null, y: last ? last.y : null,
           max: recent.reduce((m, p) => Math.max(m, p.y), 0), minX: d.data.length ? d.data[0].x : null,
           animation: chart.options.animation };
});
"""


def chart(driver, canvas_id, recent=60):
    return driver.execute_script(CHART_DATA, canvas_id, recent)


def test_overview_charts_move_with_real_clients(browser, server, start_client):
    """Item 1: live charts of the last 15 minutes from /v1/stats, moving while clients talk."""
    clients = [start_client("chart-%d" % i) for i in range(3)]
    chatters = [Chatter(clients[0], line="hello from chart-0", every=0.2), Chatter(clients[1], line="y" * 500, every=0.1)]
    try:
        held = len(server.api("GET", "/v1/stats")["samples"])
        signed_in(browser, server)
        for canvas in ("chart-sessions", "chart-bytes", "chart-handshakes", "chart-chat", "chart-http"):
            wait_for(browser, lambda d, c=canvas: chart(d, c) is not None and chart(d, c)[0]["points"] > 0, canvas + " drawn")
            assert chart(browser, canvas)[0]["animation"] is False, canvas
            size = browser.find_element(By.ID, canvas).size
            assert size["width"] > 100 and size["height"] > 50, (canvas, size)
        # The history the server held before the page opened is drawn at once.
        first = chart(browser, "chart-sessions")[0]
        assert first["points"] >= held > 0, (first, held)
        # The sessions chart's newest point reaches the number of live sessions (these clients
        # and those earlier tests left connected); streams count along.
        wait_for(browser, lambda d: chart(d, "chart-sessions")[0]["y"] == live_count(server)
                 and live_count(server) >= len(clients), "the sessions chart at the live count")
        assert chart(browser, "chart-sessions")[1]["y"] >= 2 * len(clients)
        # Chat and bytes show non-zero rates; the handshakes chart counts these clients' handshakes.
        wait_for(browser, lambda d: chart(d, "chart-chat")[0]["max"] > 0, "a non-zero chat rate")
        wait_for(browser, lambda d: chart(d, "chart-bytes", 10)[0]["max"] > 0 and chart(d, "chart-bytes", 10)[1]["max"] > 0,
                 "bytes in and out")
        assert chart(browser, "chart-handshakes", 900)[0]["max"] >= 1
        wait_for(browser, lambda d: chart(d, "chart-http", 10)[0]["max"] > 0, "HTTP requests (this page's own polls)")
        # And they move: new samples are appended every second, and the window stays 15 minutes.
        before = chart(browser, "chart-sessions")[0]["x"]
        wait_for(browser, lambda d: chart(d, "chart-sessions")[0]["x"] >= before + 2000, "newer samples appended")
        latest = chart(browser, "chart-sessions")[0]
        assert latest["x"] - latest["minX"] <= 15 * 60 * 1000
        assert by_id(browser, "chart-chat-now").text.endswith("/s")
        for badge, text in (("overview-health", "Ready"), ("overview-listener", "Accepting"),
                            ("overview-store", "Available"), ("overview-drain", "Not draining")):
            assert by_id(browser, badge).text == text, badge
        time.sleep(3)  # a few more seconds of moving lines for the screenshot
        screenshot(browser, "overview")
        assert low_contrast(browser) == []
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        wait_for(browser, lambda d: d.execute_script(
            "return Chart.getChart(document.getElementById('chart-chat')).options.scales.x.ticks.color") ==
            d.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()"),
            "the charts' text in the dark scheme's colour")
        assert low_contrast(browser) == []
        screenshot(browser, "overview-dark")
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        # 400 px: the charts fit the width, the page does not scroll sideways.
        browser.set_window_size(400, 900)
        wait_for(browser, lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#overview-charts canvas')).every((c) => "
            "c.getBoundingClientRect().right <= document.documentElement.clientWidth && c.getBoundingClientRect().width > 200)"),
            "charts within 400 px")
        assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        screenshot(browser, "overview-400px")
        browser.set_window_size(1400, 1000)
    finally:
        for chatter in chatters:
            chatter.stop()


# Events: the live tail ------------------------------------------------------------------------

# The server notices a subscriber has gone when a heartbeat (every 15 s) fails to be written:
# up to two heartbeats after the page closed its fetch.
SUBSCRIBER_GONE = 45 + WAIT


def event_subscribers(server):
    """The server's ztp_events_subscribers gauge, from /metrics."""
    import re
    import urllib.request
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(r"^ztp_events_subscribers(?:\{[^}]*\})? ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else None


def leave_events(driver, server, view="#/"):
    """Leaves the Events view and waits until the server has let its subscriber go.

    The page aborts its fetch of /v1/events when it leaves the view; the server notices at its
    next heartbeat and gives the subscriber's place back, which the test waits for, so that
    the next view starts with every place free. (This wait also caught an EventHub deadlock
    between a subscriber's cancellation and a publish, since fixed.)"""
    driver.get(server.base + "/" + view)
    wait_for(driver, lambda d: event_subscribers(server) == 0, "the event stream closed on the server", timeout=SUBSCRIBER_GONE)


def event_rows(driver, event_type=None, text=None):
    rows = driver.find_elements(By.CSS_SELECTOR, "#events-rows tr[data-id]")
    return [r for r in rows if (event_type is None or r.get_attribute("data-type") == event_type)
            and (text is None or text in r.text)]


def test_event_tail_shows_sessions_open_and_close_live(browser, server, start_client):
    """Item 3: a live tail of /v1/events: newest first, colours, links, filters, pause."""
    signed_in(browser, server, "#/events")
    wait_for(browser, lambda d: by_id(d, "events-connection").text == "Live", "the event stream connected")
    client = start_client("tail-1")
    opened = wait_for(browser, lambda d: (event_rows(d, "session.opened", "tail-1") or [None])[0], "tail-1's session.opened")
    link = opened.find_element(By.CSS_SELECTOR, "a[href='#/sessions/%s']" % client.session_id)
    assert link.text == client.session_id
    assert "event-issued" in opened.find_element(By.CSS_SELECTOR, ".event").get_attribute("class")
    # Chatting shows as it happens (counted, never the text).
    client.send("a line the tail must not show")
    sent = wait_for(browser, lambda d: (event_rows(d, "chat.sent", "tail-1") or [None])[0], "tail-1's chat.sent")
    assert "1 message" in sent.text and "must not show" not in sent.text
    assert "count" not in sent.text, "the count is said once, in the detail"
    # Terminated through the API while the tail is open: its session.closed arrives, TERMINATED.
    server.api("DELETE", "/v1/sessions/" + client.session_id)
    closed = wait_for(browser, lambda d: (event_rows(d, "session.closed", "tail-1") or [None])[0], "tail-1's session.closed")
    assert "TERMINATED" in closed.text
    assert "event-terminated" in closed.find_element(By.CSS_SELECTOR, ".event").get_attribute("class")
    assert client.wait_exit() is not None
    # Newest first: the close is above the open.
    ids = [int(r.get_attribute("data-id")) for r in event_rows(browser)]
    assert ids == sorted(ids, reverse=True) and ids, ids
    # Filters by type and by client.
    browser.find_element(By.CSS_SELECTOR, "#events-type option[value='session.closed']").click()
    wait_for(browser, lambda d: event_rows(d) and all(r.get_attribute("data-type") == "session.closed" for r in event_rows(d)),
             "only session.closed")
    browser.find_element(By.CSS_SELECTOR, "#events-type option[value='']").click()
    by_id(browser, "events-client").send_keys("tail-")
    wait_for(browser, lambda d: event_rows(d) and all("tail-1" in r.text for r in event_rows(d)), "only tail-1's events")
    screenshot(browser, "events")
    # Paused, new events are held back; resumed, they appear.
    by_id(browser, "events-pause").click()
    assert by_id(browser, "events-pause").get_attribute("aria-pressed") == "true"
    second = start_client("tail-2")
    wait_for(browser, lambda d: "paused, 0 new" not in by_id(d, "events-count").text and "new since" in by_id(d, "events-count").text,
             "new events counted while paused")
    assert event_rows(browser, "session.opened", "tail-2") == []
    by_id(browser, "events-pause").click()
    row = wait_for(browser, lambda d: (event_rows(d, "session.opened", "tail-2") or [None])[0], "tail-2 after resuming")
    # A token's id leads to the token view (its token.issued event).
    by_id(browser, "events-client").clear()
    by_id(browser, "events-client").send_keys("tail-2")
    issued = wait_for(browser, lambda d: (event_rows(d, "token.issued", "tail-2") or [None])[0], "tail-2's token.issued")
    issued.find_element(By.CSS_SELECTOR, "a[href='#/tokens/%s']" % second.jti).click()
    wait_for(browser, lambda d: by_id(d, "view-token").is_displayed() and second.jti in by_id(d, "token-facts").text, "the linked token")
    # Leaving the view closed the stream.
    wait_for(browser, lambda d: event_subscribers(server) == 0, "the event stream closed on the server", timeout=SUBSCRIBER_GONE)
    # Back on the tail, the stream resumes (Last-Event-ID) and what happened meanwhile arrives.
    server.api("DELETE", "/v1/sessions/" + second.session_id)
    browser.get(server.base + "/#/events")
    wait_for(browser, lambda d: (event_rows(d, "session.closed", "tail-2") or [None])[0], "tail-2's close, after returning")
    assert len(event_rows(browser, "session.opened", "tail-2")) == 1, "events seen before leaving are not repeated"
    del row
    leave_events(browser, server)


def visible_rows(driver, tbody_id):
    return [row for row in driver.find_elements(By.CSS_SELECTOR, "#%s tr[data-key]" % tbody_id)]


def test_sessions_rates_totals_search_and_sort_by_rate(browser, server, start_client):
    alpha = start_client("rates-alpha")
    start_client("rates-beta")
    start_client("other-gamma")
    chatter = Chatter(alpha)
    try:
        signed_in(browser, server, "#/sessions")
        wait_for(browser, lambda d: row_for(d, "sessions-rows", "rates-alpha"), "alpha's row")
        # A rate needs two polls; alpha's must be above zero while it talks.
        def alpha_rate(d):
            row = row_for(d, "sessions-rows", "rates-alpha")
            text = row.find_element(By.CSS_SELECTOR, "td.rate-in").text if row else ""
            return text.endswith("/s") and not text.startswith("0 B") and text
        wait_for(browser, alpha_rate, "a non-zero rate for the talking client")
        row = row_for(browser, "sessions-rows", "rates-alpha")
        points = row.find_element(By.CSS_SELECTOR, "svg.spark polyline").get_attribute("points").split()
        assert len(points) >= 1
        # Top talkers: sorted by rate, the talking client comes first.
        browser.find_element(By.CSS_SELECTOR, "#sessions-sort option[value='rate']").click()
        browser.find_element(By.CSS_SELECTOR, "#sessions-order option[value='desc']").click()
        wait_for(browser, lambda d: "rates-alpha" in visible_rows(d, "sessions-rows")[0].text, "alpha first by rate")
        # The totals row sums what is shown.
        totals = by_id(browser, "sessions-totals")
        wait_for(browser, lambda d: "Total (%d)" % len(visible_rows(d, "sessions-rows")) in totals.text, "totals")
        assert totals.find_elements(By.CSS_SELECTOR, "td.num")[2].text.endswith("/s")
        time.sleep(2.5)  # a couple of samples more for the screenshot's sparklines
        screenshot(browser, "sessions")
        assert low_contrast(browser) == []
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        screenshot(browser, "sessions-dark")
        assert low_contrast(browser) == []
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        # Substring search on the client id, applied at once to the live list.
        by_id(browser, "sessions-client").send_keys("ates-")
        wait_for(browser, lambda d: sorted(r.text.split("\n")[0] for r in visible_rows(d, "sessions-rows")) and
                 all("rates-" in r.text for r in visible_rows(d, "sessions-rows")) and
                 len(visible_rows(d, "sessions-rows")) == 2, "only the rates-* clients")
        wait_for(browser, lambda d: "Total (2)" in by_id(d, "sessions-totals").text, "totals of the two shown")
        assert "2 of" in by_id(browser, "sessions-count").text
    finally:
        chatter.stop()


def test_two_clients_from_one_host_are_told_apart(browser, server, start_client):
    """Defect 6: remote addresses had no port, so two clients from one host looked the same."""
    start_client("port-1")
    start_client("port-2")
    signed_in(browser, server, "#/sessions")
    wait_for(browser, lambda d: row_for(d, "sessions-rows", "port-2"), "both rows")
    first = row_for(browser, "sessions-rows", "port-1").find_elements(By.TAG_NAME, "td")[3].text
    second = row_for(browser, "sessions-rows", "port-2").find_elements(By.TAG_NAME, "td")[3].text
    assert first != second


# One session: streams, close a stream, revoke its token --------------------------------------

def stream_row(driver, stream_id):
    for row in visible_rows(driver, "streams-rows"):
        if row.find_element(By.TAG_NAME, "th").text == str(stream_id):
            return row
    return None


def test_stream_reused_id_shows_its_new_opening_and_close_stream_reaches_the_client(browser, server, start_client):
    client = start_client("streams-1")
    signed_in(browser, server, "#/sessions/" + client.session_id)
    wait_for(browser, lambda d: stream_row(d, 1) and stream_row(d, 2), "both streams")
    assert "chat" in stream_row(browser, 1).text and "control" in stream_row(browser, 2).text
    first_opened = stream_row(browser, 1).find_element(By.TAG_NAME, "time").get_attribute("datetime")
    # Defect 1: stream 1 closed and reopened between two polls (the opening time has a
    # resolution of one second, so wait for the next second first).
    time.sleep(1.2)
    server.api("DELETE", "/v1/sessions/%s/streams/1" % client.session_id)
    client.send("reopen stream 1")
    def reopened():
        streams = server.api("GET", "/v1/sessions/" + client.session_id)["streams"]
        return next((s["opened_at"] for s in streams if s["id"] == 1 and s["opened_at"] != first_opened), None)
    new_opened = wait_for(browser, lambda d: reopened(), "stream 1 reopened by the client")
    wait_for(browser, lambda d: stream_row(d, 1) and
             stream_row(d, 1).find_element(By.TAG_NAME, "time").get_attribute("datetime") == new_opened,
             "the reused stream id's new opening time")
    screenshot(browser, "session")
    # Close a stream from the dashboard: the client hears of it, the row goes.
    click_in(browser, lambda d: stream_row(d, 2).find_element(By.CSS_SELECTOR, "button[data-action='close-stream']"),
             "stream 2's close button")
    confirm(browser)
    wait_for(browser, lambda d: stream_row(d, 2) is None, "stream 2 gone from the table")
    wait_for(browser, lambda d: "stream 2" in client.log() and "TERMINATED" in client.log(), "the client told")
    assert client.alive(), "closing a stream must leave the session up"


def test_revoke_from_a_session_cuts_the_client_and_updates_the_header(browser, server, start_client):
    """Cross-link session -> token (revoke from there); defect 2: the header count after a revoke."""
    client = start_client("revoke-from-session")
    # Once the session ends, its view's next poll answers 404 (how it learns), which Chromium logs.
    browser.allowed_console_errors = ["/v1/sessions/%s - Failed to load resource: the server responded with a status of 404" % client.session_id]
    signed_in(browser, server, "#/sessions/" + client.session_id)
    wait_for(browser, lambda d: client.jti in by_id(d, "session-facts").text, "the session's token id")
    node = server.api("GET", "/v1/sessions/" + client.session_id)["node"]
    assert node in by_id(browser, "session-facts").text, "the session's node is shown"
    before = live_count(server)
    wait_for(browser, lambda d: header_sessions(d).startswith("%d " % before), "header count before")
    by_id(browser, "session-revoke").click()
    confirm(browser)
    assert client.wait_exit() is not None, "the revoked client must be cut off"
    assert "TOKEN_REVOKED" in client.log()
    wait_for(browser, lambda d: by_id(d, "session-ended").is_displayed(), "the session shown as ended")
    wait_for(browser, lambda d: header_sessions(d).startswith("%d " % (before - 1)), "the header count after the revoke")


def test_terminate_from_the_list_and_the_toast_covers_no_button(browser, server, start_client):
    """Terminate reaches the client; defect 9: the toast covered the bottom-right buttons."""
    for name in ("term-1", "term-2", "term-3"):
        start_client(name)
    signed_in(browser, server, "#/sessions")
    wait_for(browser, lambda d: row_for(d, "sessions-rows", "term-3"), "the clients' rows")
    victim = next(c for c in server.sessions() if c["client_id"] == "term-1")
    click_in(browser, lambda d: row_for(d, "sessions-rows", "term-1").find_element(By.XPATH, ".//button[normalize-space()='Terminate']"),
             "term-1's Terminate button")
    confirm(browser)
    wait_for(browser, lambda d: "terminated" in by_id(d, "flash").text, "the toast")
    # Bring a row's button to the bottom of a short window, where a corner toast would sit.
    browser.set_window_size(1400, 420)
    browser.execute_script("""
        const max = document.documentElement.scrollHeight - window.innerHeight;
        for (const b of document.querySelectorAll('#sessions-rows button')) {
          const target = b.getBoundingClientRect().bottom + window.scrollY - window.innerHeight + 25;
          if (target >= 0 && target <= max) { window.scrollTo(0, target); return; }
        }""")
    overlaps = browser.execute_script("""
        const flash = document.getElementById('flash').getBoundingClientRect();
        const hit = (r) => !(r.right <= flash.left || r.left >= flash.right || r.bottom <= flash.top || r.top >= flash.bottom);
        return Array.from(document.querySelectorAll('button, a.button')).filter((b) => b.offsetParent !== null)
          .filter((b) => hit(b.getBoundingClientRect())).map((b) => b.textContent);""")
    assert overlaps == []
    browser.set_window_size(1400, 1000)
    wait_for(browser, lambda d: row_for(d, "sessions-rows", "term-1") is None, "the terminated row gone")
    assert all(s["id"] != victim["id"] for s in server.sessions())


# Tokens --------------------------------------------------------------------------------------

def test_only_active_tokens_can_be_revoked_and_rows_keep_their_height(browser, server):
    """Defect 7: expired tokens had a Revoke button; revoked rows lost theirs and heights jumped."""
    expired = server.api("POST", "/v1/tokens", {"client_id": "height-expired", "role": "user", "ttl_seconds": 1})
    revoked = server.api("POST", "/v1/tokens", {"client_id": "height-revoked", "role": "user"})
    server.api("DELETE", "/v1/tokens/" + revoked["jti"])
    active = server.api("POST", "/v1/tokens", {"client_id": "height-active", "role": "user"})
    time.sleep(1.5)
    signed_in(browser, server, "#/tokens")
    rows = {}
    for name, token in (("expired", expired), ("revoked", revoked), ("active", active)):
        rows[name] = wait_for(browser, lambda d, t=token: d.find_element(By.CSS_SELECTOR, "#tokens-rows tr[data-key='%s']" % t["jti"]), name)
    wait_for(browser, lambda d: "expired" in rows["expired"].text, "the expired state")
    revoke = ".//button[normalize-space()='Revoke']"
    assert rows["expired"].find_elements(By.XPATH, revoke) == []
    assert rows["revoked"].find_elements(By.XPATH, revoke) == []
    assert len(rows["active"].find_elements(By.XPATH, revoke)) == 1
    heights = {name: row.rect["height"] for name, row in rows.items()}
    assert max(heights.values()) - min(heights.values()) <= 1, heights
    screenshot(browser, "tokens")


def test_header_count_follows_a_revoke_made_on_the_tokens_view(browser, server, start_client):
    """Defect 2: the header's session count went stale after a revoke."""
    client = start_client("header-count")
    signed_in(browser, server, "#/tokens")
    before = live_count(server)
    wait_for(browser, lambda d: header_sessions(d).startswith("%d " % before), "header count before")
    row = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#tokens-rows tr[data-key='%s']" % client.jti), "the row")
    row.find_element(By.XPATH, ".//button[normalize-space()='Revoke']").click()
    confirm(browser)
    assert client.wait_exit() is not None, "the revoked client must be cut off"
    wait_for(browser, lambda d: header_sessions(d).startswith("%d " % (before - 1)), "the header count after the revoke")


def test_token_view_lists_its_live_sessions_and_revokes_them(browser, server, start_client):
    """Cross-links: session row -> its token -> the token's live sessions; revoke cuts the client."""
    client = start_client("linked-1")
    signed_in(browser, server, "#/sessions")
    row = wait_for(browser, lambda d: row_for(d, "sessions-rows", "linked-1"), "the client's row")
    row.find_element(By.CSS_SELECTOR, "a[href^='#/tokens/']").click()
    wait_for(browser, lambda d: by_id(d, "view-token").is_displayed() and client.jti in by_id(d, "token-facts").text, "the token view")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#token-sessions-rows tr[data-key='%s']" % client.session_id),
             "the token's live session")
    screenshot(browser, "token")
    by_id(browser, "token-revoke").click()
    confirm(browser)
    assert client.wait_exit() is not None, "the revoked client must be cut off"
    wait_for(browser, lambda d: "revoked" in by_id(d, "token-facts").text, "the revoked state")
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#token-sessions-rows tr[data-key]"), "no live session left")
    assert not by_id(browser, "token-revoke").is_displayed()


def test_issue_a_token_and_its_command_line_connects(browser, server):
    import shlex
    import subprocess
    from conftest import AS_USER
    signed_in(browser, server, "#/tokens")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#issue-role option[value='user']"), "roles loaded")
    by_id(browser, "issue-client").send_keys("issued-by-browser")
    by_id(browser, "issue-submit").click()
    wait_for(browser, lambda d: by_id(d, "issued").is_displayed(), "the issued token panel")
    command = by_id(browser, "issued-command").get_attribute("value")
    token = by_id(browser, "issued-token").get_attribute("value")
    assert command.startswith("ZTP_TOKEN=") and token in command
    assert "--server 127.0.0.1:%d" % server.ztp_port in command
    screenshot(browser, "tokens-issued")
    by_id(browser, "issued-copy-command").click()
    wait_for(browser, lambda d: by_id(d, "issued-copy-command").text in ("Copied", "Copy command")
             and "clipboard" in by_id(d, "flash").text.lower(), "the copy's outcome")
    assert "refused" not in by_id(browser, "flash").text
    # The command line as given works: a one-shot ping with it.
    words = shlex.split(command)
    env = dict(os.environ, ZTP_TOKEN=words[0].split("=", 1)[1], HOME=server.data_dir)
    done = subprocess.run(AS_USER + [os.environ["ZTP_CLIENT"]] + words[2:] + ["--exec", "ping"],
                          env=env, cwd=server.data_dir, capture_output=True, timeout=WAIT)
    assert done.returncode == 0, done.stdout + done.stderr


# Roles ---------------------------------------------------------------------------------------

def test_roles_render_and_refresh(browser, server):
    signed_in(browser, server, "#/roles")
    wait_for(browser, lambda d: "user" in by_id(d, "roles-rows").text, "the roles")
    by_id(browser, "roles-refresh").click()
    wait_for(browser, lambda d: by_id(d, "view-roles").find_element(By.CSS_SELECTOR, "[data-updated]").text.startswith("Updated"), "updated")
    screenshot(browser, "roles")


# Audit ---------------------------------------------------------------------------------------

CONTRAST = """
const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => { v /= 255;
  return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
return Array.from(document.querySelectorAll(arguments[0])).filter((n) => n.offsetParent !== null).map((n) => {
  const s = getComputedStyle(n); const a = lum(s.color), b = lum(s.backgroundColor);
  return [n.textContent, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), s.backgroundColor]; });
"""


def test_audit_colours_filters_links_and_csv(browser, server, start_client):
    """Defect 5: token.revoked was green like token.issued; defect 10: ids in audit text were not links."""
    import subprocess
    from conftest import AS_USER
    # A failed authentication, from a real client with a forged token.
    key = server.api("GET", "/v1/server")["server_public_key"]
    subprocess.run(AS_USER + [os.environ["ZTP_CLIENT"], "--server", "127.0.0.1:%d" % server.ztp_port,
                              "--server-key", key, "--exec", "ping"],
                   env=dict(os.environ, ZTP_TOKEN="forged.token.value", HOME=server.data_dir),
                   cwd=server.data_dir, capture_output=True, timeout=WAIT)
    revoked = server.api("POST", "/v1/tokens", {"client_id": "audit-target", "role": "user"})
    server.api("DELETE", "/v1/tokens/" + revoked["jti"])
    closed = start_client("audit-closed")
    server.api("DELETE", "/v1/sessions/%s/streams/2" % closed.session_id)
    server.api("DELETE", "/v1/sessions/" + closed.session_id)
    signed_in(browser, server, "#/audit")
    wait_for(browser, lambda d: "token.revoked" in by_id(d, "audit-rows").text and "auth.failed" in by_id(d, "audit-rows").text,
             "the events")
    for scheme in ("light", "dark"):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        badges = {action: (ratio, bg) for action, ratio, bg in browser.execute_script(CONTRAST, "#audit-rows .event")}
        colours = {action: bg for action, (ratio, bg) in badges.items()}
        # Four meanings, four colours; token.revoked is not token.issued's green.
        meanings = ("token.issued", "token.revoked", "auth.failed", "session.terminated")
        assert len({colours[action] for action in meanings}) == 4, colours
        assert colours["session.terminated"] == colours["stream.closed"], colours
        assert all(ratio >= 4.5 for ratio, _ in badges.values()), badges
        screenshot(browser, "audit-" + scheme)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    # Filters: action, client, time.
    browser.find_element(By.CSS_SELECTOR, "#audit-action option[value='token.revoked']").click()
    wait_for(browser, lambda d: visible_rows(d, "audit-rows") and all("token.revoked" in r.text for r in visible_rows(d, "audit-rows")),
             "only revocations")
    browser.find_element(By.CSS_SELECTOR, "#audit-action option[value='']").click()
    by_id(browser, "audit-client").send_keys("audit-targ")
    wait_for(browser, lambda d: len(visible_rows(d, "audit-rows")) == 1 and "token.issued" in visible_rows(d, "audit-rows")[0].text,
             "only audit-target's issue (its revocation names only the jti)")
    by_id(browser, "audit-client").clear()
    browser.execute_script("const f = document.getElementById('audit-from'); f.value = '2999-01-01T00:00'; f.dispatchEvent(new Event('change'));")
    wait_for(browser, lambda d: not visible_rows(d, "audit-rows") and "No event matches" in by_id(d, "audit-rows").text, "nothing after 2999")
    browser.execute_script("const f = document.getElementById('audit-from'); f.value = ''; f.dispatchEvent(new Event('change'));")
    # CSV of what is shown.
    for old in glob.glob(os.path.join(browser.downloads, "*.csv")):
        os.remove(old)
    wait_for(browser, lambda d: len(visible_rows(d, "audit-rows")) >= 4, "all events again")
    shown = len(visible_rows(browser, "audit-rows"))
    by_id(browser, "audit-csv").click()
    path = wait_for(browser, lambda d: (glob.glob(os.path.join(d.downloads, "*.csv")) or [None])[0], "the CSV download")
    time.sleep(0.3)
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["id", "time", "actor", "action", "count", "detail"]
    assert len(table) - 1 == shown
    assert any(row[3] == "token.revoked" and row[4] == "1" and revoked["jti"] in row[5] for row in table[1:])
    # Ids in the detail are links to the token.
    link = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#audit-rows a[href='#/tokens/%s']" % revoked["jti"]), "a jti link")
    link.click()
    wait_for(browser, lambda d: by_id(d, "view-token").is_displayed() and "revoked" in by_id(d, "token-facts").text, "the linked token")


# Layout --------------------------------------------------------------------------------------

ON_SCREEN = """
const width = document.documentElement.clientWidth;
return Array.from(document.querySelectorAll('td.actions button, td.actions a, .card-head button, .view-head button'))
  .filter((b) => b.offsetParent !== null)
  .map((b) => {
    // Scroll the page only vertically: a button reachable only by scrolling its table sideways
    // is off-screen as far as an operator on a phone can tell.
    window.scrollTo(0, b.getBoundingClientRect().top + window.scrollY - window.innerHeight / 2);
    const s = b.getBoundingClientRect(); const at = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
    return [b.textContent, s.left >= 0 && s.right <= width, !!at && (at === b || b.contains(at))]; });
"""


def test_400px_wide_every_action_button_is_on_screen(browser, server, start_client):
    """Defect 11: at 400 px wide the action buttons were off-screen."""
    client = start_client("narrow-1")
    signed_in(browser, server, "#/sessions")
    browser.set_window_size(400, 900)
    assert browser.execute_script("return document.documentElement.clientWidth") <= 400
    for view, ready in (("#/sessions", "sessions-rows"), ("#/tokens", "tokens-rows"),
                        ("#/sessions/" + client.session_id, "streams-rows")):
        browser.get(server.base + "/" + view)
        wait_for(browser, lambda d: visible_rows(d, ready), view)
        found = browser.execute_script(ON_SCREEN)
        assert found, view
        assert all(inside and clickable for _, inside, clickable in found), (view, found)
        # The page itself never scrolls sideways; wide tables scroll inside their own box.
        assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), view
        if view == "#/sessions":
            browser.execute_script("window.scrollTo(0, 0)")
            screenshot(browser, "sessions-400px")
    for view, section in (("#/", "view-overview"), ("#/events", "view-events")):
        browser.get(server.base + "/" + view)
        wait_for(browser, lambda d: by_id(d, section).find_element(By.CSS_SELECTOR, "[data-updated]").text.startswith("Updated"), view)
        found = browser.execute_script(ON_SCREEN)
        assert all(inside and clickable for _, inside, clickable in found), (view, found)
        assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), view
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "events-400px")
    leave_events(browser, server)


# Outage and recovery (last: it restarts the server) ------------------------------------------

def test_outage_dims_and_disables_then_every_view_recovers(browser, server, start_client):
    """Defects 2, 3 and 4: stale header count, views that never retried, live-looking rows."""
    browser.allowed_console_errors = ["ERR_CONNECTION_REFUSED", "Failed to fetch", "ERR_EMPTY_RESPONSE", "ERR_CONNECTION_RESET"]
    start_client("outage-1")
    signed_in(browser, server, "#/sessions")
    wait_for(browser, lambda d: row_for(d, "sessions-rows", "outage-1"), "the client's row")
    section = by_id(browser, "view-sessions")
    server.stop()
    try:
        wait_for(browser, lambda d: "stale" in section.get_attribute("class"), "the sessions view dimmed")
        buttons = browser.find_elements(By.CSS_SELECTOR, "#sessions-rows button[data-action]")
        assert buttons and all(not b.is_enabled() for b in buttons)
        assert float(browser.execute_script(
            "return getComputedStyle(document.querySelector('#view-sessions .table-wrap')).opacity")) < 1
        wait_for(browser, lambda d: "retrying" in section.find_element(By.CSS_SELECTOR, "[data-updated]").text
                 and "ago" in section.find_element(By.CSS_SELECTOR, "[data-updated]").text, "last update N s ago, retrying")
        wait_for(browser, lambda d: "unreachable" in by_id(d, "server-summary").text, "the header marked stale")
        screenshot(browser, "outage-sessions")
        # Views first opened during the outage fail, and keep retrying.
        for view in ("#/audit", "#/roles", "#/tokens"):
            browser.get(server.base + "/" + view)
            name = view[2:]
            wait_for(browser, lambda d: by_id(d, "view-" + name).find_element(By.CSS_SELECTOR, "[data-error]").is_displayed(), view)
    finally:
        server.start()
    # Recovery with no click: the tokens view now shown, then the others.
    wait_for(browser, lambda d: "stale" not in by_id(d, "view-tokens").get_attribute("class")
             and not by_id(d, "view-tokens").find_element(By.CSS_SELECTOR, "[data-error]").is_displayed(), "tokens recovered")
    wait_for(browser, lambda d: "unreachable" not in by_id(d, "server-summary").text, "the header recovered")
    wait_for(browser, lambda d: header_sessions(d).startswith("%d " % live_count(server)), "the header count current")
    for view in ("#/roles", "#/audit", "#/sessions", "#/"):
        browser.get(server.base + "/" + view)
        name = {"#/": "overview"}.get(view, view[2:])
        wait_for(browser, lambda d: by_id(d, "view-" + name).find_element(By.CSS_SELECTOR, "[data-updated]").text.startswith("Updated"), view)
