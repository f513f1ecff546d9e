"""Signing in by e-mail link: only the territory's `editors:`, links short-lived and single-use,
sessions for one territory, limits per address and per client, and nothing that tells who is
allowed."""

from __future__ import annotations

import re

import pytest
from forms.editor import signin

from .conftest import EDITOR, OPERATOR, OTHER_EDITOR, SITE_URL
from .editorkit import (
    ask_link,
    call,
    link_in,
    session_in,
    sign_in,
    token_of,
    use_link,
)


@pytest.fixture
def editor(sign_in_only):
    """Signing in needs no GitHub: these tests run without it (the API answers /user alone)."""
    return sign_in_only


def without_address(page: str, address: str) -> str:
    return page.replace(address, "ADRESSE")


def test_an_editor_of_the_territory_receives_a_sign_in_link(editor, mailer):
    status, page, _ = ask_link(editor, "loiret", EDITOR)

    assert status == 200
    assert "un lien de connexion vient de lui être envoyé" in page
    (message,) = mailer.messages
    assert message["To"] == EDITOR
    assert "Loiret" in message["Subject"]
    # The territory's name with its article, as on the site: « du Loiret », never « de Loiret ».
    assert message["Subject"] == "Votre lien de connexion à l'éditeur du Loiret"
    assert "les pages du Loiret" in page
    link = link_in(message)
    assert link.startswith(f"{SITE_URL}/api/editor/loiret/connexion/lien?t=")
    assert "15 minutes" in message.get_body(preferencelist=("plain",)).get_content()
    # The outbox names the message by an id of its own, never by the link's secret.
    (job,) = mailer.jobs
    assert job.key.startswith("editor-sign-in/") and token_of(link) not in job.key
    assert token_of(link) not in message["Message-ID"]


@pytest.mark.parametrize(
    "address",
    ["inconnu@example.org", OTHER_EDITOR, OPERATOR],
    ids=["unknown", "editor-of-another-territory", "operator-on-a-territory"],
)
def test_an_address_not_allowed_gets_the_same_answer_and_no_e_mail(editor, mailer, address):
    allowed = ask_link(editor, "loiret", EDITOR)
    refused = ask_link(editor, "loiret", address)

    assert refused[0] == allowed[0] == 200
    assert without_address(refused[1], address) == without_address(allowed[1], EDITOR)
    assert [m["To"] for m in mailer.messages] == [EDITOR]


def test_addresses_are_compared_without_case(editor, mailer):
    ask_link(editor, "loiret", " Claire.Martin@LOIRET.example ")
    ask_link(editor, "loiret", "accueil@loiret.example")  # written Accueil@Loiret.example

    assert len(mailer.messages) == 2


def test_a_malformed_address_is_refused_in_french(editor, mailer):
    status, page, _ = ask_link(editor, "loiret", "claire.martin@")

    assert status == 400
    assert "Cette adresse e-mail n'est pas valide." in page
    assert not mailer.messages


def test_the_sign_in_page_is_a_plain_form_that_works_without_javascript(editor):
    status, page, headers = call(editor, "GET", "/api/editor/loiret/connexion")

    assert status == 200
    assert headers["cache-control"] == "no-store"
    assert '<form class="form" method="post" action="/api/editor/loiret/connexion"' in page
    assert '<label for="editor-email">' in page
    assert '<script src="/admin/territoires-connexion.js"></script>' in page
    assert "<script>" not in page  # the site's CSP allows no inline script


def test_opening_the_link_changes_nothing_until_confirmed(editor, mailer):
    ask_link(editor, "loiret", EDITOR)
    token = token_of(link_in(mailer.messages[0]))

    for _ in range(2):  # a mail scanner, then the person
        status, page, _ = call(
            editor, "GET", "/api/editor/loiret/connexion/lien", query=f"t={token}"
        )
        assert status == 200
        assert 'method="post" action="/api/editor/loiret/connexion/lien"' in page
        assert "l&#39;éditeur du Loiret" in page or "l'éditeur du Loiret" in page
    status, page, _ = use_link(editor, "loiret", token)

    assert status == 200
    assert "Vous êtes connecté·e" in page
    assert 'href="/loiret/admin/"' in page
    assert 'data-storage-key="decap-cms-user"' in page


def test_a_link_works_once(editor, mailer):
    ask_link(editor, "loiret", EDITOR)
    token = token_of(link_in(mailer.messages[0]))

    first = use_link(editor, "loiret", token)
    again = use_link(editor, "loiret", token)

    assert first[0] == 200
    assert again[0] == 400
    assert "a expiré ou a déjà servi" in again[1]
    assert "data-token" not in again[1]


def test_a_link_expires_after_fifteen_minutes(editor, mailer, clock):
    ask_link(editor, "loiret", EDITOR)
    token = token_of(link_in(mailer.messages[0]))
    clock.advance(minutes=15, seconds=1)

    status, page, _ = use_link(editor, "loiret", token)

    assert status == 400
    assert "a expiré ou a déjà servi" in page


def test_a_link_signs_in_to_its_own_territory_only(editor, mailer):
    ask_link(editor, "loiret", EDITOR)
    token = token_of(link_in(mailer.messages[0]))

    status, page, _ = use_link(editor, "loir-et-cher", token)

    assert status == 400
    assert "data-token" not in page
    # A link shown where it does not belong is spent: it was seen somewhere it should not be.
    assert use_link(editor, "loiret", token)[0] == 400


def test_a_made_up_link_is_refused(editor):
    status, page, _ = use_link(editor, "loiret", "pas-un-vrai-lien")

    assert status == 400
    assert "a expiré ou a déjà servi" in page


