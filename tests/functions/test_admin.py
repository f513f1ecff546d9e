"""`python -m forms.admin` over the local SQLite store, as an operator runs it."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import pty
import sqlite3
import subprocess
import sys
from email import message_from_bytes

import pytest
from forms.admin.cli import main
from forms.admin.queries import PARIS
from forms.catalogue import load_catalogue
from forms.delivery import deliver_job
from forms.local_store import SQLiteStore
from forms.mailers import OutboxMailer, SMTPMailer
from forms.ports import EMAIL_PENDING, EMAIL_SENT, PACK_ORDER, WELCOMER_REQUEST
from forms.submissions import accept
from forms.worker import DeliveryWorker
from formskit import ROOT, RecordingMailer, sample_fields

from tools.local_site import wait_until


@pytest.fixture
def store_spec(sqlite_store) -> str:
    return f"sqlite:{sqlite_store.path}"


@pytest.fixture
def outbox(tmp_path, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    return tmp_path / "outbox"


def submit(app, form=WELCOMER_REQUEST, key=None, **changes):
    """Store one valid submission of `form` at the app's clock time; returns it."""
    return accept(app, form, {**sample_fields(form), **changes}, key).submission


def run(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of the command."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def csv_rows(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


# --- list -----------------------------------------------------------------------------------


def test_list_shows_the_days_chosen_in_paris_time(forms_app, clock, store_spec, capsys):
    before = submit(forms_app)
    clock.advance(days=1)
    inside = submit(forms_app, PACK_ORDER)
    clock.advance(days=1)
    after = submit(forms_app)
    day = inside.received_at.astimezone(PARIS).date()
    status, out, _ = run(
        capsys, "list", "--store", store_spec, "--from", str(day), "--to", str(day)
    )
    assert status == 0
    assert inside.id in out and before.id not in out and after.id not in out
    assert "1 demande(s)." in out


def test_list_filters_by_territory_and_form(forms_app, store_spec, capsys):
    welcomer = submit(forms_app)
    order = submit(forms_app, PACK_ORDER)
    other = submit(forms_app, territory="centimes")
    _, out, _ = run(capsys, "list", "--store", store_spec, "--territory", "loiret")
    assert welcomer.id in out and order.id in out and other.id not in out
    _, out, _ = run(capsys, "list", "--store", store_spec, "--form", PACK_ORDER)
    assert order.id in out and welcomer.id not in out and other.id not in out


def send_jobs_of(app, submission, mailer):
    """Send one submission's e-mails now (its jobs only)."""
    for job in app.store.jobs_of(submission.id):
        deliver_job(app.store, mailer, job.key, "test", app.clock())


def test_list_shows_status_but_no_personal_data(forms_app, sqlite_store, store_spec, capsys):
    sent = submit(forms_app)
    send_jobs_of(forms_app, sent, RecordingMailer())
    pending = submit(forms_app)
    failed = submit(forms_app)
    send_jobs_of(forms_app, failed, RecordingMailer(failures=1, permanent=True))
    _, out, _ = run(capsys, "list", "--store", store_spec)
    lines = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert "envoyés" in lines[sent.id] and "en attente" in lines[pending.id]
    assert "en échec" in lines[failed.id]
    for value in (sent.fields["email"], sent.fields["last_name"], sent.fields["phone"]):
        assert value not in out


# --- export ---------------------------------------------------------------------------------


def test_export_has_a_column_per_validated_field_and_the_prices(forms_app, store_spec, capsys):
    welcomer = submit(forms_app)
    order = submit(forms_app, PACK_ORDER)
    status, out, _ = run(capsys, "export", "--store", store_spec)
    assert status == 0
    rows = {row["id"]: row for row in csv_rows(out)}
    assert set(rows) == {welcomer.id, order.id}
    assert rows[welcomer.id]["email"] == welcomer.fields["email"]
    assert rows[welcomer.id]["interests"] == ", ".join(welcomer.fields["interests"])
    assert rows[welcomer.id]["consent"] == "oui"
    assert rows[order.id]["siret"] == order.fields["siret"]
    assert rows[order.id]["total_eur"] == order.pricing["total_eur"]
    assert rows[order.id]["profession"] == ""  # a welcomer's field, empty for an order
    assert "website" not in rows[order.id] and "started_at" not in rows[order.id]


def test_export_of_one_form_has_only_its_fields(forms_app, store_spec, capsys):
    submit(forms_app)
    order = submit(forms_app, PACK_ORDER)
    _, out, _ = run(capsys, "export", "--store", store_spec, "--form", PACK_ORDER)
    rows = csv_rows(out)
    assert [row["id"] for row in rows] == [order.id]
    assert "profession" not in rows[0] and "children_ages" not in rows[0]


def test_export_for_excel_to_a_file_has_a_bom_and_semicolons(
    forms_app, store_spec, tmp_path, capsys
):
    order = submit(forms_app, PACK_ORDER, organisation="Mairie d'Orléans; service santé")
    target = tmp_path / "commandes.csv"
    status, out, err = run(
        capsys, "export", "--store", store_spec, "--excel", "--output", str(target)
    )
    data = target.read_bytes()
    assert status == 0 and out == "" and str(target) in err
    assert data.startswith("\ufeff".encode())
    rows = csv_rows(data.decode("utf-8-sig"), delimiter=";")
    assert rows[0]["organisation"] == order.fields["organisation"]
    assert rows[0]["city"] == order.fields["city"]


def test_export_neutralises_formulas_but_keeps_phone_numbers(forms_app, store_spec, capsys):
    submission = submit(forms_app, message='=HYPERLINK("http://x.example")')
    _, out, _ = run(capsys, "export", "--store", store_spec)
    row = csv_rows(out)[0]
    assert row["message"] == "'" + submission.fields["message"]
    assert row["phone"] == submission.fields["phone"] and row["phone"].startswith("+")


# --- erase ----------------------------------------------------------------------------------


def test_erase_deletes_every_submission_of_the_address_whatever_its_case(
    forms_app, sqlite_store, store_spec, outbox, capsys
):
    first = submit(forms_app, key="essai-1")
    second = submit(forms_app, PACK_ORDER, email="Claire.MARTIN@example.org")
    someone_else = submit(forms_app, email="paul.durand@example.org")
    outbox.mkdir()
    (outbox / f"{first.id}-notify-0a1b2c3d.eml").write_text("copie")
    (outbox / f"{someone_else.id}-notify-0a1b2c3d.eml").write_text("copie")
    status, out, _ = run(
        capsys,
        "erase",
        "CLAIRE.martin@example.org",
        "--store",
        store_spec,
        "--outbox",
        str(outbox),
        "--yes",
    )
    assert status == 0
    assert "2 demande(s)" in out and first.id in out and second.id in out
    assert sqlite_store.get(first.id) is None and sqlite_store.get(second.id) is None
    assert sqlite_store.get(someone_else.id) is not None
    assert [p.name.split("-notify")[0] for p in outbox.iterdir()] == [someone_else.id]
    assert sqlite_store.jobs_of(first.id) == [] and sqlite_store.jobs_of(second.id) == []
    assert len(sqlite_store.jobs_of(someone_else.id)) == 2
    # The idempotency key went with the row: the same key is free again.
    again = submit(forms_app, key="essai-1")
    assert again.id != first.id


def test_erase_covers_the_emails_jobs_and_their_outbox_files(
    forms_app, sqlite_store, store_spec, outbox, capsys
):
    mine = submit(forms_app)
    send_jobs_of(forms_app, mine, OutboxMailer(outbox))
    assert len(list(outbox.glob("*.eml"))) == 2
    other = submit(forms_app, email="paul.durand@example.org")
    # An e-mail of another flow addressed to the same person, about another record.
    [stray] = sqlite_store.jobs_of(other.id)[:1]
    stray.key, stray.record, stray.recipients = (
        "alert/s-1/abc",
        "s-1",
        ["claire.martin@example.org"],
    )
    sqlite_store.enqueue([stray])
    status, _, _ = run(
        capsys,
        "erase",
        mine.fields["email"],
        "--store",
        store_spec,
        "--outbox",
        str(outbox),
        "--yes",
    )
    assert status == 0
    assert sqlite_store.jobs_of(mine.id) == [] and sqlite_store.get_job(stray.key) is None
    assert list(outbox.glob("*.eml")) == []
    assert len(sqlite_store.jobs_of(other.id)) == 2
    with sqlite3.connect(sqlite_store.path) as db:
        dump = "\n".join(db.iterdump())
    assert "claire.martin" not in dump.lower()


def test_erase_without_a_terminal_nor_yes_erases_nothing(forms_app, sqlite_store, store_spec):
    submission = submit(forms_app)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "forms.admin",
            "erase",
            submission.fields["email"],
            "--store",
            store_spec,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions")},
        timeout=30,
    )
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert sqlite_store.get(submission.id) is not None


