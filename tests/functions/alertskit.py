"""The alerts as a person and the deploy use them: requests, e-mails read back, new builds.

`Alerts` drives one app over a store (SQLite or DynamoDB under moto) the same way, so that the
end-to-end scenario runs unchanged against both.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import json
import re
from urllib.parse import urlencode, urlsplit

from forms import alerts
from forms.catalogue import Catalogue, PlacementInfo
from forms.delivery import RetryPolicy, send_due
from forms.http import handle_alerts
from formskit import RecordingMailer

SITE = "https://territoires.example"
SUBSCRIBE = "/api/alert-subscription"
QUICK = RetryPolicy(first_delay=dt.timedelta(seconds=1), max_attempts=3)


def alert_event(
    method: str, path: str, body: bytes = b"", content_type: str | None = None, query: str = ""
) -> dict:
    """An API Gateway HTTP API v2 event on an alert route."""
    headers = {"content-type": content_type} if content_type else {}
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p) or None
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": params,
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "192.0.2.1"}},
        "body": body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def with_placement(
    catalogue: Catalogue,
    territory: str,
    placement_id: str,
    profession: str = "infirmier",
    title: str = "Remplacement d'infirmier",
) -> Catalogue:
    """The catalogue of a build in which `territory` published one more placement."""
    info = catalogue.territories[territory]
    placement = PlacementInfo(
        placement_id, title, "remplacement", profession, "Montargis", "2027-09-01", "2027-09-30"
    )
    changed = dataclasses.replace(info, placements={**info.placements, placement_id: placement})
    return dataclasses.replace(catalogue, territories={**catalogue.territories, territory: changed})


def link(message, path: str) -> str:
    """The path and query of the link to `path` in an e-mail's text part."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(SITE + path) + r"\?t=[A-Za-z0-9._~%-]+", text)
    assert found, f"no link to {path} in:\n{text}"
    url = urlsplit(found.group(0))
    return f"{url.path}?{url.query}"


class Alerts:
    """One app, its mailer and its clock: subscribe, confirm, announce, unsubscribe, read."""

    def __init__(self, app, clock):
        self.app, self.clock = app, clock
        self.mailer = RecordingMailer()

    def call(self, method: str, target: str, body: bytes = b"", content_type: str | None = None):
        path, _, query = target.partition("?")
        response = handle_alerts(alert_event(method, path, body, content_type, query), self.app)
        text = response["body"]
        kind = response["headers"].get("content-type", "")
        if kind.startswith("application/json"):
            text = json.loads(text)
        elif kind.startswith("text/html"):
            text = html.unescape(text)  # the page as read, « l'alerte » not « l&#39;alerte »
        return response["statusCode"], response["headers"], text

    def subscribe(self, email: str, professions=("infirmier",), territories=(), form=False):
        fields = {
            "email": email,
            "professions": list(professions),
            "territories": list(territories),
            "consent": True,
        }
        if form:
            pairs = [
                (k, v) for k, vs in fields.items() for v in (vs if isinstance(vs, list) else [vs])
            ]
            body = urlencode([(k, "true" if v is True else v) for k, v in pairs]).encode()
            return self.call("POST", SUBSCRIBE, body, "application/x-www-form-urlencoded")
        return self.call("POST", SUBSCRIBE, json.dumps(fields).encode(), "application/json")

    def send(self) -> dict:
        """Send every due job, as the worker (or the stream mailer) would."""
        return dict(send_due(self.app.store, self.mailer, self.clock, "test", QUICK))

    def mails_to(self, address: str) -> list:
        return [m for m in self.mailer.messages if address in m["To"]]

    def confirm(self, address: str) -> None:
        """Open the confirmation e-mail's link, then press its button, as a person does."""
        (message,) = [m for m in self.mails_to(address) if "Confirmez" in m["Subject"]]
        target = link(message, alerts.CONFIRM_PATH)
        status, _, page = self.call("GET", target)
        assert status == 200 and "Confirmer mon alerte" in page
        status, headers, _ = self.call("POST", target, b"", "application/x-www-form-urlencoded")
        assert (status, headers["location"]) == (303, "/alertes/confirmee/")

    def announce(self, catalogue: Catalogue | None = None) -> alerts.AnnounceReport:
        """What `make announce` (or the deploy) does after a build of `catalogue`."""
        if catalogue is not None:
            self.app.catalogue = catalogue
        report = alerts.announce(self.app)
        self.send()
        return report

    def digests_to(self, address: str) -> list:
        return [m for m in self.mails_to(address) if m["List-Unsubscribe"]]


