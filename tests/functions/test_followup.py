"""The follow-up of a welcomer request through its signed links: introduce, calls, settle, close."""

from __future__ import annotations

import datetime as dt
import threading
from email import message_from_bytes
from email.policy import default

import pytest
from forms import followup, introductions, links
from forms.ports import WELCOMER_REQUEST
from formskit import act, call, json_event, sample_fields, token_of

W = WELCOMER_REQUEST


@pytest.fixture
def request_id(forms_app) -> str:
    """A welcomer request for the Loir-et-Cher, whose welcomers Sophie and Karim have e-mails."""
    fields = {**sample_fields(W), "territory": "loir-et-cher"}
    fields.pop("placement")
    status, _, body = call(forms_app, W, json_event(W, fields))
    assert status == 202
    return body["id"]


def staff_links(app, request_id: str) -> dict[str, str]:
    request = app.store.get(request_id)
    return dict(introductions.staff_links(app, request, app.catalogue.get(request.territory)))


def introduce_link(app, request_id: str, who: str = "Sophie") -> str:
    return next(url for label, url in staff_links(app, request_id).items() if who in label)


def mails(records, prefix: str) -> dict:
    return {k: message_from_bytes(v, policy=default) for k, v in records.outgoing(prefix)}


def text(message) -> str:
    """The plain text, its no-break spaces (French typography: « Âge : ») as spaces."""
    body = message.get_body(("plain",)).get_content()
    return body.replace("\u00a0", " ").replace("\u202f", " ")


def call_links(message) -> list[str]:
    lines = text(message).splitlines()
    return [lines[i + 1].strip() for i, line in enumerate(lines) if "appel :" in line]


def test_the_staff_links_offer_each_welcomer_with_an_address_and_closing(forms_app, request_id):
    labels = list(staff_links(forms_app, request_id))
    assert any("Sophie (Blois)" in label for label in labels)
    assert any("Karim (Vendôme)" in label for label in labels)
    assert not any("Anne" in label for label in labels)  # no e-mail in territory.yaml
    assert labels[-1] == "Clore la demande"


def test_opening_an_introduction_link_changes_nothing_its_post_introduces_once(
    forms_app, records, request_id
):
    token = token_of(introduce_link(forms_app, request_id))
    status, page = act(forms_app, "GET", token)
    assert status == 200 and "Présenter la famille" in page and 'method="post"' in page
    assert records.followup(request_id) is None
    assert records.outgoing(f"{request_id}/introduction/") == []
    status, page = act(forms_app, "POST", token)
    assert status == 200 and "présentés" in page
    state = records.followup(request_id)
    assert state.status == followup.INTRODUCED and state.welcomer == "sophie"
    sent = mails(records, f"{request_id}/introduction/")
    key = f"{request_id}/introduction/sophie"
    assert set(sent) == {f"{key}/welcomer", f"{key}/family"}
    to_welcomer, to_family = sent[f"{key}/welcomer"], sent[f"{key}/family"]
    assert to_welcomer["To"].addresses[0].addr_spec == "sophie@example.org"
    assert to_welcomer["Reply-To"].addresses[0].addr_spec == "claire.martin@example.org"
    assert "Âge des enfants : 4, 9" in text(to_welcomer)
    # As a person reads them, like the staff e-mail: not « +33612345678 », « 2029-09 ».
    assert "Téléphone : 06 12 34 56 78" in text(to_welcomer)
    assert "Arrivée envisagée : septembre 2029" in text(to_welcomer)
    assert len(call_links(to_welcomer)) == followup.MAX_CALLS
    assert to_family["To"].addresses[0].addr_spec == "claire.martin@example.org"
    assert to_family["Reply-To"].addresses[0].addr_spec == "sophie@example.org"
    assert "je connais les écoles" in text(to_family)  # Sophie's presentation
    # Replayed: refused, harmless, no third e-mail.
    status, page = act(forms_app, "POST", token)
    assert status == 409 and "déjà été présentée" in page
    assert len(records.outgoing(f"{request_id}/introduction/")) == 2


def test_two_clicks_at_once_introduce_once(forms_app, records, request_id):
    token = token_of(introduce_link(forms_app, request_id))
    statuses, start = [], threading.Barrier(8)

    def click():
        start.wait()
        statuses.append(act(forms_app, "POST", token)[0])

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7
    assert records.followup(request_id).version == 1
    assert len(records.outgoing(f"{request_id}/introduction/")) == 2


