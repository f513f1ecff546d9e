"""The SMTP path against a real SMTP server (aiosmtpd) listening on a free local port."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from forms.delivery import deliver, retry_pending
from forms.mailers import SMTPMailer, mailer_from_env
from forms.ports import EMAIL_PENDING, EMAIL_SENT, PACK_ORDER, MailError
from formskit import MAIL_FROM, call, load_event

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
    result = deliver(forms_app.store.get(body["id"]), catalogue, mailer, forms_app.store, MAIL_FROM)
    assert result.status == EMAIL_SENT
    (notify_from, notify_to, notify), (_, ack_to, ack) = inbox.received
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
    result = deliver(forms_app.store.get(body["id"]), catalogue, mailer, forms_app.store, MAIL_FROM)
    assert result.status == EMAIL_PENDING
    assert "451" in forms_app.store.get(body["id"]).last_email_error  # the code, no address
    inbox.busy = False
    assert [r.status for r in retry_pending(forms_app.store, catalogue, mailer, MAIL_FROM)] == [
        EMAIL_SENT
    ]
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
