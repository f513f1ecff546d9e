"""The e-mails of a submission, read back from their bytes as a mail client would."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default

import pytest
from forms.emails import ACKNOWLEDGEMENT, NOTIFY, compose, header_text
from forms.ports import PACK_ORDER, WELCOMER_REQUEST, Submission
from forms.pricing import price_order
from forms.validation import validate
from formskit import MAIL_FROM, NOW, sample_fields

EXPECTED_HEADERS = {
    "From",
    "Subject",
    "Date",
    "Message-ID",
    "X-Submission-Id",
    "X-Forms-Message",
    "To",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
}


def spaced(text: str) -> str:
    """The text with French typography's no-break spaces read as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def submission(catalogue, form: str, **fields) -> Submission:
    """A stored-like submission built from raw fields, bypassing validation when told to."""
    values = {**sample_fields(form), **fields}
    values.pop("website", None)
    values.pop("started_at", None)
    pack = catalogue.get(values["territory"]).pack
    return Submission(
        id="20261124T172501Z-3f9a2c1d",
        form=form,
        territory=values["territory"],
        received_at=NOW,
        expires_at=NOW,
        fields=values,
        pricing=price_order(pack, values["quantity"]) if form == PACK_ORDER else None,
    )


def parsed(message):
    """The message as a receiving client parses it from the wire."""
    return message_from_bytes(bytes(message), policy=default)


def messages_of(catalogue, form, **fields):
    sub = submission(catalogue, form, **fields)
    return {k: parsed(m) for k, m in compose(sub, catalogue.get("loiret"), MAIL_FROM).items()}


def test_the_notification_goes_to_the_notify_list_with_reply_to_the_sender(catalogue):
    mail = messages_of(catalogue, WELCOMER_REQUEST)[NOTIFY]
    assert mail["To"].addresses[0].addr_spec == "accueil@example.org"
    assert [a.addr_spec for a in mail["To"].addresses] == list(catalogue.get("loiret").notify)
    assert mail["Reply-To"].addresses[0].addr_spec == "claire.martin@example.org"
    assert mail["Subject"] == "[Loiret] Demande de welcomer — Claire Martin"
    assert mail["From"].addresses[0].addr_spec == "no-reply@territoires.example"


def test_each_message_has_a_plain_text_and_an_html_part(catalogue):
    for mail in messages_of(catalogue, PACK_ORDER).values():
        assert mail.get_content_type() == "multipart/alternative"
        types = [part.get_content_type() for part in mail.iter_parts()]
        assert types == ["text/plain", "text/html"]


def test_the_html_part_escapes_what_the_sender_typed(catalogue):
    mail = messages_of(catalogue, WELCOMER_REQUEST, message="<img src=x onerror=alert(1)>")[NOTIFY]
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<img" not in html and "&lt;img src=x" in html
    assert "<img src=x onerror=alert(1)>" in text  # plain text stays as typed


def test_the_order_acknowledgement_gives_reference_prices_subsidy_and_total(catalogue):
    mail = messages_of(catalogue, PACK_ORDER)[ACKNOWLEDGEMENT]
    text = spaced(mail.get_body(("plain",)).get_content())
    assert mail["To"].addresses[0].addr_spec == "accueil@mairie-pithiviers.example"
    assert mail["Reply-To"].addresses[0].addr_spec == "loiret@example.org"
    assert mail["Auto-Submitted"] == "auto-generated"
    for expected in (
        "20261124T172501Z-3f9a2c1d",
        "499 €",
        "200 €",
        "prise en charge par le Département du Loiret",
        "299 €",
        "2 990 €",
    ):
        assert expected in text


def test_the_welcomer_notification_proposes_welcomers_with_reasons(catalogue):
    text = messages_of(catalogue, WELCOMER_REQUEST)[NOTIFY].get_body(("plain",)).get_content()
    text = spaced(text)
    assert "Welcomers à proposer" in text
    assert "Claire (Orléans) : connaît les écoles" in text


INJECTIONS = [
    "Martin\r\nBcc: evil@example.com",
    "Martin\nBcc: evil@example.com",
    "Martin\u2028Bcc: evil@example.com",
    "=?UTF-8?Q?=0A?=Bcc: evil@example.com",
    "=?utf-8?b?CkJjYzogZXZpbEBleGFtcGxlLmNvbQ==?=",
    "= ?UTF-8?Q?=0D=0A?=Bcc: evil@example.com",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_no_header_can_be_injected_through_a_name(catalogue, name):
    # Straight into compose, past validation (which refuses these names): the last line of defence.
    for form in (WELCOMER_REQUEST, PACK_ORDER):
        for kind, mail in messages_of(catalogue, form, last_name=name, first_name=name).items():
            names = set(mail.keys())
            expected = EXPECTED_HEADERS | ({"Auto-Submitted"} if kind == ACKNOWLEDGEMENT else set())
            assert names == expected
            assert "Bcc" not in names
            assert "\n" not in str(mail["Subject"]) and "\r" not in str(mail["Subject"])
            assert "=?" not in str(mail["Subject"]).replace("\n", "")


@pytest.mark.parametrize("name", INJECTIONS)
def test_validation_refuses_names_that_could_reach_a_header(catalogue, name):
    with pytest.raises(Exception) as refused:
        validate(
            WELCOMER_REQUEST, {**sample_fields(WELCOMER_REQUEST), "last_name": name}, catalogue, NOW
        )
    assert [e.field for e in refused.value.errors] == ["last_name"]


def test_header_text_breaks_encoded_words_and_line_breaks():
    assert header_text("a\r\nb\u2028c") == "a b c"
    assert "=?" not in header_text("x =?utf-8?q?y?= =\t?z")


def test_the_operator_and_the_placements_contact_hear_of_a_request_about_it(catalogue):
    import dataclasses

    loiret = catalogue.get("loiret")
    placement = dataclasses.replace(
        loiret.placements["remplacement-mg-pithiviers"], contact="msp-pithiviers@example.org"
    )
    territory = dataclasses.replace(loiret, placements={placement.id: placement})
    sub = submission(catalogue, WELCOMER_REQUEST)
    mail = parsed(compose(sub, territory, MAIL_FROM, operator_email="ops@example.org")[NOTIFY])
    assert [a.addr_spec for a in mail["To"].addresses] == [
        *loiret.notify,
        "ops@example.org",
        "msp-pithiviers@example.org",
    ]
    order = parsed(
        compose(
            submission(catalogue, PACK_ORDER),
            territory,
            MAIL_FROM,
            operator_email="ops@example.org",
        )[NOTIFY]
    )
    assert "ops@example.org" in [a.addr_spec for a in order["To"].addresses]


def test_an_order_states_its_amounts_excluding_and_including_vat(catalogue):
    mails = messages_of(catalogue, PACK_ORDER, quantity=10)
    for mail in mails.values():
        body = mail.get_body(("plain",)).get_content().replace("\u202f", " ")
        assert "2 990\u00a0€ HT" in body and "3 588\u00a0€ TTC" in body


def test_times_in_e_mails_read_as_the_site_writes_them():
    from forms import french

    morning = dt.datetime(2026, 12, 1, 8, 5, tzinfo=dt.UTC)
    # Paris time, « 9 h 05 » with no-break spaces, on the site as in the e-mails.
    assert french.paris_time(morning) == "1er décembre 2026 à 9\u00a0h\u00a005"
