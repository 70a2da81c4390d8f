"""Fixtures for the dashboard's browser tests: a real ztp-server process, real ztp-client
processes connected to it, and headless Chromium driven by Selenium.

Run through scripts/browser-tests.sh, which installs what is missing and passes:
ZTP_SERVER, ZTP_CLIENT (binaries the processes run), BROWSER_AS_USER (a `setpriv ...` prefix
when run as root, so the server and clients run unprivileged), BROWSER_TEST_UID/GID (the
owner for the data directory) and BROWSER_SCREENSHOTS (where every run writes screenshots).
"""

import glob
import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", os.path.join(ROOT, ".build", "screenshots"))
AS_USER = shlex.split(os.environ.get("BROWSER_AS_USER", ""))
TEST_UID = int(os.environ["BROWSER_TEST_UID"]) if os.environ.get("BROWSER_TEST_UID") else None
TEST_GID = int(os.environ["BROWSER_TEST_GID"]) if os.environ.get("BROWSER_TEST_GID") else None

# Generous where the bound is not the point: the machine running CI may be busy.
WAIT = float(os.environ.get("BROWSER_WAIT", "20"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One ztp-server on fixed loopback ports and one data directory, stoppable and
    restartable on both (the outage test needs the same address and data back)."""

    def __init__(self, binary, data_dir, extra_args=()):
        self.binary = binary
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.ztp_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.ztp_port:
            self.http_port = free_port()
        self.base = "http://127.0.0.1:%d" % self.http_port
        self.admin_key = "browser-" + os.urandom(16).hex()
        self.process = None
        self.log_path = os.path.join(data_dir, "server.log")

    def start(self):
        # Relative to the working directory ROOT: an unprivileged server can read below it even
        # when a parent (a clone under `mktemp -d`) is closed to it.
        env = dict(os.environ, ZTP_ADMIN_KEY=self.admin_key, ZTP_RESOURCES=os.environ.get("BROWSER_RESOURCES", "."))
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            AS_USER + [self.binary, "--listen", "127.0.0.1:%d" % self.ztp_port,
                       "--http-listen", "127.0.0.1:%d" % self.http_port, "--data-dir", self.data_dir] + self.extra_args,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        log.close()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("ztp-server exited early:\n" + self.log())
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError("ztp-server not ready:\n" + self.log())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.admin_key, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text else None

    def sessions(self, **query):
        query.setdefault("limit", 1000)
        return self.api("GET", "/v1/sessions?" + "&".join("%s=%s" % kv for kv in query.items()))["sessions"]


class Client:
    """An interactive ztp-client kept connected by its standard input (a pipe this test holds
    open); lines written to it are chat (stream 1) or control words (stream 2)."""

    def __init__(self, server, binary, name, role="user", ttl=3600):
        self.server = server
        self.name = name
        issued = server.api("POST", "/v1/tokens", {"client_id": name, "role": role, "ttl_seconds": ttl})
        self.jti = issued["jti"]
        key = server.api("GET", "/v1/server")["server_public_key"]
        self.log_path = os.path.join(server.data_dir, name + ".client.log")
        log = open(self.log_path, "ab")
        env = dict(os.environ, ZTP_TOKEN=issued["token"], HOME=server.data_dir)
        self.process = subprocess.Popen(
            AS_USER + [binary, "--server", "127.0.0.1:%d" % server.ztp_port, "--server-key", key],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=server.data_dir)
        log.close()
        self.session_id = None
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.session_id is None:
            if self.process.poll() is not None:
                raise RuntimeError("client %s exited:\n%s" % (name, self.log()))
            mine = [s for s in server.sessions(client_id=name) if s["token_jti"] == self.jti]
            if mine:
                self.session_id = mine[0]["id"]
            else:
                time.sleep(0.1)
        if self.session_id is None:
            raise RuntimeError("client %s got no session:\n%s" % (name, self.log()))

    def send(self, line):
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def alive(self):
        return self.process.poll() is None

    def wait_exit(self, timeout=WAIT):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait()

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("ZTP_SERVER", os.path.join(ROOT, ".build", "debug", "ztp-server"))
    data_dir = tempfile.mkdtemp(prefix="ztp-browser.")
    if TEST_UID is not None:
        os.chown(data_dir, TEST_UID, TEST_GID)
    srv = Server(binary, data_dir)
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def private_directory(prefix):
    """A temporary directory (0700) the unprivileged test user owns."""
    path = tempfile.mkdtemp(prefix=prefix)
    if TEST_UID is not None:
        os.chown(path, TEST_UID, TEST_GID)
    return path


class Postgres:
    """A throw-away PostgreSQL cluster (initdb into a temporary directory, trust auth, a free
    loopback port), run as the unprivileged test user, as the Swift suites' test cluster is."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.skip("** PostgreSQL is not installed (make setup-test installs it): fleet tests skipped **")
        self.bin = os.path.dirname(bins[-1])
        self.directory = private_directory("ztp-browser-pg.")
        os.chmod(self.directory, 0o755)
        self.port = free_port()
        self.run("initdb", "-A", "trust", "-U", "ztp", "-E", "UTF8", "--locale=C", "--no-sync",
                 "-D", self.directory + "/data")
        self.run("pg_ctl", "-D", self.directory + "/data", "-l", self.directory + "/server.log", "-w", "-t", "60",
                 "-o", "-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off" % (self.port, self.directory), "start")
        self.url = "postgres://ztp@127.0.0.1:%d/postgres?sslmode=disable" % self.port

    def run(self, tool, *args):
        subprocess.run(AS_USER + [os.path.join(self.bin, tool)] + list(args), check=True, cwd=self.directory,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self):
        subprocess.run(AS_USER + [os.path.join(self.bin, "pg_ctl"), "-D", self.directory + "/data", "-m", "immediate",
                                  "-w", "stop"], cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def fleet():
    """Two ztp-servers (node-a, node-b) on one PostgreSQL with one identity: node-b's data
    directory gets node-a's identity key and token secret, as an operator copies them."""
    binary = os.environ.get("ZTP_SERVER", os.path.join(ROOT, ".build", "debug", "ztp-server"))
    database = Postgres()
    servers = []
    try:
        for name in ("node-a", "node-b"):
            data_dir = private_directory("ztp-browser-%s." % name)
            if servers:
                for key in ("identity.key", "token.secret"):
                    target = os.path.join(data_dir, key)
                    shutil.copy(os.path.join(servers[0].data_dir, key), target)
                    os.chmod(target, 0o600)
                    if TEST_UID is not None:
                        os.chown(target, TEST_UID, TEST_GID)
            node = Server(binary, data_dir, ["--database", database.url, "--node-id", name])
            node.start()
            servers.append(node)
        yield servers
    finally:
        for node in servers:
            node.stop()
            shutil.rmtree(node.data_dir, ignore_errors=True)
        database.stop()


@pytest.fixture(scope="session")
def start_client(server):
    binary = os.environ.get("ZTP_CLIENT", os.path.join(ROOT, ".build", "debug", "ztp-client"))
    clients = []

    def start(name, **kwargs):
        client = Client(server, binary, name, **kwargs)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.stop()


@pytest.fixture(scope="session")
def chrome():
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    options.add_argument("--headless=new")
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to sandbox as root
    options.add_argument("--window-size=1400,1000")
    options.add_argument("--disable-gpu")
    options.add_argument("--disable-dev-shm-usage")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    downloads = tempfile.mkdtemp(prefix="ztp-browser-downloads.")
    options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                              "download.prompt_for_download": False})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.downloads = downloads
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    yield driver
    driver.quit()
    shutil.rmtree(downloads, ignore_errors=True)


def console_errors(driver, allow=()):
    """SEVERE browser-log entries, minus those matching any of `allow` (substrings)."""
    return [entry for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in allow)]


