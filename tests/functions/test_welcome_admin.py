"""`python -m forms.admin` for the welcome service: follow-up, digest, statements, report,
registrations, erasure — over the local SQLite store, as the startup's operator runs them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from email import message_from_bytes
from email.policy import default

import pytest
from forms import followup, introductions, registrations
from forms.admin.cli import main
from forms.ports import PACK_ORDER, WELCOMER_REQUEST
from forms.submissions import accept
from forms.validation import validate
from formskit import sample_fields


@pytest.fixture
def admin(forms_app, sqlite_store, catalogue_path, monkeypatch, capsys):
    """Run the command on the app's store, key and catalogue: (status, stdout, stderr)."""
    monkeypatch.setenv("FORM_TOKEN_KEY", forms_app.token_key.decode())
    monkeypatch.setenv("SITE_URL", forms_app.settings.site_url)
    monkeypatch.setenv("OPERATOR_EMAIL", forms_app.settings.operator_email)

    def run(*argv):
        common = ["--store", f"sqlite:{sqlite_store.path}", "--catalogue", str(catalogue_path)]
        status = main([argv[0], *common, *argv[1:]])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def request(app, territory="loir-et-cher", **changes):
    fields = {**sample_fields(WELCOMER_REQUEST), "territory": territory, **changes}
    fields.pop("placement", None)
    return accept(app, WELCOMER_REQUEST, fields).submission


def rows(data: str | bytes) -> list[dict]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return list(csv.DictReader(io.StringIO(text)))


def test_the_follow_up_is_driven_from_the_command_line(forms_app, records, admin):
    r = request(forms_app)
    status, out, _ = admin("followup", "--territory", "loir-et-cher")
    assert status == 0 and r.id in out and "reçue" in out
    assert admin("introduce", r.id, "anne")[0] == 1  # no e-mail for Anne in territory.yaml
    status, out, _ = admin("introduce", r.id, "sophie")
    assert status == 0 and "présentée à un welcomer" in out
    assert len(records.outgoing(f"{r.id}/introduction/sophie/")) == 2
    status, _, err = admin("introduce", r.id, "sophie")
    assert status == 1 and "déjà été présentée" in err
    assert admin("call", r.id, "2")[0] == 1
    assert admin("call", r.id, "1")[0] == 0
    assert records.followup(r.id).calls[0]["by"] == "staff"
    assert admin("settle", r.id)[0] == 0
    status, _, err = admin("close", r.id, "--reason", "other")
    assert status == 1 and "installée" in err
    _, out, _ = admin("followup", "--status", "settled")
    assert r.id in out
    assert admin("settle", "20260101T000000Z-00000000")[0] == 1


def test_the_digest_lists_requests_left_waiting_and_mails_each_territory_once(
    forms_app, records, clock, admin
):
    waiting = request(forms_app)
    introduced = request(forms_app, email="famille2@example.org")
    introductions.act(forms_app, introduced.id, followup.INTRODUCE, welcomer="karim")
    fresh_day = (clock() + dt.timedelta(hours=12)).date().isoformat()
    assert "Aucune demande" in admin("digest", "--today", fresh_day)[1]
    day = (clock() + dt.timedelta(days=2)).date().isoformat()
    status, out, _ = admin("digest", "--today", day)
    assert status == 0 and waiting.id in out and introduced.id not in out  # 7 days to call
    later = (clock() + dt.timedelta(days=9)).date().isoformat()
    assert admin("digest", "--today", later, "--send")[0] == 0
    assert admin("digest", "--today", later, "--send")[0] == 0  # the same day: one e-mail
    sent = dict(records.outgoing("digest/"))
    assert list(sent) == [f"digest/loir-et-cher/{later}"]
    mail = message_from_bytes(sent[f"digest/loir-et-cher/{later}"], policy=default)
    text = mail.get_body(("plain",)).get_content()
    assert waiting.id in text and introduced.id in text and "aucun appel" in text
    assert "Présenter la famille à Sophie" in text and "Enregistrer le 1er appel" in text
    assert "operateur@territoires.example" in [a.addr_spec for a in mail["To"].addresses]


