"""Local mailers (ports.Mailer): `.eml` files in an outbox folder, or a real SMTP server.

Log lines say where each message went (file path or SMTP host), never to whom: addresses are
personal data.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from .delivery import file_name
from .ports import EmailJob, MailError

log = logging.getLogger("forms")
TRUE = ("1", "true", "yes", "on")
PARTIAL = ".part"


class OutboxMailer:
    """Writes each job's message as `directory/<file_name(key)>`: a re-send overwrites it."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    def path_of(self, key: str) -> Path:
        """Where the message of job `key` is (or will be) written."""
        return self.directory / file_name(key)

    def send(self, job: EmailJob) -> None:
        """Write the message to a unique .part file, then rename it: a reader never sees half
        a file, and two writers of one key (a crash, then a re-send) leave one whole file."""
        path = self.path_of(job.key)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{PARTIAL}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            replaced = path.exists()
            partial.write_bytes(job.message)
            partial.replace(path)
        except OSError as error:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise MailError(f"outbox not writable: {error.strerror}") from None
        # "replaced": the same message again (a crash after writing, before recording).
        log.info("e-mail %s written to %s%s", job.key, path, " (replaced)" if replaced else "")

    def clean_partial(self, older_than: float = 60.0) -> int:
        """Delete .part files left by a crash (older than `older_than` seconds: not in use)."""
        if not self.directory.is_dir():
            return 0
        limit, removed = time.time() - older_than, 0
        for path in self.directory.glob(f".*{PARTIAL}"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed


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

    def send(self, job: EmailJob) -> None:
        """One connection per message: simple, and nothing to keep alive between bursts."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.sendmail(job.sender, job.recipients, job.message)
        except smtplib.SMTPRecipientsRefused as error:
            # Every recipient refused: permanent when all codes are 5xx (no such mailbox…).
            codes = sorted({code for code, _ in error.recipients.values()})
            listed = ", ".join(map(str, codes))
            raise MailError(
                f"SMTP {self.host}:{self.port} refused the recipients ({listed})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            # The reason names the failure, not the recipients (SMTP errors may quote them).
            code = getattr(error, "smtp_code", None)
            raise MailError(
                f"SMTP {self.host}:{self.port} refused ({code or type(error).__name__})",
                permanent=isinstance(code, int) and code >= 500 and not _auth_or_sender(error),
            ) from None
        log.info("e-mail %s sent through SMTP %s:%s", job.key, self.host, self.port)


def _auth_or_sender(error: smtplib.SMTPException) -> bool:
    """A refused login or sender is our configuration, not the message: retried, not dropped."""
    return isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused)


def mailer_from_env(outbox: Path | str, env: Mapping[str, str] = os.environ):
    """SMTPMailer when SMTP_HOST is set, else OutboxMailer(outbox)."""
    return SMTPMailer.from_env(env) if env.get("SMTP_HOST") else OutboxMailer(outbox)
