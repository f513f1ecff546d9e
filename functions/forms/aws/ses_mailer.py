"""Mailer over Amazon SES (API v2), sending the core's messages as raw MIME."""

from __future__ import annotations

import os
from email import message_from_bytes
from email.policy import SMTP
from email.utils import parseaddr

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..ports import EmailJob, MailError

# A few quick tries: SES throttling is usually over in a second; beyond that the submission
# stays pending and the stream retries or the sweeper take over, with no Lambda time wasted.
# SES asks for non-ASCII content to be encoded: 8-bit UTF-8 parts are re-encoded (base64) so
# the message is 7-bit clean, lines well under RFC 5321's 1,000 characters.
SEVEN_BIT = SMTP.clone(cte_type="7bit")
# Refusals of the message itself: retrying sends the same bytes, refused the same way.
PERMANENT = {"MessageRejected", "BadRequestException"}
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=10
)


class SESMailer:
    """Hands each message to SES; any refusal or outage becomes ports.MailError."""

    def __init__(
        self, mail_from: str | None = None, sesv2_client=None, configuration_set: str | None = None
    ):
        # The envelope sender SES checks against the identity (and the IAM ses:FromAddress).
        self.mail_from = parseaddr(mail_from or os.environ.get("MAIL_FROM", ""))[1] or None
        self.configuration_set = configuration_set or os.environ.get("SES_CONFIGURATION_SET")
        self._client = sesv2_client

    @property
    def client(self):
        """The SES v2 client, created on first use (never at import time)."""
        if self._client is None:
            self._client = boto3.client("sesv2", config=CLIENT_CONFIG)
        return self._client

    @staticmethod
    def seven_bit(data: bytes) -> bytes:
        """The message re-encoded 7-bit clean when it has 8-bit parts (headers kept)."""
        if data.isascii():
            return data
        return message_from_bytes(data, policy=SMTP).as_bytes(policy=SEVEN_BIT)

    def send(self, job: EmailJob) -> None:
        """Send one job's message; its To/Cc headers are the recipients.

        SES replaces the Message-ID with its own: the job's stable one is also in the
        X-Forms-Message-Id header (forms.delivery.new_job).
        """
        request = {"Content": {"Raw": {"Data": self.seven_bit(job.message)}}}
        if self.mail_from:
            request["FromEmailAddress"] = self.mail_from
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            self.client.send_email(**request)
        except ClientError as error:
            # The code only (TooManyRequestsException, MessageRejected…): never the addresses.
            code = error.response["Error"]["Code"]
            raise MailError(f"SES: {code}", permanent=code in PERMANENT) from None
        except BotoCoreError as error:
            raise MailError(f"SES: {type(error).__name__}") from None
