#!/usr/bin/env python3
"""dashboard_browser.py - drives the dashboard (GET /) of a running daemon in
headless Chromium through chromedriver: a VPN made unhealthy turns its card
within two seconds of Docker saying so, the page fits a phone, no secret
shows; screenshots go to --out. Prints "ok: ..." / "FAIL: ..." lines and
exits 1 on any failure. Called by scenario_dashboard.sh."""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webdriver  # noqa: E402

failures = 0


def ok(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures += 1
    return cond


# Resolves with the card's data-state once it is `want` (now or later),
# with null when timeout_ms pass first: a wait on the DOM, not a sleep.
WAIT_CARD = """
var name = arguments[0], want = arguments[1], ms = arguments[2], done = arguments[3];
function card() { return document.querySelector('[data-vpn="' + CSS.escape(name) + '"]'); }
function now() { var c = card(); return c && c.getAttribute('data-state') === want; }
if (now()) { done(want); return; }
var obs = new MutationObserver(function () {
  if (now()) { obs.disconnect(); clearTimeout(t); done(want); }
});
obs.observe(document.body, { subtree: true, childList: true, attributes: true,
                             attributeFilter: ['data-state'] });
var t = setTimeout(function () { obs.disconnect(); done(null); }, ms);
"""

# Records when the card first turns `want` (Date.now(), the same clock as
# Docker's event times on this host).
WATCH_CARD = """
var name = arguments[0], want = arguments[1];
window.__turnedAt = null;
function check() {
  var c = document.querySelector('[data-vpn="' + CSS.escape(name) + '"]');
  if (c && c.getAttribute('data-state') === want && window.__turnedAt === null) {
    window.__turnedAt = Date.now();
  }
}
window.__watch = new MutationObserver(check);
window.__watch.observe(document.body, { subtree: true, childList: true, attributes: true,
                                        attributeFilter: ['data-state'] });
check();
"""

WAIT_TEXT = """
var sel = arguments[0], text = arguments[1], ms = arguments[2], done = arguments[3];
function found() {
  return Array.prototype.some.call(document.querySelectorAll(sel), function (e) {
    return e.textContent.indexOf(text) >= 0; });
}
if (found()) { done(true); return; }
var obs = new MutationObserver(function () {
  if (found()) { obs.disconnect(); clearTimeout(t); done(true); } });
obs.observe(document.body, { subtree: true, childList: true, characterData: true });
var t = setTimeout(function () { obs.disconnect(); done(false); }, ms);
"""


def set_health(ctrl, healthy):
    req = urllib.request.Request("http://127.0.0.1:%d/test/health" % ctrl, method="PUT",
                                 data=json.dumps({"healthy": healthy}).encode())
    urllib.request.urlopen(req, timeout=5).read()


def docker_health_event_ms(container, since_s, status):
    """Docker's own time (ms) of the first health_status event `status`."""
    out = subprocess.run(
        ["docker", "events", "--since", "%.3f" % since_s, "--until", "%.3f" % time.time(),
         "--filter", "container=" + container, "--filter", "event=health_status",
         "--format", "{{.TimeNano}} {{.Action}}"],
        capture_output=True, text=True, timeout=30).stdout
    for line in out.splitlines():
        nano, action = line.split(" ", 1)
        if action.strip() == "health_status: " + status:
            return int(nano) // 1000000
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--vpn", required=True, help="VPN to make unhealthy")
    ap.add_argument("--other-vpn", required=True, help="a VPN that stays healthy")
    ap.add_argument("--ctrl", type=int, required=True, help="its stand-in's control port")
    ap.add_argument("--out", required=True, help="directory for screenshots")
    ap.add_argument("--secret-file", help="api.api_key_file: must never show")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    with webdriver.Browser(log=os.path.join(a.out, "chromedriver.log")) as b:
        b.set_window(1280, 1000)
        b.get(a.api + "/")
        # Both cards there and healthy, with the engines listed.
        for v in (a.vpn, a.other_vpn):
            ok(b.execute_async(WAIT_CARD, v, "ok", 20000, timeout_ms=25000) == "ok",
               "card of %s shows available" % v)
        ok(b.execute_async(WAIT_TEXT, "#engines td", "serving", 20000, timeout_ms=25000),
           "engines listed as serving")
        b.screenshot(os.path.join(a.out, "dashboard-desktop-healthy.png"))

        # The VPN turns unhealthy: the card must turn within 2 s of Docker's
        # health_status event (the daemon's trigger), measured in the page.
        b.execute(WATCH_CARD, a.vpn, "bad")
        t_put = time.time()
        set_health(a.ctrl, False)
        turned = b.execute_async(WAIT_CARD, a.vpn, "bad", 30000, timeout_ms=35000)
        ok(turned == "bad", "card of %s turned unavailable" % a.vpn)
        turned_at = b.execute("return window.__turnedAt")
        docker_at = docker_health_event_ms(a.vpn, t_put - 1, "unhealthy")
        ok(docker_at is not None, "Docker reported %s unhealthy" % a.vpn)
        if turned_at is not None and docker_at is not None:
            lag = turned_at - docker_at
            print("figure: card turned %d ms after Docker's health_status event" % lag)
            ok(lag <= 2000, "card turned within 2 s of Docker's event (%d ms)" % lag)
        ok(b.execute("var c = document.querySelector('[data-vpn=\"' + CSS.escape(arguments[0])"
                     " + '\"]'); return c.getAttribute('data-state')", a.other_vpn) == "ok",
           "the other VPN's card stays available")
        ok(b.execute_async(WAIT_TEXT, "#events li", "vpn %s unavailable" % a.vpn, 5000,
                           timeout_ms=8000),
           "latest events show the VPN going unavailable")
        ok(b.execute_async(WAIT_TEXT, "#engines td", "hidden", 5000, timeout_ms=8000),
           "its engines show as hidden, with the reason")
        # Tall enough for the whole page (WebDriver shoots the viewport).
        b.set_window(1280, 1700)
        b.screenshot(os.path.join(a.out, "dashboard-desktop.png"))

        # A phone: one column, nothing wider than the screen.
        b.set_window(390, 844)
        sizes = b.execute_async(
            "var d = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame("
            "function () { d([window.innerWidth, document.documentElement.scrollWidth]); }); });",
            timeout_ms=5000)
        ok(sizes[0] <= 400 and sizes[1] <= sizes[0],
           "phone width: no horizontal scrolling (viewport %d, content %d)" % tuple(sizes))
        b.screenshot(os.path.join(a.out, "dashboard-phone.png"))
        b.set_window(1280, 1000)

        if a.secret_file:
            with open(a.secret_file) as f:
                secret = f.read().strip()
            html = b.execute("return document.documentElement.outerHTML")
            ok(secret not in html, "the API key appears nowhere in the page")

        # Healthy again: the card turns back.
        set_health(a.ctrl, True)
        ok(b.execute_async(WAIT_CARD, a.vpn, "ok", 30000, timeout_ms=35000) == "ok",
           "card of %s available again" % a.vpn)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