@pytest.fixture
def browser(chrome, server):
    """The shared browser, at desktop size and light scheme, with the log drained before and
    checked after each test: any console error fails the test."""
    chrome.set_window_size(1400, 1000)
    chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    chrome.get_log("browser")
    chrome.allowed_console_errors = []
    yield chrome
    errors = console_errors(chrome, chrome.allowed_console_errors)
    assert errors == [], "console errors: %r" % errors


def wait_for(driver, predicate, message, timeout=WAIT):
    """Polls `predicate` until it is truthy; rows redrawn mid-check (stale) are checked again."""
    return WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)
                         ).until(lambda d: predicate(d), message)


def click_in(driver, find, message):
    """Clicks what `find` returns in a table that redraws itself: if the row is replaced between
    finding and clicking (stale), it is found again and clicked."""
    wait_for(driver, lambda d: find(d).click() or True, message)


def screenshot(driver, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


def sign_in(driver, server, key=None):
    driver.get(server.base + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.get(server.base + "/")
    field = wait_for(driver, lambda d: d.find_element(By.ID, "admin-key"), "sign-in form")
    field.clear()
    field.send_keys(key if key is not None else server.admin_key)
    driver.find_element(By.ID, "login-submit").click()


LOW_CONTRAST = """
// Every visible element with its own text whose colour has under 4.5:1 contrast (WCAG AA)
// against the first opaque background behind it.
const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
  .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
const background = (node) => {
  for (let n = node; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c;
  }
  return rgb(getComputedStyle(document.body).backgroundColor);
};
const bad = [];
for (const node of document.querySelectorAll('body *')) {
  if (!node.offsetParent || node.closest('[hidden], svg, .visually-hidden, .offscreen, option')) continue;
  if (!Array.from(node.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim())) continue;
  const style = getComputedStyle(node);
  if (style.opacity !== '1' || node.closest('.stale, :disabled, .flash')) continue;
  const a = lum(rgb(style.color)), b = lum(background(node));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) bad.push([node.tagName + '.' + node.className, node.textContent.trim().slice(0, 30), ratio.toFixed(2)]);
}
return bad;
"""


def low_contrast(driver):
    """Text under WCAG AA contrast in the current page, as (element, text, ratio)."""
    return driver.execute_script(LOW_CONTRAST)
