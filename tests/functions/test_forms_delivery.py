"""E-mail jobs on SQLite: stored with their submission, sent once whatever the retries, races,
crashes or undeliverable neighbours."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from forms.delivery import (
    FAILED,
    RETRY,
    SENT,
    SKIPPED,
    RetryPolicy,
    deliver_job,
    file_name,
    message_id,
    new_job,
    send_due,
)
from forms.emails import ACKNOWLEDGEMENT, NOTIFY, job_key
from forms.local_store import SQLiteStore, enqueue_jobs
from forms.mailers import OutboxMailer
from forms.ports import (
    EMAIL_FAILED,
    EMAIL_PENDING,
    EMAIL_SENT,
    JOB_PENDING,
    JOB_SENT,
    PACK_ORDER,
    WELCOMER_REQUEST,
    MailError,
)
from forms.submissions import adopt_legacy
from forms.worker import DeliveryWorker
from formskit import MAIL_FROM, ROOT, RecordingMailer, call, json_event, sample_fields

from tools.local_site import wait_until

FAST = RetryPolicy(first_delay=dt.timedelta(seconds=1), max_attempts=3)


def accepted(app, form=WELCOMER_REQUEST, **changes):
    """Submit a valid request; returns the stored submission."""
    request = json_event(form, {**sample_fields(form), **changes})
    status, _, body = call(app, form, request)
    assert status == 202
    return app.store.get(body["id"])


def kinds(mailer):
    return [m["X-Forms-Message"] for m in mailer.messages]


def send_all(app, mailer, owner="test", policy=FAST):
    return send_due(app.store, mailer, app.clock, owner, policy)


def test_a_submission_is_stored_with_its_two_jobs_before_any_email(forms_app):
    submission = accepted(forms_app)
    jobs = forms_app.store.jobs_of(submission.id)
    assert [j.key for j in jobs] == [
        job_key(submission.id, ACKNOWLEDGEMENT),
        job_key(submission.id, NOTIFY),
    ]
    assert all(j.status == JOB_PENDING and j.attempts == 0 for j in jobs)
    notify = forms_app.store.get_job(job_key(submission.id, NOTIFY))
    territory = forms_app.catalogue.get("loiret")
    assert notify.recipients == list(territory.notify)
    assert notify.sender == "no-reply@territoires.example"
    assert notify.expires_at == submission.expires_at


def test_due_jobs_are_sent_to_the_territory_and_acknowledged(forms_app):
    submission = accepted(forms_app)
    mailer = RecordingMailer()
    assert send_all(forms_app, mailer) == {SENT: 2}
    assert sorted(kinds(mailer)) == sorted([NOTIFY, ACKNOWLEDGEMENT])
    assert forms_app.store.get(submission.id).email_status == EMAIL_SENT
    sent = forms_app.store.get_job(job_key(submission.id, NOTIFY))
    assert (sent.status, sent.message, sent.sent_at) == (JOB_SENT, b"", forms_app.clock())
    assert send_all(forms_app, mailer) == {}  # nothing left


def test_the_message_id_and_the_outbox_name_derive_from_the_key(forms_app):
    submission = accepted(forms_app)
    key = job_key(submission.id, NOTIFY)
    sent = RecordingMailer()
    send_all(forms_app, sent)
    [notify] = [m for m in sent.messages if m["X-Forms-Message"] == NOTIFY]
    assert notify["Message-ID"] == message_id(key, "territoires.example")
    assert notify["X-Forms-Message-Id"] == notify["Message-ID"]
    assert file_name(key) == f"{submission.id}-notify-{file_name(key)[-12:-4]}.eml"
    assert file_name(key) != file_name(job_key(submission.id, ACKNOWLEDGEMENT))


def test_a_mail_failure_is_retried_with_backoff_and_sent_once(forms_app, clock):
    submission = accepted(forms_app, PACK_ORDER)
    failing = RecordingMailer(failures=2)
    assert send_all(forms_app, failing) == {RETRY: 2}
    job = forms_app.store.get_job(job_key(submission.id, NOTIFY))
    assert (job.status, job.attempts, job.last_error) == (
        JOB_PENDING,
        1,
        "mail service unavailable",
    )
    assert job.next_attempt_at == clock() + FAST.first_delay
    assert forms_app.store.get(submission.id).email_status == EMAIL_PENDING
    working = RecordingMailer()
    assert send_all(forms_app, working) == {}  # not yet due: backoff
    clock.advance(seconds=1)
    assert send_all(forms_app, working) == {SENT: 2}
    clock.advance(hours=1)
    assert send_all(forms_app, working) == {}
    assert sorted(kinds(working)) == sorted([NOTIFY, ACKNOWLEDGEMENT])


def test_backoff_doubles_up_to_its_cap():
    policy = RetryPolicy(dt.timedelta(seconds=30), dt.timedelta(minutes=5), 10)
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_after_a_partial_failure_only_the_missing_message_is_sent(forms_app, clock):
    submission = accepted(forms_app)

    class FailsOnAcknowledgement(RecordingMailer):
        def send(self, job):
            if job.key.endswith(ACKNOWLEDGEMENT):
                raise MailError("throttled")
            super().send(job)

    first = FailsOnAcknowledgement()
    send_all(forms_app, first)
    assert kinds(first) == [NOTIFY]
    clock.advance(minutes=1)
    second = RecordingMailer()
    send_all(forms_app, second)
    assert kinds(second) == [ACKNOWLEDGEMENT]
    assert forms_app.store.get(submission.id).email_status == EMAIL_SENT


def test_delivering_the_same_key_again_sends_nothing(forms_app, clock):
    submission = accepted(forms_app)
    key = job_key(submission.id, NOTIFY)
    mailer = RecordingMailer()
    outcomes = [deliver_job(forms_app.store, mailer, key, "a", clock()) for _ in range(3)]
    assert outcomes == [SENT, SKIPPED, SKIPPED]  # e.g. a stream redelivering the same record
    assert len(mailer.messages) == 1


def test_enqueuing_an_existing_key_is_a_no_op_even_once_sent(forms_app, clock):
    submission = accepted(forms_app)
    send_all(forms_app, RecordingMailer())
    [again] = [
        j for j in forms_app.store.jobs_of(submission.id) if j.key == job_key(submission.id, NOTIFY)
    ]
    again.status, again.message = JOB_PENDING, b"Subject: again\r\n\r\nagain"
    forms_app.store.enqueue([again])
    with forms_app.store.transaction() as db:
        enqueue_jobs(db, [again])
    assert forms_app.store.get_job(again.key).status == JOB_SENT
    assert send_all(forms_app, RecordingMailer()) == {}


def test_spam_has_no_job_and_is_never_mailed(forms_app):
    spam = accepted(forms_app, website="http://spam.example")
    assert forms_app.store.jobs_of(spam.id) == []
    assert send_all(forms_app, RecordingMailer()) == {}


def test_a_permanent_refusal_sets_the_job_aside_at_once(forms_app):
    submission = accepted(forms_app)
    refusing = RecordingMailer(failures=1, permanent=True)
    outcomes = send_all(forms_app, refusing)
    assert outcomes == {FAILED: 1, SENT: 1}
    [failed] = forms_app.store.failed_jobs()
    assert failed.record == submission.id and failed.last_error == "mail service unavailable"
    assert forms_app.store.get(submission.id).email_status == EMAIL_FAILED


def test_too_many_attempts_set_the_job_aside_with_its_reason(forms_app, clock):
    accepted(forms_app)
    mailer = RecordingMailer(failures=99)
    for _ in range(FAST.max_attempts):
        send_all(forms_app, mailer)
        clock.advance(hours=1)
    failed = forms_app.store.failed_jobs()
    assert len(failed) == 2
    assert all(j.last_error.startswith("too many attempts (3)") for j in failed)
    assert send_all(forms_app, mailer) == {}


def test_a_requeued_failed_job_is_sent_once(forms_app, clock):
    submission = accepted(forms_app)
    send_all(forms_app, RecordingMailer(failures=2, permanent=True))
    assert len(forms_app.store.failed_jobs()) == 2
    for job in forms_app.store.failed_jobs():
        assert forms_app.store.requeue_failed(job.key, clock())
        assert not forms_app.store.requeue_failed(job.key, clock())  # pending now, not failed
    mailer = RecordingMailer()
    assert send_all(forms_app, mailer) == {SENT: 2}
    assert forms_app.store.get(submission.id).email_status == EMAIL_SENT


def test_a_hundred_undeliverable_jobs_do_not_block_the_next_good_one(forms_app, clock):
    for number in range(100):
        accepted(forms_app, email=f"refused-{number}@example.org")
    good = accepted(forms_app, email="good@example.org")

    class RefusesSome(RecordingMailer):
        def send(self, job):
            if any(r.startswith("refused-") for r in job.recipients):
                raise MailError("SMTP refused the recipients (550)", permanent=True)
            super().send(job)

    mailer = RefusesSome()
    counts = send_all(forms_app, mailer)
    assert counts == {FAILED: 100, SENT: 102}  # 101 notifications, 1 acknowledgement
    assert forms_app.store.get(good.id).email_status == EMAIL_SENT
    assert [job.recipients for job in mailer.jobs if job.key.endswith(ACKNOWLEDGEMENT)] == [
        ["good@example.org"]
    ]


def test_a_backlog_drains_in_one_pass_however_long(forms_app):
    for number in range(130):  # 260 jobs: more than five batches of 50
        accepted(forms_app, email=f"person-{number}@example.org")
    assert send_all(forms_app, RecordingMailer()) == {SENT: 260}


def test_only_one_of_two_claims_wins_until_the_lease_runs_out(forms_app, clock):
    submission = accepted(forms_app)
    key = job_key(submission.id, NOTIFY)
    lease = dt.timedelta(seconds=60)
    assert forms_app.store.claim_job(key, "a", clock(), lease) is not None
    assert forms_app.store.claim_job(key, "b", clock(), lease) is None
    assert forms_app.store.due_jobs(clock(), 10) == [job_key(submission.id, ACKNOWLEDGEMENT)]
    later = clock() + 2 * lease  # "a" crashed: its lease ran out
    job = forms_app.store.claim_job(key, "b", later, lease)
    assert job is not None and job.attempts == 2
    forms_app.store.job_sent(key, "a", later)  # "a" lost the job: its record is ignored
    assert forms_app.store.get_job(key).status == JOB_PENDING


def test_two_senders_racing_over_one_backlog_send_each_job_once(forms_app, tmp_path):
    for number in range(60):
        accepted(forms_app, email=f"person-{number}@example.org")
    seen: list[str] = []

    class SlowMailer(RecordingMailer):
        def send(self, job):
            time.sleep(0.001)
            seen.append(job.key)

    def run(owner):
        store = SQLiteStore(forms_app.store.path)  # its own connections, as another process
        send_due(store, SlowMailer(), forms_app.clock, owner, FAST)
        store.close()

    threads = [threading.Thread(target=run, args=(f"sender-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) == 120 and len(set(seen)) == 120


# --- A crash between sending and recording. ------------------------------------------------

CRASHING_SENDER = """
import os, signal, sys
from forms import delivery
from forms.app import utc_now
from forms.local_store import SQLiteStore
from forms.mailers import OutboxMailer
store_path, outbox, crash = sys.argv[1:]
if crash == "crash":
    delivery.after_send = lambda job: os.kill(os.getpid(), signal.SIGKILL)
