"""webdriver.py - the few W3C WebDriver commands the dashboard test needs,
spoken to Debian's chromedriver (package chromium-driver) with Python's
standard library only: plain HTTP + JSON, no npm, no pip."""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

# What this machine's Chromium needs as root in a container, and what keeps
# it from calling home (no network here besides the daemon under test).
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    "--hide-scrollbars", "--force-device-scale-factor=1",
]


class WebDriverError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One chromedriver process and one Chromium session."""

    def __init__(self, chromedriver="chromedriver", chromium="/usr/bin/chromium", log=None):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="ace-chromium-")
        self.log = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [chromedriver, "--port=%d" % self.port],
            stdout=self.log, stderr=self.log)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                if self._req("GET", "/status").get("ready"):
                    break
            except (OSError, WebDriverError):
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise WebDriverError("chromedriver did not become ready")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": CHROMIUM_ARGS + ["--user-data-dir=" + self.profile],
            },
        }}}
        self.sid = None
        self.sid = self._req("POST", "/session", caps)["sessionId"]

    def _req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                out = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                err = json.loads(e.read()).get("value", {})
            except ValueError:
                err = {}
            raise WebDriverError("%s %s: %s: %s" % (method, path, err.get("error", e.code),
                                                    err.get("message", "")[:400]))
        return out.get("value", out)

    def _s(self, method, path, body=None):
        return self._req(method, "/session/%s%s" % (self.sid, path), body)

    def get(self, url):
        self._s("POST", "/url", {"url": url})

    def execute(self, script, *args):
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script, *args, timeout_ms=30000):
        """script gets args then a callback (arguments[arguments.length-1])."""
        self._s("POST", "/timeouts", {"script": timeout_ms})
        return self._s("POST", "/execute/async", {"script": script, "args": list(args)})

    def set_window(self, width, height):
        self._s("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def close(self):
        try:
            if self.sid:
                self._s("DELETE", "")
        except (OSError, WebDriverError):
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
