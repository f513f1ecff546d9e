"""Store, then send: e-mail failures leave submissions pending, retries never send twice."""

from __future__ import annotations

from forms.delivery import deliver, retry_pending
from forms.emails import ACKNOWLEDGEMENT, NOTIFY
from forms.ports import EMAIL_PENDING, EMAIL_SENT, PACK_ORDER, WELCOMER_REQUEST, MailError
from forms.worker import DeliveryWorker
from formskit import (
    MAIL_FROM,
    RecordingMailer,
    call,
    json_event,
    load_event,
    sample_fields,
)

from tools.local_site import wait_until


def accepted(app, form=WELCOMER_REQUEST, **changes):
    """Submit a valid request; returns the stored submission."""
    request = json_event(form, {**sample_fields(form), **changes})
    status, _, body = call(app, form, request)
    assert status == 202
    return app.store.get(body["id"])


def kinds(mailer):
    return [m["X-Forms-Message"] for m in mailer.messages]


def test_a_stored_submission_is_sent_to_the_territory_and_acknowledged(forms_app, catalogue):
    submission = accepted(forms_app)
    mailer = RecordingMailer()
    result = deliver(submission, catalogue, mailer, forms_app.store, MAIL_FROM)
    assert result.status == EMAIL_SENT
    assert kinds(mailer) == [NOTIFY, ACKNOWLEDGEMENT]
    stored = forms_app.store.get(submission.id)
    assert (stored.email_status, stored.emails_sent) == (EMAIL_SENT, [NOTIFY, ACKNOWLEDGEMENT])


def test_a_mail_failure_leaves_the_submission_pending_then_a_retry_sends_it_once(
    forms_app, catalogue
):
    submission = accepted(forms_app, PACK_ORDER)
    failing = RecordingMailer(failures=1)
    assert (
        deliver(submission, catalogue, failing, forms_app.store, MAIL_FROM).status == EMAIL_PENDING
    )
    stored = forms_app.store.get(submission.id)
    assert stored.email_status == EMAIL_PENDING
    assert stored.email_attempts == 1 and stored.last_email_error == "mail service unavailable"
    assert [s.id for s in forms_app.store.pending()] == [submission.id]

    working = RecordingMailer()
    retry_pending(forms_app.store, catalogue, working, MAIL_FROM)
    retry_pending(forms_app.store, catalogue, working, MAIL_FROM)  # nothing left to send
    assert kinds(working) == [NOTIFY, ACKNOWLEDGEMENT]
    assert forms_app.store.pending() == []


class FailsOnAcknowledgement(RecordingMailer):
    def send(self, message):
        if message["X-Forms-Message"] == ACKNOWLEDGEMENT:
            raise MailError("throttled")
        super().send(message)


def test_after_a_partial_failure_only_the_missing_message_is_sent(forms_app, catalogue):
    submission = accepted(forms_app)
    first = FailsOnAcknowledgement()
    deliver(submission, catalogue, first, forms_app.store, MAIL_FROM)
    assert kinds(first) == [NOTIFY]
    assert forms_app.store.get(submission.id).emails_sent == [NOTIFY]

    second = RecordingMailer()
    deliver(submission, catalogue, second, forms_app.store, MAIL_FROM)  # stale object: re-read
    assert kinds(second) == [ACKNOWLEDGEMENT]


def test_delivering_the_same_submission_twice_sends_each_message_once(forms_app, catalogue):
    submission = accepted(forms_app)
    mailer = RecordingMailer()
    for _ in range(3):  # e.g. a stream redelivering the same record
        deliver(submission, catalogue, mailer, forms_app.store, MAIL_FROM)
    assert kinds(mailer) == [NOTIFY, ACKNOWLEDGEMENT]


def test_spam_is_never_mailed(forms_app, catalogue):
    spam = accepted(forms_app, website="http://spam.example")
    mailer = RecordingMailer()
    deliver(spam, catalogue, mailer, forms_app.store, MAIL_FROM)
    retry_pending(forms_app.store, catalogue, mailer, MAIL_FROM)
    assert mailer.messages == []


def test_the_worker_sends_at_once_and_its_sweep_retries_failures(forms_app, catalogue):
    mailer = RecordingMailer(failures=1)
    worker = DeliveryWorker(catalogue, forms_app.store, mailer, MAIL_FROM, retry_every=0.2)
    forms_app.on_stored = worker.submit
    worker.start()
    try:
        call(forms_app, WELCOMER_REQUEST, load_event("welcomer_request_json.json"))
        assert worker.wait_idle(5)
        assert mailer.failures == 0  # the first attempt failed and left the submission pending…
        assert wait_until(lambda: not forms_app.store.pending(), timeout=5)
        assert kinds(mailer) == [NOTIFY, ACKNOWLEDGEMENT]  # …and a sweep sent it, once
    finally:
        worker.stop()


def test_the_worker_retries_at_start_what_a_previous_run_left_pending(forms_app, catalogue):
    submission = accepted(forms_app)  # stored, never delivered (no worker was running)
    mailer = RecordingMailer()
    worker = DeliveryWorker(catalogue, forms_app.store, mailer, MAIL_FROM).start()
    worker.stop()
    assert forms_app.store.get(submission.id).email_status == EMAIL_SENT
    assert len(mailer.messages) == 2
