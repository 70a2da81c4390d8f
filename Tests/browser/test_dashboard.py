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

from conftest import WAIT, screenshot, sign_in, wait_for


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
    return by_id(driver, "header-sessions").text


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
    # The interim live trends move: two polls give a rate.
    wait_for(browser, lambda d: "/s" in by_id(d, "overview-live").text, "a rate on the overview")
    assert browser.find_elements(By.CSS_SELECTOR, "#overview-live svg.spark polyline")
    screenshot(browser, "overview")
