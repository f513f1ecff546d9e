"""What a request needs besides its event: catalogue, store, clock, token key and settings.

Built once per process (a Lambda container, the local server) and passed to `forms.http.handle`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .catalogue import Catalogue
from .ports import Submission, SubmissionStore
from .tokens import TOKEN_TTL_S
from .validation import MIN_FILL_MS

DEFAULT_MAIL_FROM = "Territoires <no-reply@territoires.example>"
DEFAULT_STYLESHEET = "/theme/css/site.css"
DEFAULT_PRIVACY_PATH = "/confidentialite/"
DEFAULT_OPERATOR_NAME = "Territoires de santé"


def utc_now() -> dt.datetime:
    """The current time, UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Settings:
    """Tunables, with production defaults; `from_env` reads the deployment's overrides."""

    mail_from: str = DEFAULT_MAIL_FROM
    min_fill_ms: int = MIN_FILL_MS  # below this delay since page render, a submission is spam
    token_ttl_s: int = TOKEN_TTL_S  # how long a correction link stays valid
    stylesheet: str = DEFAULT_STYLESHEET  # the site's CSS, reused by the correction page
    privacy_path: str = DEFAULT_PRIVACY_PATH  # linked from the consent sentence
    # The public address of the site (no trailing slash): links in e-mails (signed action links,
    # confirmations, unsubscribe, sign-in) are absolute. Locally the server fills in its own URL.
    site_url: str = ""
    # The operating startup's own inbox: it receives every submission (CONTRACT 3.1); "" = none.
    operator_email: str = ""
    # The data controller named by the consent sentence (the site's OPERATOR_NAME setting).
    operator_name: str = DEFAULT_OPERATOR_NAME
    # Limits per client (submissions per IP and per address before a challenge): FORMS_RATE_LIMIT
    # =off switches them off for load tests; the acknowledgements' limit per address stays.
    rate_limit: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Settings from MAIL_FROM and the FORM_* variables, when set."""
        return cls(
            mail_from=env.get("MAIL_FROM") or DEFAULT_MAIL_FROM,
            min_fill_ms=int(env.get("FORM_MIN_FILL_MS") or MIN_FILL_MS),
            stylesheet=env.get("FORM_STYLESHEET") or DEFAULT_STYLESHEET,
            privacy_path=env.get("FORM_PRIVACY_PATH") or DEFAULT_PRIVACY_PATH,
            site_url=(env.get("SITE_URL") or "").rstrip("/"),
            operator_email=(env.get("OPERATOR_EMAIL") or "").strip(),
            operator_name=(env.get("OPERATOR_NAME") or "").strip() or DEFAULT_OPERATOR_NAME,
            rate_limit=(env.get("FORMS_RATE_LIMIT") or "on").strip().lower() != "off",
        )


@dataclass
class App:
    """Everything the handlers share; `on_stored` is told of each new non-spam submission."""

    catalogue: Catalogue
    store: SubmissionStore
    token_key: bytes  # Fernet key (URL-safe base64) sealing correction tokens
    clock: Callable[[], dt.datetime] = utc_now
    settings: Settings = field(default_factory=Settings)
    # Told of each new non-spam submission (tests, metrics).
    on_stored: Callable[[Submission], None] | None = None
    # Called after a transaction that enqueued e-mail jobs: locally, wakes the delivery worker
    # (which also polls); on AWS the table's stream feeds the mailer instead.
    wake_delivery: Callable[[], None] | None = None


def token_key_from_env(env: Mapping[str, str] = os.environ) -> bytes:
    """The FORM_TOKEN_KEY environment variable as bytes; KeyError if it is not set."""
    return env["FORM_TOKEN_KEY"].encode("ascii")
