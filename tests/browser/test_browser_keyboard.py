"""Keyboard only: the skip link first, every control reachable with Tab, focus always visible."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
# What Tab must reach: links, buttons and fields a person can use (not the hidden honeypot),
# each known by its id when it has one (a select the search fills while we tab is still itself).
# A group of radio buttons is one Tab stop (its first button; the arrows move within it).
FOCUSABLE = """() => [...document.querySelectorAll(
    'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea,'
    + ' summary, [contenteditable], [tabindex]:not([tabindex="-1"])')]
  .filter(el => el.tabIndex >= 0 && el.getClientRects().length && !el.closest('[aria-hidden=true]'))
  .filter(el => el.type !== 'radio'
    || el === document.querySelector(`input[type=radio][name="${el.name}"]`))
  .map(el => el.id ? '#' + el.id : el.outerHTML.slice(0, 120))"""
# The look of the focused element, to compare with its look once focus has moved on.
RING = """() => { const s = getComputedStyle(document.activeElement);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.top].join(' | '); }"""
LOOK = """(el) => { const s = getComputedStyle(el);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.top].join(' | '); }"""


def tab_through(page) -> list[tuple]:
    """Tab from the top of the page until focus leaves it: (element, its look when focused)."""
    seen = []
    for _ in range(400):
        page.keyboard.press("Tab")
        handle = page.evaluate_handle("document.activeElement")
        tag = page.evaluate(
            "el => el === document.body ? null : el.id ? '#' + el.id : el.outerHTML.slice(0, 120)",
            handle,
        )
        if tag is None or (seen and tag == seen[0][0]):
            return seen
        seen.append((tag, page.evaluate(RING), handle))
    raise AssertionError("focus never left the page")


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page, pages):
    for url in pages:
        page.goto(url)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip", url
        assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0, url
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "contenu", url


def test_every_control_is_reached_with_tab_and_shows_its_focus(page, pages):
    unreachable, invisible = {}, {}
    for url in pages:
        page.goto(url)
        expected = page.evaluate(FOCUSABLE)
        visited = tab_through(page)
        if missing := set(expected) - {tag for tag, _, _ in visited}:
            unreachable[url] = sorted(missing)
        page.evaluate("document.activeElement.blur()")
        same = [tag for tag, ring, el in visited if page.evaluate(LOOK, el) == ring]
        if same:
            invisible[url] = same
    assert unreachable == {}
    assert invisible == {}