def answer_on_a_terminal(argv: list[str], answer: str) -> tuple[int, str]:
    """Run the command with a real terminal as its stdin, typing `answer` at the prompt."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "forms.admin", *argv],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions")},
    )
    os.close(follower)
    os.write(leader, answer.encode() + b"\n")
    out, _ = process.communicate(timeout=30)
    os.close(leader)
    return process.returncode, out.decode()


@pytest.mark.parametrize(("answer", "erased"), [("oui", True), ("non", False)])
def test_erase_asks_on_a_terminal_and_only_oui_erases(
    forms_app, sqlite_store, store_spec, answer, erased
):
    submission = submit(forms_app)
    status, out = answer_on_a_terminal(
        ["erase", submission.fields["email"], "--store", store_spec], answer
    )
    assert "Effacer définitivement" in out
    assert (sqlite_store.get(submission.id) is None) is erased
    assert status == (0 if erased else 1)


def test_erase_of_an_unknown_address_says_so(forms_app, store_spec, capsys):
    submit(forms_app)
    status, out, _ = run(capsys, "erase", "personne@example.org", "--store", store_spec)
    assert status == 0 and "Aucune demande" in out


# --- resend ---------------------------------------------------------------------------------


def resend_args(store_spec, outbox, catalogue_path, *extra) -> list[str]:
    return [
        "resend",
        "--store",
        store_spec,
        "--outbox",
        str(outbox),
        "--catalogue",
        str(catalogue_path),
        *extra,
    ]


def test_resend_sends_pending_emails_once_through_the_outbox(
    forms_app, sqlite_store, store_spec, outbox, catalogue_path, capsys
):
    pending = [submit(forms_app), submit(forms_app, PACK_ORDER)]
    spam = submit(forms_app, website="http://spam.example")
    argv = resend_args(store_spec, outbox, catalogue_path)
    status, out, _ = run(capsys, *argv)
    assert status == 0 and "4 e-mail(s) envoyé(s)" in out
    assert sorted(p.name.split("-", 2)[2].split("-")[0] for p in outbox.iterdir()) == sorted(
        ["acknowledgement", "notify"] * 2
    )
    assert all(sqlite_store.get(s.id).email_status == EMAIL_SENT for s in pending)
    assert not list(outbox.glob(f"{spam.id}-*"))
    status, out, _ = run(capsys, *argv)
    assert "Aucun e-mail en attente." in out and len(list(outbox.iterdir())) == 4


def test_resend_keeps_a_submission_pending_when_the_mail_fails(
    forms_app, sqlite_store, store_spec, tmp_path, catalogue_path, capsys, monkeypatch
):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the outbox cannot be created: every send fails
    submission = submit(forms_app)
    status, out, _ = run(capsys, *resend_args(store_spec, blocked, catalogue_path))
    assert status == 1 and "2 toujours en attente" in out
    assert sqlite_store.get(submission.id).email_status == EMAIL_PENDING


def test_failed_lists_the_undeliverable_emails_and_resend_failed_sends_them_once(
    forms_app, sqlite_store, store_spec, outbox, catalogue_path, capsys
):
    submission = submit(forms_app)
    send_jobs_of(forms_app, submission, RecordingMailer(failures=2, permanent=True))
    status, out, _ = run(capsys, "failed", "--store", store_spec)
    assert status == 0 and f"{submission.id}/notify" in out and "2 e-mail(s) en échec" in out
    assert "mail service unavailable" in out and submission.fields["email"] not in out
    status, out, _ = run(capsys, *resend_args(store_spec, outbox, catalogue_path))
    assert "Aucun e-mail en attente." in out  # failed ones wait for --failed
    status, out, _ = run(capsys, *resend_args(store_spec, outbox, catalogue_path, "--failed"))
    assert status == 0 and "2 e-mail(s) en échec remis en file" in out
    assert "2 e-mail(s) envoyé(s)" in out and len(list(outbox.glob("*.eml"))) == 2
    assert sqlite_store.failed_jobs() == []
    _, out, _ = run(capsys, "failed", "--store", store_spec)
    assert "Aucun e-mail en échec." in out


def test_resend_racing_the_servers_worker_sends_each_email_once(
    forms_app, sqlite_store, store_spec, catalogue, catalogue_path, tmp_path
):
    from aiosmtpd.controller import Controller

    from tools.local_site import free_port

    received: list[str] = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.02)  # a real server's pace: both senders overlap
            received.append(message_from_bytes(envelope.content)["Message-ID"])
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        for number in range(40):
            submit(forms_app, email=f"person-{number}@example.org")
        worker = DeliveryWorker(
            SQLiteStore(sqlite_store.path), SMTPMailer("127.0.0.1", controller.port)
        )
        admin = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "forms.admin",
                *resend_args(store_spec, tmp_path / "o", catalogue_path),
            ],
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT / "functions"),
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(controller.port),
            },
            stdout=subprocess.PIPE,
            text=True,
        )
        assert wait_until(lambda: received, timeout=30)  # the resend is under way…
        worker.start()  # …when the server's worker starts on the same backlog
        out, _ = admin.communicate(timeout=120)
        assert worker.wait_idle(60)
        worker.stop()
    finally:
        controller.stop()
    assert len(received) == 80 and len(set(received)) == 80, out
    by_resend = int(out.split(" e-mail(s) envoyé(s)")[0].split()[-1])
    assert 0 < by_resend < 80  # both sent part of the backlog
    assert all(s.email_status == EMAIL_SENT for s in sqlite_store.all())


def test_resend_gives_first_release_rows_their_emails_and_sets_aside_a_territory_gone(
    tmp_path, outbox, catalogue_path, capsys
):
    from test_forms_delivery import first_release_db

    path = tmp_path / "old.sqlite3"
    first_release_db(path, [("disparu", "pending", []), ("loiret", "pending", ["notify"])])
    status, out, _ = run(capsys, *resend_args(f"sqlite:{path}", outbox, catalogue_path))
    assert status == 0 and "1 e-mail(s) envoyé(s)" in out
    _, out, _ = run(capsys, "failed", "--store", f"sqlite:{path}")
    assert "/*" in out and "territory missing from the catalogue" in out


# --- expiring -------------------------------------------------------------------------------


def test_expiring_lists_placements_ending_within_the_days_per_territory(catalogue_path, capsys):
    catalogue = load_catalogue(catalogue_path)
    ends = sorted(
        (dt.date.fromisoformat(p.end or p.start), slug, p.id)
        for slug, t in catalogue.territories.items()
        for p in t.placements.values()
    )
    last_day, slug, soonest = ends[0]
    later = [pid for day, _, pid in ends if (day - last_day).days > 5]
    today = last_day - dt.timedelta(days=3)
    status, out, _ = run(
        capsys, "expiring", "--catalogue", str(catalogue_path), "--today", str(today), "--days", "5"
    )
    assert status == 0
    assert soonest in out and "dans 3 jours" in out
    assert catalogue.get(slug).contact_email in out
    assert later and not any(pid in out for pid in later)


def test_expiring_with_nothing_due_says_so(catalogue_path, capsys):
    data = json.loads(catalogue_path.read_text(encoding="utf-8"))
    first_start = min(
        p["start"] for t in data["territories"].values() for p in t["placements"].values()
    )
    today = dt.date.fromisoformat(first_start) - dt.timedelta(days=30)
    _, out, _ = run(capsys, "expiring", "--catalogue", str(catalogue_path), "--today", str(today))
    assert "Aucune offre ne se termine" in out


def test_a_missing_local_store_is_a_clear_error(tmp_path, capsys):
    status, _, err = run(capsys, "list", "--store", f"sqlite:{tmp_path / 'absent.sqlite3'}")
    assert status == 1 and "n'existe pas" in err


def test_expiring_of_one_territory_leaves_the_others_out(catalogue_path, capsys):
    catalogue = load_catalogue(catalogue_path)
    slug = "loiret"
    mine = catalogue.get(slug).placements
    others = [p for t in catalogue.territories.values() for p in t.placements if p not in mine]
    _, out, _ = run(
        capsys,
        "expiring",
        "--catalogue",
        str(catalogue_path),
        "--territory",
        slug,
        "--days",
        "36500",
    )
    assert all(pid in out for pid in mine)
    assert others and not any(pid in out for pid in others)
