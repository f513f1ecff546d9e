"""`python -m forms.admin --store dynamodb:TABLE` against moto (table from template.yaml)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import boto3
import pytest
from aws_testkit import REGION
from forms.admin.cli import main
from forms.admin.queries import PARIS
from forms.app import App, Settings
from forms.aws.dynamodb_store import idempotency_pk, submission_key
from forms.emails import ACKNOWLEDGEMENT, NOTIFY, job_key
from forms.ports import JOB_PENDING, JOB_SENT, PACK_ORDER, WELCOMER_REQUEST
from forms.submissions import accept
from forms.tokens import new_key
from formskit import MAIL_FROM, sample_fields


@pytest.fixture
def dynamo_app(catalogue, store, clock) -> App:
    return App(catalogue, store, new_key(), clock=clock, settings=Settings(mail_from=MAIL_FROM))


@pytest.fixture
def spec(table) -> str:
    return f"dynamodb:{table}"


def submit(app, form=WELCOMER_REQUEST, key=None, **changes):
    return accept(app, form, {**sample_fields(form), **changes}, key).submission


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def raw_item(table: str, pk: dict) -> dict | None:
    client = boto3.client("dynamodb", region_name=REGION)
    return client.get_item(TableName=table, Key=pk, ConsistentRead=True).get("Item")


def test_list_reads_a_territorys_days_from_the_index(dynamo_app, clock, spec, capsys):
    before = submit(dynamo_app)
    clock.advance(days=1)
    inside = [submit(dynamo_app), submit(dynamo_app, PACK_ORDER)]
    other_territory = submit(dynamo_app, territory="centimes")
    clock.advance(days=1)
    after = submit(dynamo_app)
    day = str(inside[0].received_at.astimezone(PARIS).date())
    status, out, _ = run(
        capsys, "list", "--store", spec, "--territory", "loiret", "--from", day, "--to", day
    )
    assert status == 0
    ids = [line.split()[0] for line in out.splitlines()[1:-1]]
    assert sorted(ids) == sorted(s.id for s in inside)
    assert before.id not in out and after.id not in out and other_territory.id not in out
    assert inside[0].fields["email"] not in out


def test_list_without_territory_covers_every_territory(dynamo_app, spec, monkeypatch, capsys):
    loiret = submit(dynamo_app)
    other = submit(dynamo_app, territory="centimes")
    monkeypatch.setenv("TABLE_NAME", spec.split(":")[1])
    _, out, _ = run(capsys, "list", "--store", "dynamodb", "--form", WELCOMER_REQUEST)
    assert loiret.id in out and other.id in out and "2 demande(s)." in out


def test_export_reads_the_full_items(dynamo_app, spec, capsys):
    welcomer = submit(dynamo_app)
    order = submit(dynamo_app, PACK_ORDER)
    status, out, _ = run(capsys, "export", "--store", spec, "--territory", "loiret")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(out))}
    assert status == 0 and set(rows) == {welcomer.id, order.id}
    assert rows[welcomer.id]["children_ages"] == welcomer.fields["children_ages"]
    assert rows[order.id]["quantity"] == str(order.fields["quantity"])
    assert rows[order.id]["unit_price_eur"] == order.pricing["unit_price_eur"]


def test_erase_removes_the_submissions_and_their_idempotency_items(dynamo_app, table, spec, capsys):
    keyed = submit(dynamo_app, key="cle-navigateur-1")
    shouted = submit(dynamo_app, PACK_ORDER, email="CLAIRE.Martin@EXAMPLE.org")
    kept = submit(dynamo_app, email="paul.durand@example.org", key="cle-navigateur-2")
    idem = {"pk": {"S": idempotency_pk(keyed.form, keyed.territory, "cle-navigateur-1")}}
    assert raw_item(table, idem) is not None
    status, out, _ = run(capsys, "erase", "claire.martin@example.org", "--store", spec, "--yes")
    assert status == 0 and "2 demande(s)" in out
    assert raw_item(table, submission_key(keyed.id)) is None
    assert raw_item(table, submission_key(shouted.id)) is None
    assert raw_item(table, idem) is None
    assert raw_item(table, submission_key(kept.id)) is not None
    kept_idem = {"pk": {"S": idempotency_pk(kept.form, kept.territory, "cle-navigateur-2")}}
    assert raw_item(table, kept_idem) is not None


def test_erase_without_confirmation_keeps_everything(dynamo_app, table, spec, monkeypatch, capsys):
    submission = submit(dynamo_app)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: a script, a pipe
    status, _, err = run(capsys, "erase", submission.fields["email"], "--store", spec)
    assert status == 2 and "--yes" in err
    assert raw_item(table, submission_key(submission.id)) is not None


def job_states(store, submission) -> list[str]:
    """The states of a submission's two e-mail jobs."""
    return [store.get_job(job_key(submission.id, k)).status for k in (NOTIFY, ACKNOWLEDGEMENT)]