def test_the_welcomer_records_each_call_once_and_in_order(forms_app, records, request_id):
    act(forms_app, "POST", token_of(introduce_link(forms_app, request_id)))
    welcomer_mail = mails(records, request_id)[f"{request_id}/introduction/sophie/welcomer"]
    first, second, third, fourth = map(token_of, call_links(welcomer_mail))
    assert act(forms_app, "POST", third)[0] == 409  # the 2nd comes first
    assert act(forms_app, "POST", first)[0] == 200
    assert act(forms_app, "POST", first)[0] == 409  # replayed
    status, page = act(forms_app, "GET", second)
    assert status == 200 and "2e appel" in page
    assert act(forms_app, "POST", second)[0] == 200
    state = records.followup(request_id)
    assert state.status == followup.CALLING
    assert [c["by"] for c in state.calls] == ["welcomer", "welcomer"]
    assert act(forms_app, "POST", third)[0] == 200
    assert act(forms_app, "POST", fourth)[0] == 200
    assert len(records.followup(request_id).calls) == 4


def test_another_welcomer_may_take_over_before_the_calls_and_the_first_ones_links_stop(
    forms_app, records, request_id
):
    act(forms_app, "POST", token_of(introduce_link(forms_app, request_id, "Sophie")))
    sophie_calls = call_links(
        mails(records, request_id)[f"{request_id}/introduction/sophie/welcomer"]
    )
    assert (
        act(forms_app, "POST", token_of(introduce_link(forms_app, request_id, "Karim")))[0] == 200
    )
    assert records.followup(request_id).welcomer == "karim"
    assert len(records.outgoing(f"{request_id}/introduction/karim/")) == 2
    status, page = act(forms_app, "POST", token_of(sophie_calls[0]))
    assert status == 409 and "autre welcomer" in page


def test_settling_or_closing_ends_the_follow_up(forms_app, records, request_id):
    act(forms_app, "POST", token_of(introduce_link(forms_app, request_id)))
    close = token_of(staff_links(forms_app, request_id)["Clore la demande"])
    status, page = act(forms_app, "GET", close)
    assert status == 200 and 'name="reason"' in page and "Famille injoignable" in page
    assert act(forms_app, "POST", close, {"reason": "nonsense"})[0] == 409
    assert act(forms_app, "POST", close, {"reason": "unreachable"})[0] == 200
    state = records.followup(request_id)
    assert state.status == followup.CLOSED and state.close_reason == "unreachable"
    assert act(forms_app, "POST", close, {"reason": "other"})[0] == 409
    karim = token_of(introduce_link(forms_app, request_id, "Karim"))
    status, page = act(forms_app, "GET", karim)
    assert status == 409 and "déjà close" in page


def test_a_tampered_expired_or_foreign_link_is_refused(forms_app, records, request_id, clock):
    token = token_of(introduce_link(forms_app, request_id))
    body, signature = token.split(".")
    other_request = links.sign(
        b"another key", links.Link("introduce", request_id, clock() + dt.timedelta(days=1))
    )
    for bad in (body + "." + signature[::-1], body + "x." + signature, other_request, "", "a.b.c"):
        assert act(forms_app, "POST", bad)[0] == 400
    clock.advance(days=61)
    status, page = act(forms_app, "GET", token)
    assert status == 410 and "plus valable" in page
    assert act(forms_app, "POST", token)[0] == 410
    assert records.followup(request_id) is None
    assert records.outgoing(f"{request_id}/introduction/") == []


def test_a_link_to_an_erased_request_finds_nothing(forms_app, sqlite_store, request_id):
    token = token_of(introduce_link(forms_app, request_id))
    db = sqlite_store._connection()
    with db:
        db.execute("DELETE FROM submissions WHERE id = ?", (request_id,))
    assert act(forms_app, "GET", token)[0] == 404
    assert act(forms_app, "POST", token)[0] == 404


def test_a_post_carrying_other_fields_is_refused(forms_app, request_id):
    token = token_of(introduce_link(forms_app, request_id))
    assert act(forms_app, "POST", token, {"welcomer": "karim"})[0] == 400


def test_transitions_are_pure_and_refuse_what_makes_no_sense():
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    state = followup.FollowUp("r", "loiret", now, now)
    with pytest.raises(followup.Refused, match="aucun welcomer"):
        followup.call(state, now, 1, "sophie")
    with pytest.raises(followup.Refused, match="aucun welcomer"):
        followup.settle(state, now)
    introduced = followup.introduce(state, now, "sophie")
    assert state.status == followup.RECEIVED  # the old state is untouched
    with pytest.raises(followup.Refused, match="au plus 4"):
        followup.call(introduced, now, 5, "sophie")
    settled = followup.settle(introduced, now)
    with pytest.raises(followup.AlreadyDone):
        followup.settle(settled, now)
    with pytest.raises(followup.Refused, match="installée"):
        followup.close(settled, now, "other")
    assert [h["action"] for h in settled.history] == ["introduce", "settle"]