def test_a_statement_bills_each_mission_once_in_the_month_of_its_first_call(
    forms_app, records, clock, admin, tmp_path
):
    families = [request(forms_app, email=f"famille{n}@example.org") for n in range(3)]
    for r in families:
        introductions.act(forms_app, r.id, followup.INTRODUCE, welcomer="sophie")
    clock.now = dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)
    for r in families[:2]:
        introductions.act(forms_app, r.id, followup.CALL, number=1, welcomer="sophie")
    introductions.act(forms_app, families[0].id, followup.CALL, number=2, welcomer="sophie")
    clock.now = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
    introductions.act(forms_app, families[0].id, followup.CALL, number=3, welcomer="sophie")
    introductions.act(forms_app, families[2].id, followup.CALL, number=1, welcomer="sophie")
    status, out, _ = admin("statement", "--month", "2026-11", "-o", str(tmp_path))
    assert status == 0 and "2 famille(s), 3 appel(s), 2 mission(s) facturée(s) : 200 € HT" in out
    november = rows((tmp_path / "releve-loir-et-cher-sophie-2026-11.csv").read_bytes())
    assert november[-1]["montant HT (EUR)"] == "200" and november[0]["siret"] == "54756834567143"
    assert november[0]["famille"] == "Claire M."  # a first name and an initial, no more
    _, out, _ = admin("statement", "--month", "2026-12", "--send")
    # December: family 0's third call (billed in November), family 2's first call.
    assert "2 famille(s), 2 appel(s), 1 mission(s) facturée(s) : 100 € HT" in out
    sent = dict(records.outgoing("statement/"))
    mail = message_from_bytes(sent["statement/loir-et-cher/sophie/2026-12"], policy=default)
    assert mail["To"].addresses[0].addr_spec == "operateur@territoires.example"
    attached = next(mail.iter_attachments())
    assert attached.get_filename() == "releve-loir-et-cher-sophie-2026-12.csv"
    assert rows(attached.get_content())[-1]["montant HT (EUR)"] == "100"
    assert "décembre 2026" in mail["Subject"] and "100" in mail["Subject"]


def test_the_report_counts_each_month_and_draws_them(forms_app, clock, admin, tmp_path):
    request(forms_app)
    r = request(forms_app, email="famille2@example.org")
    accept(forms_app, PACK_ORDER, {**sample_fields(PACK_ORDER), "territory": "loir-et-cher"})
    request(forms_app, website="spam")  # spam counts for nothing
    introductions.act(forms_app, r.id, followup.INTRODUCE, welcomer="sophie")
    clock.now = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    introductions.act(forms_app, r.id, followup.CALL, number=1, welcomer="sophie")
    introductions.act(forms_app, r.id, followup.SETTLE)
    valid = validate(
        "event-registration",
        {**sample_fields("event-registration")},
        forms_app.catalogue,
        clock(),
    )
    forms_app.registrations.register(
        registrations.new_registration(valid, clock()), 40, lambda r: []
    )
    page = tmp_path / "rapport.html"
    status, out, _ = admin(
        "report", "--territory", "loir-et-cher", "--from", "2026-11", "--to", "2027-01",
        "--html", str(page),
    )  # fmt: skip
    assert status == 0
    table = {row["mois"]: row for row in rows(out)}
    assert table["2026-11"]["Demandes reçues"] == "2"
    assert table["2026-11"]["Mises en relation"] == "1"
    assert table["2026-11"]["Commandes de coffrets"] == "1"
    assert table["2026-12"]["Appels des welcomers"] == "1"
    assert table["2026-12"]["Familles installées"] == "1"
    assert table["2026-12"]["Inscriptions aux événements"] == "1"
    assert table["2027-01"]["Demandes reçues"] == "0"
    assert table["total"]["Demandes reçues"] == "2"
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "<table>" in html and "novembre 2026" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no third party
    assert "<script" not in html


def test_the_registrations_of_an_event_as_csv(forms_app, admin, records):
    from formskit import call, json_event

    for n in range(3):
        fields = {
            **sample_fields("event-registration"),
            "territory": "ateliers",
            "event": "deux-places",
            "email": f"inscrit{n}@example.org",
            "message": "=1+1" if n == 2 else "",
        }
        call(forms_app, "event-registration", json_event("event-registration", fields))
    status, out, _ = admin("registrations", "--territory", "ateliers", "--event", "deux-places")
    assert status == 0
    listed = rows(out)
    assert [r["statut"] for r in listed] == ["confirmée", "confirmée", "liste d'attente"]
    assert [r["rang"] for r in listed] == ["1", "2", "3"]
    assert listed[2]["message"] == "'=1+1"  # no formula for the spreadsheet


def test_erasing_an_address_covers_registrations_follow_ups_and_queued_e_mails(
    forms_app, records, admin, sqlite_store
):
    from formskit import call, json_event

    r = request(forms_app, email="lea@example.org")
    introductions.act(forms_app, r.id, followup.INTRODUCE, welcomer="sophie")
    fields = {
        **sample_fields("event-registration"),
        "territory": "ateliers",
        "event": "deux-places",
        "email": "LEA@example.org",
    }
    call(forms_app, "event-registration", json_event("event-registration", fields))
    other = request(forms_app, email="autre@example.org")
    status, out, _ = admin("erase", "lea@example.org", "--yes")
    assert status == 0
    assert "1 inscription(s), 1 suivi(s)" in out
    # Nothing queued is left about her: her request's, her registration's e-mails, and those
    # addressed to her (the staff notice of her registration is about her too).
    assert [key for key, _ in records.outgoing() if not key.startswith(other.id)] == []
    assert sqlite_store.get(r.id) is None and records.followup(r.id) is None
    assert records.registrations_of("lea@example.org") == []
    assert all(b"lea@example.org" not in m.lower() for _, m in records.outgoing())
    assert sqlite_store.get(other.id) is not None
