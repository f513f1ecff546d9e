"""Local mailers (ports.Mailer): `.eml` files in an outbox folder, or a real SMTP server.

Log lines say where each message went (file path or SMTP host), never to whom: addresses are
personal data.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path

from .ports import MailError

log = logging.getLogger("forms")
TRUE = ("1", "true", "yes", "on")


def _label(message: EmailMessage) -> str:
    """ "<submission id> <message kind>", for logs and file names."""
    return (
        f"{message.get('X-Submission-Id', 'sans-id')} {message.get('X-Forms-Message', 'message')}"
    )


class OutboxMailer:
    """Writes each message as `<submission id>-<kind>-<random>.eml` in `directory`."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        """Write the message atomically (a reader never sees half a file)."""
        name = _label(message).replace(" ", "-") + f"-{uuid.uuid4().hex[:8]}.eml"
        path = self.directory / name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_bytes(bytes(message))
            partial.replace(path)
        except OSError as error:
            raise MailError(f"outbox not writable: {error.strerror}") from None
        log.info("e-mail %s written to %s", _label(message), path)


class SMTPMailer:
    """Sends through an SMTP server, with STARTTLS and login when configured."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.timeout = starttls, timeout

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SMTPMailer:
        """From SMTP_HOST, SMTP_PORT (25), SMTP_USER, SMTP_PASSWORD and SMTP_STARTTLS (1/true)."""
        return cls(
            host=env["SMTP_HOST"],
            port=int(env.get("SMTP_PORT") or 25),
            user=env.get("SMTP_USER") or None,
            password=env.get("SMTP_PASSWORD") or None,
            starttls=(env.get("SMTP_STARTTLS") or "").strip().lower() in TRUE,
        )

    def send(self, message: EmailMessage) -> None:
        """One connection per message: simple, and nothing to keep alive between bursts."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # The reason names the failure, not the recipients (SMTP errors may quote them).
            code = getattr(error, "smtp_code", None)
            raise MailError(
                f"SMTP {self.host}:{self.port} refused ({code or type(error).__name__})"
            ) from None
        log.info("e-mail %s sent through SMTP %s:%s", _label(message), self.host, self.port)


def mailer_from_env(outbox: Path | str, env: Mapping[str, str] = os.environ):
    """SMTPMailer when SMTP_HOST is set, else OutboxMailer(outbox)."""
    return SMTPMailer.from_env(env) if env.get("SMTP_HOST") else OutboxMailer(outbox)