def test_an_address_removed_from_editors_cannot_use_its_link(editor, mailer, catalogue):
    ask_link(editor, "loiret", EDITOR)
    token = token_of(link_in(mailer.messages[0]))
    editor.sign_in.catalogue = _without_editors(catalogue, "loiret")

    assert use_link(editor, "loiret", token)[0] == 400


def _without_editors(catalogue, slug):
    import dataclasses

    territories = dict(catalogue.territories)
    territories[slug] = dataclasses.replace(territories[slug], editors=())
    return dataclasses.replace(catalogue, territories=territories)


def test_requests_are_limited_per_address_whether_allowed_or_not(editor, mailer, clock):
    limit = signin.LINKS_PER_ADDRESS
    answers = {
        address: [
            ask_link(editor, "loiret", address, client=f"198.51.100.{i}")[0]
            for i in range(limit + 1)
        ]
        for address in (EDITOR, "inconnu@example.org")
    }

    assert answers[EDITOR] == answers["inconnu@example.org"] == [200] * limit + [429]
    assert len(mailer.messages) == limit
    status, page, _ = ask_link(editor, "loiret", EDITOR, client="198.51.100.99")
    assert status == 429 and "réessayez dans une heure" in page
    clock.advance(hours=1)
    assert ask_link(editor, "loiret", EDITOR)[0] == 200
    assert len(mailer.messages) == limit + 1


def test_requests_are_limited_per_client_whatever_the_addresses(editor, mailer):
    limit = signin.REQUESTS_PER_CLIENT
    statuses = [ask_link(editor, "loiret", f"personne{i}@example.org")[0] for i in range(limit)]

    assert statuses == [200] * limit
    assert ask_link(editor, "loiret", EDITOR)[0] == 429
    assert not mailer.messages
    assert ask_link(editor, "loiret", EDITOR, client="192.0.2.7")[0] == 200


def test_the_operators_sign_in_to_the_all_territories_editor(editor, mailer):
    ask_link(editor, signin.ALL_TERRITORIES, EDITOR)
    assert not mailer.messages

    token = sign_in(editor, mailer, signin.ALL_TERRITORIES, OPERATOR)

    status, user, _ = call(editor, "GET", "/api/editor/_tous/user", token=token)
    assert (status, user["login"]) == (200, OPERATOR)


def test_an_unknown_territory_has_no_sign_in_page(editor):
    assert call(editor, "GET", "/api/editor/atlantide/connexion")[0] == 404
    assert call(editor, "GET", "/api/editor/..%2Floiret/connexion")[0] == 404


# --- Sessions. ------------------------------------------------------------------------------


def test_a_session_is_for_its_territory_only(editor, mailer):
    token = sign_in(editor, mailer, "loiret", EDITOR)

    own = call(editor, "GET", "/api/editor/loiret/user", token=token)
    other = call(editor, "GET", "/api/editor/loir-et-cher/user", token=token)

    assert own[0] == 200 and own[1]["login"] == EDITOR
    assert other[0] == 401
    assert other[1]["message"] == "Cette session est celle d'un autre territoire."


def test_a_session_lasts_a_working_day(editor, mailer, clock):
    token = sign_in(editor, mailer, "loiret", EDITOR)
    clock.advance(hours=7, minutes=59)
    assert call(editor, "GET", "/api/editor/loiret/user", token=token)[0] == 200
    clock.advance(minutes=2)

    status, data, _ = call(editor, "GET", "/api/editor/loiret/user", token=token)

    assert status == 401
    assert data["message"] == "Session expirée : reconnectez-vous."


@pytest.mark.parametrize(
    "header", [None, "made-up", "gAAAAABforged"], ids=["none", "junk", "forged"]
)
def test_calls_without_a_genuine_session_are_refused(editor, header):
    status, data, _ = call(editor, "GET", "/api/editor/loiret/user", token=header)

    assert status == 401
    assert re.search("Connexion requise|Session expirée", data["message"])


def test_removing_an_address_from_editors_ends_its_sessions(editor, mailer, catalogue):
    token = sign_in(editor, mailer, "loiret", EDITOR)
    editor.sign_in.catalogue = _without_editors(catalogue, "loiret")

    status, data, _ = call(editor, "GET", "/api/editor/loiret/user", token=token)

    assert status == 401
    assert "n'a plus accès" in data["message"]


def test_the_signed_in_page_hands_the_session_to_the_editor(editor, mailer):
    ask_link(editor, "loiret", EDITOR)
    _, page, headers = use_link(editor, "loiret", token_of(link_in(mailer.messages[0])))

    assert session_in(page).startswith("gAAAAA")  # Fernet: encrypted and authenticated
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"


def test_behind_cloudfront_the_visitor_is_counted_not_the_edge(editor, mailer):
    from forms.editor import web
    from forms.local import build_event

    asked = []

    def ask(viewer: str):
        headers = {"content-type": "application/x-www-form-urlencoded"}
        asked.append(viewer)
        body = f"email=personne{len(asked)}@example.org".encode()
        event = build_event("POST", "/api/editor/loiret/connexion", headers, body, "130.176.0.1")
        event["headers"]["cloudfront-viewer-address"] = viewer  # set by CloudFront alone
        return web.handle(event, editor)["statusCode"]

    # Twenty requests of one visitor through one edge address, then another visitor.
    statuses = [ask("198.51.100.7:4431") for _ in range(signin.REQUESTS_PER_CLIENT)]

    assert statuses == [200] * signin.REQUESTS_PER_CLIENT
    assert ask("198.51.100.7:5555") == 429  # the same visitor, another port
    assert ask("[2001:db8::9]:443") == 200  # someone else behind the same edge
