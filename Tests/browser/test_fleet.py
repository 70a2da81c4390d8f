"""The dashboard of a fleet: two real ztp-servers on one real PostgreSQL, a real client on one
of them, the dashboard signed in to the other."""

import os
import signal

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ROOT, Client, click_in, screenshot, wait_for
from test_dashboard import by_id, row_for, signed_in


def cell_texts(row):
    return [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]


def test_a_single_server_shows_no_fleet(browser, server):
    signed_in(browser, server)
    wait_for(browser, lambda d: by_id(d, "overview-health").is_displayed(), "the overview")
    assert not by_id(browser, "fleet-card").is_displayed()
    browser.get(server.base + "/#/sessions")
    wait_for(browser, lambda d: by_id(d, "sessions-rows").find_elements(By.TAG_NAME, "tr"), "the sessions table")
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#view-sessions thead th") if th.is_displayed()]
    assert "Node" not in headers, headers
    assert not by_id(browser, "sessions-node").is_displayed()


def test_fleet_lists_nodes_and_their_sessions_and_shows_a_node_gone(browser, fleet):
    a, b = fleet
    binary = os.environ.get("ZTP_CLIENT", os.path.join(ROOT, ".build", "debug", "ztp-client"))
    carol = Client(b, binary, "fleet-carol")
    try:
        signed_in(browser, a)
        wait_for(browser, lambda d: by_id(d, "fleet-card").is_displayed(), "the fleet card on node-a's dashboard")
        wait_for(browser, lambda d: (row_for(d, "fleet-rows", "node-b") or None)
                 and cell_texts(row_for(d, "fleet-rows", "node-b"))[1:3] == ["Up", "1"],
                 "node-b up with one session")
        mine = cell_texts(row_for(browser, "fleet-rows", "node-a"))
        assert mine[0] == "node-a (this server)" and mine[1] == "Up", mine
        screenshot(browser, "fleet-overview")

        # Node-b's session count opens the sessions view filtered to node-b.
        click_in(browser, lambda d: row_for(d, "fleet-rows", "node-b").find_element(By.CSS_SELECTOR, "a"),
                 "node-b's session count")
        wait_for(browser, lambda d: (row_for(d, "sessions-rows", "fleet-carol") or None)
                 and "node-b" in cell_texts(row_for(d, "sessions-rows", "fleet-carol")),
                 "carol's session on node-b, listed on node-a")
        assert Select(by_id(browser, "sessions-node")).first_selected_option.text == "node-b"
        headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#view-sessions thead th") if th.is_displayed()]
        assert "Node" in headers, headers
        screenshot(browser, "fleet-sessions")
        Select(by_id(browser, "sessions-node")).select_by_value("node-a")
        wait_for(browser, lambda d: "No live session matches the filter." in by_id(d, "sessions-rows").text,
                 "nothing on node-a")
        Select(by_id(browser, "sessions-node")).select_by_value("")
        wait_for(browser, lambda d: row_for(d, "sessions-rows", "fleet-carol"), "every node again")

        # Node-b dies without a goodbye: after three missed heartbeats it is gone.
        b.process.send_signal(signal.SIGKILL)
        b.process.wait()
        browser.get(a.base + "/#/")
        wait_for(browser, lambda d: (row_for(d, "fleet-rows", "node-b") or None)
                 and cell_texts(row_for(d, "fleet-rows", "node-b"))[1] == "Gone",
                 "node-b gone on node-a's dashboard")
    finally:
        carol.stop()
