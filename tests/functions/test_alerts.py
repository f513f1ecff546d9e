"""E-mail alerts of new placements, locally: SQLite beside the e-mail jobs, the outbox."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from email import message_from_bytes
from email.policy import default

import pytest
from alertskit import SITE, Alerts, crash_between_two_subscribers, end_to_end, with_placement
from forms import abuse, alerts
from forms.admin.cli import main as admin_main
from forms.announce import main as announce_main
from forms.app import App, Settings
from forms.local import token_key as local_token_key
from forms.local_alerts import SQLiteAlerts
from forms.tokens import new_key
from formskit import MAIL_FROM


@pytest.fixture
def world(catalogue, sqlite_store, clock) -> Alerts:
    app = App(
        catalogue=catalogue,
        store=sqlite_store,
        token_key=new_key(),
        clock=clock,
        # The limits per client are tested on their own (one client sends everything here).
        settings=Settings(mail_from=MAIL_FROM, site_url=SITE, rate_limit=False),
        alerts=SQLiteAlerts(sqlite_store),
    )
    return Alerts(app, clock)


def test_subscribe_confirm_announce_twice_unsubscribe_announce(world):
    end_to_end(world)


def test_a_crash_between_two_subscribers_mails_sends_each_digest_once(world):
    crash_between_two_subscribers(world)


def test_a_form_post_lands_on_the_page_that_says_to_check_the_inbox(world):
    status, headers, _ = world.subscribe("form@example.org", form=True)
    assert (status, headers["location"]) == (303, "/alertes/merci/")
    world.send()
    assert len(world.mails_to("form@example.org")) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"professions": ["plombier"]}, "professions", "Choisissez des professions dans la liste"),
        ({"professions": []}, "professions", "Choisissez au moins une profession."),
        ({"territories": ["atlantide"]}, "territories", "Choisissez des territoires dans la liste"),
        ({"consent": False}, "consent", "Vous devez accepter"),
        ({"email": "pas-une-adresse"}, "email", "Adresse e-mail invalide"),
        ({"phone": "0612345678"}, "phone", "Champ inattendu."),
    ],
)
def test_an_invalid_subscription_is_refused_and_nothing_is_sent(world, change, field, message):
    fields = {"email": "x@example.org", "professions": ["infirmier"], "consent": True, **change}
    status, _, body = world.call(
        "POST", "/api/alert-subscription", json.dumps(fields).encode(), "application/json"
    )
    assert status == 422 and body["errors"][field].startswith(message)
    assert world.send() == {}


def test_professions_may_be_written_as_candidates_write_them(world):
    world.subscribe("kine@example.org", professions=["Kiné", "sage-femme"])
    world.send()
    (message,) = world.mails_to("kine@example.org")
    assert "masseur-kinésithérapeute, sage-femme" in message.get_body(("plain",)).get_content()


def test_at_most_three_confirmation_emails_a_day_to_one_address(world):
    # The limit per address holds even with the limits per client off (FORMS_RATE_LIMIT=off).
    for _ in range(5):
        assert world.subscribe("cible@example.org")[0] == 202  # the same answer each time
    world.send()
    assert len(world.mails_to("cible@example.org")) == 3
    world.clock.advance(days=1)
    world.subscribe("cible@example.org")
    world.send()
    assert len(world.mails_to("cible@example.org")) == 4


def test_the_confirmation_shares_the_acknowledgements_limit_of_the_forms(world):
    for _ in range(3):  # three acknowledgements of welcomer requests today
        assert abuse.acknowledgement_allowed(world.app, "cible@example.org", world.clock())
    world.subscribe("cible@example.org")
    world.send()
    assert world.mails_to("cible@example.org") == []


def test_many_subscriptions_from_one_client_must_solve_the_challenge(world):
    world.app.settings = dataclasses.replace(world.app.settings, rate_limit=True)
    # Without the page's script (no started_at), one subscription weighs the hour's allowance.
    answers = [world.subscribe(f"n{i}@example.org")[0] for i in range(3)]
    assert answers == [202, 429, 429]
    status, _, body = world.subscribe("n9@example.org")
    assert status == 429 and set(body["challenge"]) >= {"algorithm", "challenge", "salt"}
    status, _, page = world.subscribe("n10@example.org", form=True)
    assert status == 429 and "JavaScript" in page


def test_a_filled_honeypot_gets_the_same_answer_and_nothing(world):
    fields = {"email": "bot@example.org", "professions": ["infirmier"], "consent": True}
    body = json.dumps({**fields, "website": "https://spam.example"}).encode()
    status, _, answer = world.call("POST", "/api/alert-subscription", body, "application/json")
    assert (status, answer) == (202, {"status": "pending"})
    assert world.send() == {}


def test_a_forged_or_dead_link_changes_nothing(world):
    world.subscribe("claire@example.org")
    world.send()
    status, _, page = world.call("GET", f"{alerts.CONFIRM_PATH}?t=abc.def")
    assert status == 400 and "Lien expiré ou invalide" in page
    status, _, _ = world.call("POST", f"{alerts.UNSUBSCRIBE_PATH}?t=abc.def")
    assert status == 400
    world.clock.advance(days=8)  # an unconfirmed subscription is gone after seven days
    world.app.alerts.purge_expired(world.clock())
    assert world.app.alerts.confirmed(world.clock()) == []


def test_a_confirmed_subscription_expires_after_the_retention_the_privacy_page_states(world):
    world.subscribe("claire@example.org")
    world.send()
    world.confirm("claire@example.org")
    assert len(world.app.alerts.confirmed(world.clock())) == 1
    world.clock.advance(days=364)
    assert len(world.app.alerts.confirmed(world.clock())) == 1
    world.clock.advance(days=2)
    report = world.announce(with_placement(world.app.catalogue, "loiret", "nouvelle"))
    assert (report.expired, report.subscribers, report.digests) == (1, 0, 0)


def test_confirming_twice_changes_nothing_and_a_new_confirmed_alert_replaces_the_old(world):
    world.subscribe("claire@example.org", professions=["infirmier"])
    world.send()
    world.confirm("claire@example.org")
    world.subscribe("claire@example.org", professions=["sage-femme"])
    world.send()
    messages = [m for m in world.mails_to("claire@example.org") if "Confirmez" in m["Subject"]]
    from alertskit import link

    target = link(messages[-1], alerts.CONFIRM_PATH)
    for _ in range(2):
        status, _, _ = world.call("POST", target, b"", "application/x-www-form-urlencoded")
        assert status == 303
    (only,) = world.app.alerts.confirmed(world.clock())
    assert only.professions == ("sage-femme",)


def test_erase_removes_every_subscription_of_an_address(world):
    world.subscribe("claire@example.org")
    world.subscribe("autre@example.org")
    world.send()
    world.confirm("claire@example.org")
    assert world.app.alerts.erase("Claire@example.org") == 1
    assert world.app.alerts.confirmed(world.clock()) == []


def test_forms_admin_erase_covers_the_alerts_and_their_emails(world, sqlite_store, capsys):
    world.subscribe("claire@example.org")
    world.send()
    world.confirm("claire@example.org")
    world.subscribe("claire@example.org", professions=["sage-femme"])  # pending, its job too
    status = admin_main(
        ["erase", "Claire@Example.org", "--store", f"sqlite:{sqlite_store.path}", "--yes"]
    )
    out = capsys.readouterr().out
    assert status == 0 and "Effacé : 2 alerte(s) e-mail." in out
    with sqlite3.connect(sqlite_store.path) as db:
        dump = "\n".join(db.iterdump())
    assert "claire@example.org" not in dump.lower()


def test_make_announce_sends_the_digests_to_the_outbox(
    world, sqlite_store, catalogue_path, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("SITE_URL", SITE)
    var = sqlite_store.path.parent
    world.app.token_key = local_token_key(var)  # the key forms.announce reads from var/
    world.subscribe("claire@example.org")
    world.send()
    world.confirm("claire@example.org")
    catalogue = json.loads(catalogue_path.read_text(encoding="utf-8"))
    assert announce_main(["--var", str(var), "--catalogue", str(catalogue_path)]) == 0
    assert "1 abonné(s) confirmé(s), 0 e-mail(s)" in capsys.readouterr().out
    loiret = catalogue["territories"]["loiret"]
    loiret["placements"]["stage-ide-gien"] = {
        "title": "Stage infirmier à Gien", "kind": "stage", "profession": "infirmier",
        "commune": "Gien", "start": "2027-06-01", "end": None,
    }  # fmt: skip
    newer = tmp_path / "catalogue-2.json"
    newer.write_text(json.dumps(catalogue, ensure_ascii=False), encoding="utf-8")
    assert announce_main(["--var", str(var), "--catalogue", str(newer)]) == 0
    assert "1 e-mail(s) d'alerte, 1 offre(s) annoncée(s)" in capsys.readouterr().out
    (digest,) = [p for p in (var / "outbox").glob("alert-*.eml") if "confirm" not in p.name]
    message = message_from_bytes(digest.read_bytes(), policy=default)
    assert "Stage infirmier à Gien" in message.get_body(("plain",)).get_content()
    assert announce_main(["--var", str(var), "--catalogue", str(newer)]) == 0
    assert "0 e-mail(s) d'alerte" in capsys.readouterr().out


def test_a_digest_names_thirty_placements_and_links_to_the_others(world):
    world.subscribe("claire@example.org")
    world.send()
    world.clock.advance(hours=1)
    world.confirm("claire@example.org")
    world.clock.advance(days=1)
    build = world.app.catalogue
    for n in range(35):
        build = with_placement(build, "loiret", f"offre-ide-{n:02d}")
    assert world.announce(build).placements_announced == 35
    (digest,) = world.digests_to("claire@example.org")
    text = digest.get_body(("plain",)).get_content()
    assert digest["Subject"] == "35 nouvelles offres d'essai pour vous"
    assert text.count("/loiret/offres/offre-ide-") == 30
    assert f"Et 5 autres\u00a0: toutes les offres sur {SITE}/offres/" in text
    assert world.announce(build).digests == 0  # the five were announced too
