"""The SMTP path against a real SMTP server (aiosmtpd) listening on a free local port."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from forms.delivery import RETRY, SENT, RetryPolicy, send_due
from forms.mailers import SMTPMailer, mailer_from_env
from forms.ports import EMAIL_PENDING, EMAIL_SENT, PACK_ORDER, MailError
from formskit import call, load_event

from tools.local_site import free_port


class Inbox:
    """An aiosmtpd handler keeping (envelope sender, recipients, message) of each delivery."""

    def __init__(self):
        self.received = []
        self.busy = False  # when True, answer as a server under load: try again later

    async def handle_DATA(self, server, session, envelope):
        if self.busy:
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.original_content, policy=default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == LoginPassword(b"forms", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield controller, inbox
    controller.stop()


def test_an_order_is_sent_over_smtp_to_the_notify_list_and_the_sender(
    forms_app, catalogue, smtp_server
):
    controller, inbox = smtp_server
    status, _, body = call(forms_app, PACK_ORDER, load_event("pack_order_json.json"))
    assert status == 202
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(controller.port),
        "SMTP_USER": "forms",
        "SMTP_PASSWORD": "s3cret",
        "SMTP_STARTTLS": "0",
    }
    mailer = mailer_from_env("unused-outbox", env)
    assert isinstance(mailer, SMTPMailer)
    assert send_due(forms_app.store, mailer, forms_app.clock, "test") == {SENT: 2}
    assert forms_app.store.get(body["id"]).email_status == EMAIL_SENT
    (notify_from, notify_to, notify), (_, ack_to, ack) = sorted(
        inbox.received, key=lambda r: r[2]["X-Forms-Message"] != "notify"
    )
    assert notify_from == "no-reply@territoires.example"
    assert notify_to == list(catalogue.get("loiret").notify)
    assert ack_to == ["accueil@mairie-pithiviers.example"]
    assert notify["Subject"] == "[Loiret] Commande de coffrets — Jean Dupont"
    assert "Bcc" not in notify and "Bcc" not in ack


def test_a_busy_smtp_server_leaves_the_submission_pending_until_a_retry(
    forms_app, catalogue, smtp_server
):
    controller, inbox = smtp_server
    _, _, body = call(forms_app, PACK_ORDER, load_event("pack_order_json.json"))
    mailer = SMTPMailer("127.0.0.1", controller.port, user="forms", password="s3cret")
    inbox.busy = True
    policy = RetryPolicy(first_delay=dt.timedelta(seconds=1))
    assert send_due(forms_app.store, mailer, forms_app.clock, "t", policy) == {RETRY: 2}
    assert forms_app.store.get(body["id"]).email_status == EMAIL_PENDING
    [job] = [j for j in forms_app.store.jobs_of(body["id"]) if j.key.endswith("/notify")]
    assert "451" in job.last_error and "@" not in job.last_error  # the code, no address
    inbox.busy = False
    forms_app.clock.advance(seconds=1)
    assert send_due(forms_app.store, mailer, forms_app.clock, "t", policy) == {SENT: 2}
    assert len(inbox.received) == 2  # the notification and the acknowledgement, once each


def test_an_unreachable_smtp_server_is_a_mail_error():
    with pytest.raises(MailError):
        SMTPMailer("127.0.0.1", free_port(), timeout=2).send(_minimal_message())


def _minimal_message():
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "x"
    message.set_content("x")
    return message


class Crash(BaseException):
    """Stands for the process dying between the SMTP send and its record."""


def test_a_crash_after_an_smtp_send_resends_under_the_same_message_id(
    forms_app, smtp_server, monkeypatch
):
    from forms import delivery

    controller, inbox = smtp_server
    _, _, body = call(forms_app, PACK_ORDER, load_event("pack_order_json.json"))
    mailer = SMTPMailer("127.0.0.1", controller.port, user="forms", password="s3cret")

    def crash(job):
        raise Crash

    monkeypatch.setattr(delivery, "after_send", crash)
    with pytest.raises(Crash):
        send_due(forms_app.store, mailer, forms_app.clock, "dies")
    monkeypatch.setattr(delivery, "after_send", None)
    [first] = inbox.received
    forms_app.clock.advance(minutes=5)  # the dead sender's lease runs out
    assert send_due(forms_app.store, mailer, forms_app.clock, "next") == {SENT: 2}
    assert len(inbox.received) == 3  # the crashed one went twice: a receiver can tell
    ids = [message["Message-ID"] for _, _, message in inbox.received]
    assert ids.count(first[2]["Message-ID"]) == 2 and len(set(ids)) == 2
    assert forms_app.store.get(body["id"]).email_status == EMAIL_SENT


def test_a_recipient_refused_for_good_sets_the_job_aside(forms_app, smtp_server):
    controller, _ = smtp_server

    class RefusesAcknowledgements(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.endswith("mairie-pithiviers.example"):
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    controller.handler = refusing = RefusesAcknowledgements()
    _, _, body = call(forms_app, PACK_ORDER, load_event("pack_order_json.json"))
    mailer = SMTPMailer("127.0.0.1", controller.port, user="forms", password="s3cret")
    from forms.delivery import FAILED

    assert send_due(forms_app.store, mailer, forms_app.clock, "t") == {SENT: 1, FAILED: 1}
    [failed] = forms_app.store.failed_jobs()
    assert failed.key == f"{body['id']}/acknowledgement" and "550" in failed.last_error
    assert "@" not in failed.last_error
    assert len(refusing.received) == 1
