"""The one Chromium of this machine: the tests, the screenshots and Lighthouse all use it."""

from __future__ import annotations

# Debian's Chromium (browser downloads are blocked here). The background-networking flags keep
# it from calling Google's services, which this machine's closed network refuses.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