def test_resend_sends_the_pending_ones_through_ses(
    dynamo_app, store, spec, ses, catalogue_path, capsys
):
    pending = [submit(dynamo_app), submit(dynamo_app, PACK_ORDER)]
    status, out, _ = run(capsys, "resend", "--store", spec, "--catalogue", str(catalogue_path))
    assert status == 0 and "4 e-mail(s) envoyé(s)" in out
    assert len(ses) == 4
    assert all(job_states(store, s) == [JOB_SENT, JOB_SENT] for s in pending)
    assert store.due_jobs(dt.datetime.now(dt.UTC), 10) == []
    _, out, _ = run(capsys, "list", "--store", spec)
    assert out.count("envoyés") == 2


def test_resend_can_write_to_an_outbox_instead(
    dynamo_app, store, spec, tmp_path, catalogue_path, capsys
):
    submission = submit(dynamo_app)
    outbox = tmp_path / "outbox"
    argv = ["resend", "--store", spec, "--outbox", str(outbox), "--catalogue", str(catalogue_path)]
    run(capsys, *argv)
    assert len(list(outbox.glob(f"{submission.id}-*.eml"))) == 2
    assert job_states(store, submission) == [JOB_SENT, JOB_SENT]


def test_resend_skips_a_submission_another_worker_is_sending(
    dynamo_app, store, spec, tmp_path, catalogue_path, clock, capsys
):
    submission = submit(dynamo_app)
    for kind in (NOTIFY, ACKNOWLEDGEMENT):
        key = job_key(submission.id, kind)
        store.claim_job(key, "stream-mailer", dt.datetime.now(dt.UTC), dt.timedelta(minutes=2))
    outbox = tmp_path / "outbox"
    argv = ["resend", "--store", spec, "--outbox", str(outbox), "--catalogue", str(catalogue_path)]
    _, out, _ = run(capsys, *argv)
    assert "Aucun e-mail en attente." in out and not outbox.exists()  # held: not even tried
    assert job_states(store, submission) == [JOB_PENDING, JOB_PENDING]


def test_failed_and_resend_failed_on_dynamodb(
    dynamo_app, store, spec, tmp_path, catalogue_path, capsys
):
    from forms.delivery import deliver_job
    from formskit import RecordingMailer

    submission = submit(dynamo_app)
    refusing = RecordingMailer(failures=2, permanent=True)
    for kind in (NOTIFY, ACKNOWLEDGEMENT):
        deliver_job(store, refusing, job_key(submission.id, kind), "t", dt.datetime.now(dt.UTC))
    _, out, _ = run(capsys, "failed", "--store", spec)
    assert f"{submission.id}/notify" in out and "2 e-mail(s) en échec" in out
    _, out, _ = run(capsys, "list", "--store", spec)
    assert "en échec" in out
    outbox = tmp_path / "outbox"
    argv = ["resend", "--failed", "--store", spec, "--outbox", str(outbox)]
    status, out, _ = run(capsys, *argv, "--catalogue", str(catalogue_path))
    assert status == 0 and "2 e-mail(s) envoyé(s)" in out
    assert job_states(store, submission) == [JOB_SENT, JOB_SENT]
    assert store.failed_jobs() == []


def test_erase_removes_the_emails_jobs_too(dynamo_app, table, store, spec, capsys):
    mine = submit(dynamo_app)
    kept = submit(dynamo_app, email="paul.durand@example.org")
    status, _, _ = run(capsys, "erase", mine.fields["email"], "--store", spec, "--yes")
    assert status == 0
    assert all(store.get_job(job_key(mine.id, k)) is None for k in (NOTIFY, ACKNOWLEDGEMENT))
    assert job_states(store, kept) == [JOB_PENDING, JOB_PENDING]
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
    assert "claire.martin" not in str(items).lower()


def test_erase_keeps_an_idempotency_item_reused_by_someone_else(dynamo_app, table, spec, capsys):
    leaving = submit(dynamo_app, key="cle-partagee")
    idem = {"pk": {"S": idempotency_pk(leaving.form, leaving.territory, "cle-partagee")}}
    client = boto3.client("dynamodb", region_name=REGION)
    # The key expired after 24 h and another submission took it: it is no longer this person's.
    client.update_item(
        TableName=table,
        Key=idem,
        UpdateExpression="SET submission_id = :other",
        ExpressionAttributeValues={":other": {"S": "20261125T080000Z-0f0f0f0f"}},
    )
    status, _, _ = run(capsys, "erase", leaving.fields["email"], "--store", spec, "--yes")
    assert status == 0
    assert raw_item(table, submission_key(leaving.id)) is None
    assert raw_item(table, idem)["submission_id"]["S"] == "20261125T080000Z-0f0f0f0f"


def test_list_from_a_day_on_without_an_end(dynamo_app, clock, spec, capsys):
    old = submit(dynamo_app)
    clock.advance(days=3)
    recent = submit(dynamo_app)
    day = str(recent.received_at.astimezone(PARIS).date())
    _, out, _ = run(capsys, "list", "--store", spec, "--territory", "loiret", "--from", day)
    assert recent.id in out and old.id not in out
