"""Event registrations through forms.http: seats, slots, the waiting list, cancellation links."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default

import pytest
from forms.ports import EVENT_REGISTRATION
from formskit import act, call, form_event, json_event, sample_fields, token_of

R = EVENT_REGISTRATION


def person(n: int, event: str = "deux-places", **changes) -> dict:
    fields = {
        **sample_fields(R),
        "territory": "ateliers",
        "event": event,
        "first_name": "Lucas",
        "last_name": f"Bernard{'e' * (n % 3)}",
        "email": f"inscrit{n}@example.org",
        **changes,
    }
    return {k: v for k, v in fields.items() if v is not None}


def register(app, n: int, event: str = "deux-places", **changes) -> tuple[int, dict]:
    status, _, body = call(app, R, json_event(R, person(n, event, **changes)))
    return status, body


def emails(records, prefix: str = "") -> dict:
    """Stored e-mails by key, parsed."""
    return {key: message_from_bytes(data, policy=default) for key, data in records.outgoing(prefix)}


def cancel_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(line for line in text.splitlines() if "/api/action?t=" in line).strip()


def test_a_registration_is_confirmed_with_its_ics_and_a_cancellation_link(forms_app, records):
    status, body = register(forms_app, 1)
    assert status == 202 and body["status"] == "confirmed" and set(body) == {"id", "status"}
    stored = records.registration(body["id"])
    assert stored.status == "confirmed" and stored.event == "deux-places"
    sent = emails(records, body["id"])
    assert set(sent) == {f"{body['id']}/confirmed", f"{body['id']}/notify"}
    confirmation = sent[f"{body['id']}/confirmed"]
    assert confirmation["To"].addresses[0].addr_spec == "inscrit1@example.org"
    ics = next(p for p in confirmation.iter_attachments() if p.get_filename() == "evenement.ics")
    calendar = ics.get_content()
    assert "DTSTART:20270311T080000Z" in calendar and "SUMMARY:Atelier deux-places" in calendar
    assert cancel_link(confirmation).startswith("https://territoires.example/api/action?t=")
    notice = sent[f"{body['id']}/notify"]
    staff = {a.addr_spec for a in notice["To"].addresses}
    assert "operateur@territoires.example" in staff  # the operator hears of every submission


def test_beyond_capacity_registrations_go_to_the_waiting_list(forms_app, records):
    statuses = [register(forms_app, n)[1]["status"] for n in range(4)]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    waiting = [
        r for r in records.registrations("ateliers", "deux-places") if r.status == "waitlisted"
    ]
    assert [r.position for r in waiting] == [3, 4]
    letter = emails(records, waiting[0].id)[f"{waiting[0].id}/waitlisted"]
    assert "Liste d'attente" in letter["Subject"] and not list(letter.iter_attachments())


def test_a_form_post_lands_on_the_events_thank_you_or_waiting_list_page(forms_app):
    locations = [call(forms_app, R, form_event(R, person(n)))[1]["location"] for n in range(3)]
    assert locations == [
        "/ateliers/evenements/deux-places/merci/",
        "/ateliers/evenements/deux-places/merci/",
        "/ateliers/evenements/deux-places/liste-d-attente/",
    ]


def test_the_same_address_registers_once(forms_app, records):
    first = register(forms_app, 1)[1]
    again = register(forms_app, 1, email="INSCRIT1@example.org")[1]
    assert again == first
    assert len(records.registrations("ateliers", "deux-places")) == 1
    assert len(emails(records)) == 2  # no second confirmation


def test_one_registration_per_slot(forms_app, records):
    slot = "2027-03-11T09:20:00+01:00"
    assert register(forms_app, 1, "entretiens", slot=slot)[1]["status"] == "confirmed"
    status, body = register(forms_app, 2, "entretiens", slot=slot)
    assert status == 422 and set(body["errors"]) == {"slot"}
    assert "pris" in body["errors"]["slot"]
    # A slot written in Paris time without offset is the same slot.
    status, body = register(forms_app, 3, "entretiens", slot="2027-03-11T09:20")
    assert status == 422 and "pris" in body["errors"]["slot"]
    held = [r.slot for r in records.registrations("ateliers", "entretiens")]
    assert held == [slot]


@pytest.mark.parametrize(
    ("event", "slot", "message"),
    [
        ("entretiens", None, "Choisissez un créneau"),
        ("entretiens", "2027-03-11T15:00:00+01:00", "n'existe pas"),
        ("entretiens", "demain matin", "invalide"),
        ("deux-places", "2027-03-11T09:00:00+01:00", "pas de créneaux"),
    ],
)
def test_slots_are_checked_against_the_event(forms_app, records, event, slot, message):
    status, body = register(forms_app, 1, event, slot=slot)
    assert status == 422 and message in body["errors"]["slot"]
    assert records.registrations() == []


def test_registrations_close_at_the_closing_time(forms_app, clock, records):
    clock.now = dt.datetime(2027, 3, 10, 23, 0, tzinfo=dt.UTC)  # 00:00 in Paris: closed
    status, body = register(forms_app, 1)
    assert status == 422 and "closes" in body["errors"]["event"]
    assert register(forms_app, 1, "inconnu")[1]["errors"]["event"].startswith("Cet événement")
    assert records.registrations() == []


def test_a_bot_gets_a_confirmation_shape_and_takes_no_seat(forms_app, records):
    status, body = register(forms_app, 1, website="https://spam.example")
    assert status == 202 and body["status"] == "confirmed"
    assert records.registrations() == [] and emails(records) == {}


def test_cancelling_gives_the_seat_and_the_slot_to_the_first_in_line(forms_app, records):
    slot = "2027-03-11T09:40:00+01:00"
    ids = [
        register(forms_app, n, "entretiens", slot=s)[1]["id"]
        for n, s in enumerate(
            ["2027-03-11T09:00:00+01:00", "2027-03-11T09:20:00+01:00", slot, slot, slot]
        )
    ]
    assert [records.registration(i).status for i in ids] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    link = cancel_link(emails(records, ids[2])[f"{ids[2]}/confirmed"])
    status, page = act(forms_app, "GET", token_of(link))
    assert status == 200 and "Annuler mon inscription" in page
    assert records.registration(ids[2]).status == "confirmed"  # opening the link changes nothing
    status, page = act(forms_app, "POST", token_of(link))
    assert status == 200 and "annulée" in page
    assert records.registration(ids[2]).status == "cancelled"
    promoted = records.registration(ids[3])
    assert promoted.status == "confirmed" and promoted.slot == slot and promoted.promoted_at
    assert records.registration(ids[4]).status == "waitlisted"
    letter = emails(records, ids[3])[f"{ids[3]}/promoted"]
    assert "Une place s'est libérée" in letter.get_body(("plain",)).get_content()
    assert any(p.get_filename() == "evenement.ics" for p in letter.iter_attachments())
    # The link used twice changes nothing more.
    status, page = act(forms_app, "POST", token_of(link))
    assert status == 409 and "déjà annulée" in page
    assert records.registration(ids[4]).status == "waitlisted"


def test_leaving_the_waiting_list_promotes_nobody(forms_app, records):
    ids = [register(forms_app, n)[1]["id"] for n in range(3)]
    link = cancel_link(emails(records, ids[2])[f"{ids[2]}/waitlisted"])
    assert "Me retirer de la liste" in act(forms_app, "GET", token_of(link))[1]
    assert act(forms_app, "POST", token_of(link))[0] == 200
    assert [records.registration(i).status for i in ids] == ["confirmed", "confirmed", "cancelled"]


def test_a_tampered_or_expired_cancellation_link_is_refused(forms_app, records, clock):
    registration = register(forms_app, 1)[1]["id"]
    token = token_of(cancel_link(emails(records, registration)[f"{registration}/confirmed"]))
    body, signature = token.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    for method in ("GET", "POST"):
        assert act(forms_app, method, forged)[0] == 400
        assert act(forms_app, method, token[:-3])[0] == 400
    clock.now = dt.datetime(2027, 3, 11, 13, 0, tzinfo=dt.UTC)  # after the event
    status, page = act(forms_app, "POST", token)
    assert status == 410 and "plus valable" in page
    assert records.registration(registration).status == "confirmed"