# --- Scenarios run against each store. -----------------------------------------------------


def end_to_end(world: Alerts) -> None:
    """Subscribe, nothing before confirmation, confirm, announce twice, unsubscribe, announce."""
    status, _, body = world.subscribe("claire@example.org", territories=["loiret"])
    assert (status, body) == (202, {"status": "pending"})
    world.send()
    (confirmation,) = world.mails_to("claire@example.org")
    assert "Confirmez" in confirmation["Subject"]

    new_build = with_placement(world.app.catalogue, "loiret", "remplacement-ide-montargis")
    assert world.announce(new_build).digests == 0  # not confirmed: nothing
    assert world.digests_to("claire@example.org") == []

    world.clock.advance(hours=2)  # she reads her mail
    world.confirm("claire@example.org")
    world.clock.advance(days=1)
    # The next build publishes two placements for nurses: one in the Loiret, one elsewhere.
    later = with_placement(new_build, "loiret", "stage-ide-pithiviers", title="Stage infirmier")
    later = with_placement(later, "loir-et-cher", "remplacement-ide-blois")
    report = world.announce(later)
    assert (report.digests, report.placements_announced) == (1, 1)
    (digest,) = world.digests_to("claire@example.org")
    text = digest.get_body(("plain",)).get_content()
    assert "Stage infirmier" in text and f"{SITE}/loiret/offres/stage-ide-pithiviers/" in text
    assert "remplacement-ide-blois" not in text  # another territory
    # The placement published before the confirmation is not "new" to this subscriber.
    assert "remplacement-ide-montargis" not in text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = digest["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{SITE}{alerts.UNSUBSCRIBE_PATH}?t=")

    assert world.announce(later).digests == 0  # again: nothing new
    assert len(world.digests_to("claire@example.org")) == 1

    target = unsubscribe.removeprefix(SITE)
    status, _, page = world.call("GET", target)  # a link scanner: nothing changes
    assert status == 200 and "Arrêter l'alerte" in page
    assert world.app.alerts.get(target.split("t=")[1].split(".")[0]) is not None
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no confirmation page.
    status, _, page = world.call(
        "POST", target, b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"
    )
    assert status == 200 and "Alerte arrêtée" in page
    world.clock.advance(days=1)
    newest = with_placement(later, "loiret", "collaboration-ide-gien")
    assert world.announce(newest).subscribers == 0
    assert len(world.digests_to("claire@example.org")) == 1


class Crash(BaseException):
    """A crash of the sending process: not an Exception, so nothing on the way catches it."""


class CrashingMailer(RecordingMailer):
    """Sends `before` messages, then the process dies when about to send the next one."""

    def __init__(self, before: int):
        super().__init__()
        self.before = before

    def send(self, job) -> None:
        if len(self.jobs) == self.before:
            raise Crash
        super().send(job)


def crash_between_two_subscribers(world: Alerts) -> None:
    """The first digest goes out, the process dies before the second: the next run sends the
    second one once, the first never again."""
    for address in ("un@example.org", "deux@example.org"):
        world.subscribe(address)
    world.send()
    for address in ("un@example.org", "deux@example.org"):
        world.confirm(address)
        world.clock.advance(seconds=1)
    world.clock.advance(days=1)
    build = with_placement(world.app.catalogue, "loiret", "remplacement-ide-montargis")
    world.app.catalogue = build
    assert alerts.announce(world.app).digests == 2

    world.mailer = CrashingMailer(before=1)  # the first digest goes out, not the second
    with contextlib.suppress(Crash):
        world.send()
    got = {a: len(world.digests_to(a)) for a in ("un@example.org", "deux@example.org")}
    assert sorted(got.values()) == [0, 1]
    (first,) = [a for a, n in got.items() if n == 1]
    (second,) = [a for a, n in got.items() if n == 0]

    world.mailer = RecordingMailer()  # the next run, a few minutes later (the lease ran out)
    world.clock.advance(minutes=5)
    assert world.announce(build).digests == 0  # nothing new to enqueue; the second is sent
    assert world.announce(build).digests == 0
    assert len(world.digests_to(second)) == 1
    assert world.digests_to(first) == []