store = SQLiteStore(store_path)
print(dict(delivery.send_due(store, OutboxMailer(outbox), utc_now, "crashing")), flush=True)
"""


def run_sender(store_path, outbox, crash: bool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_SENDER,
            str(store_path),
            str(outbox),
            str(crash and "crash"),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_sender_killed_after_sending_leaves_one_file_and_the_resend_overwrites_it(
    tmp_path, catalogue, sqlite_store
):
    from forms.app import App, Settings, utc_now
    from forms.tokens import new_key

    app = App(catalogue, sqlite_store, new_key(), settings=Settings(mail_from=MAIL_FROM))
    submission = accepted(app)
    outbox = tmp_path / "outbox"
    crashed = run_sender(sqlite_store.path, outbox, crash=True)
    assert crashed.returncode == -9  # SIGKILL, right after writing the first .eml
    [written] = outbox.glob("*.eml")
    first_bytes = written.read_bytes()
    key = next(
        k
        for k in (job_key(submission.id, NOTIFY), job_key(submission.id, ACKNOWLEDGEMENT))
        if file_name(k) == written.name
    )
    assert sqlite_store.get_job(key).status == JOB_PENDING  # sent, but never recorded
    # The next sender waits for the dead one's lease, then sends it again: same file.
    with sqlite3.connect(sqlite_store.path) as db:
        db.execute(
            "UPDATE email_jobs SET lease_until = ?",
            ((utc_now() - dt.timedelta(seconds=1)).isoformat(),),
        )
    resumed = run_sender(sqlite_store.path, outbox, crash=False)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(p.name for p in outbox.iterdir()) == sorted(
        file_name(job_key(submission.id, kind)) for kind in (NOTIFY, ACKNOWLEDGEMENT)
    )
    assert written.read_bytes() == first_bytes  # the same message, Message-ID included
    assert sqlite_store.get(submission.id).email_status == EMAIL_SENT


def test_stale_part_files_are_cleaned_and_fresh_ones_kept(tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    stale, fresh = outbox / ".a.eml.1234.part", outbox / ".b.eml.5678.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert OutboxMailer(outbox).clean_partial() == 1
    assert not stale.exists() and fresh.exists()


def test_an_unwritable_outbox_is_a_retried_mail_error_and_leaves_no_part_file(
    forms_app, tmp_path, clock
):
    accepted(forms_app)
    outbox = tmp_path / "outbox"
    outbox.write_text("")  # a file where the folder should be: nothing can be written
    assert send_all(forms_app, OutboxMailer(outbox)) == {RETRY: 2}
    outbox.unlink()
    assert list(tmp_path.glob("**/*.part")) == []
    clock.advance(seconds=1)
    assert send_all(forms_app, OutboxMailer(outbox)) == {SENT: 2}
    assert len(list(outbox.glob("*.eml"))) == 2


# --- Databases of the first release. --------------------------------------------------------

FIRST_RELEASE_SCHEMA = """
CREATE TABLE submissions (
    id TEXT PRIMARY KEY, form TEXT NOT NULL, territory TEXT NOT NULL, received_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, fields TEXT NOT NULL, pricing TEXT, idempotency_key TEXT,
    email_status TEXT NOT NULL, emails_sent TEXT NOT NULL,
    email_attempts INTEGER NOT NULL DEFAULT 0, last_email_error TEXT
);
"""


def first_release_db(path, rows):
    """A var/submissions.sqlite3 as the first release left it."""
    with sqlite3.connect(path) as db:
        db.executescript(FIRST_RELEASE_SCHEMA)
        for number, (territory, status, sent) in enumerate(rows):
            fields = {**sample_fields(WELCOMER_REQUEST), "territory": territory}
            fields.pop("website"), fields.pop("started_at", None)
            db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, 1, NULL)",
                (
                    f"20261120T1000{number:02d}Z-{number:08x}"[:25],
                    WELCOMER_REQUEST,
                    territory,
                    "2026-11-20T10:00:00+00:00",
                    "2029-11-20T10:00:00+00:00",
                    json.dumps(fields),
                    status,
                    json.dumps(sent),
                ),
            )


def test_a_first_release_database_opens_and_its_pending_rows_are_sent_once(tmp_path, catalogue):
    path = tmp_path / "submissions.sqlite3"
    first_release_db(
        path, [("loiret", "pending", ["notify"]), ("loiret", "sent", ["notify", "acknowledgement"])]
    )
    store = SQLiteStore(path)
    assert len(store.all()) == 2
    [pending] = store.legacy_pending()
    assert adopt_legacy(store, catalogue, MAIL_FROM) == 1
    assert store.legacy_pending() == []
    mailer = RecordingMailer()
    send_due(store, mailer, lambda: dt.datetime.now(dt.UTC), "t", FAST)
    assert kinds(mailer) == [ACKNOWLEDGEMENT]  # the notification went out before the upgrade
    assert store.get(pending.id).email_status == EMAIL_SENT


def test_a_hundred_rows_of_a_territory_gone_do_not_block_the_next_one(tmp_path, catalogue):
    path = tmp_path / "submissions.sqlite3"
    first_release_db(path, [("disparu", "pending", [])] * 100 + [("loiret", "pending", [])])
    store = SQLiteStore(path)
    assert adopt_legacy(store, catalogue, MAIL_FROM, limit=10) == 101
    mailer = RecordingMailer()
    send_due(store, mailer, lambda: dt.datetime.now(dt.UTC), "t", FAST)
    assert sorted(kinds(mailer)) == sorted([NOTIFY, ACKNOWLEDGEMENT])
    failed = store.failed_legacy()
    assert len(failed) == 100
    assert {s.last_email_error for s in failed} == {"territory missing from the catalogue"}


# --- The worker. ----------------------------------------------------------------------------


def test_the_worker_sends_at_once_and_retries_failures(forms_app, catalogue):
    mailer = RecordingMailer(failures=1)
    worker = DeliveryWorker(
        forms_app.store, mailer, catalogue, MAIL_FROM, policy=FAST, poll_every=0.1
    )
    forms_app.wake_delivery = worker.wake
    worker.start()
    try:
        submission = accepted(forms_app)
        forms_app.clock.advance(seconds=2)  # the app's clock: the retry falls due
        assert wait_until(
            lambda: forms_app.store.get(submission.id).email_status == EMAIL_SENT, timeout=10
        )
        assert sorted(kinds(mailer)) == sorted([NOTIFY, ACKNOWLEDGEMENT])  # once each
    finally:
        worker.stop()


def test_the_worker_first_gives_their_jobs_to_first_release_rows(tmp_path, catalogue):
    path = tmp_path / "submissions.sqlite3"
    first_release_db(path, [("loiret", "pending", [])])
    store = SQLiteStore(path)
    mailer = RecordingMailer()
    worker = DeliveryWorker(store, mailer, catalogue, MAIL_FROM).start()
    assert worker.wait_idle(10)
    worker.stop()
    assert len(mailer.messages) == 2
    assert [s.email_status for s in store.all()] == [EMAIL_SENT]


def test_new_job_needs_a_sender_and_a_recipient(clock):
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "x"
    with pytest.raises(ValueError):
        new_job("k", message, "r", clock(), clock())
