"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from tools.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole run.

    Playwright's sync API runs an asyncio loop while it is open, so a second sync_playwright()
    in the same process fails: every browser test shares this one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
