"""`make announce`: tell confirmed subscribers of the new placements of the build just made.

    python -m forms.announce [--var var] [--catalogue functions/forms/catalogue.json]
    python -m forms.announce --store dynamodb:TABLE --alerts-table ALERTS   (operators, AWS)

Locally the digests are enqueued in var/submissions.sqlite3 and sent at once to the outbox
(or through SMTP when SMTP_HOST is set), as the server's worker would. On AWS the production
deploy invokes the `announce` function instead (forms.aws.handlers.announce): its digests are
sent by the stream mailer. Running it twice announces nothing twice (forms.alerts).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import alerts
from .app import Settings, utc_now
from .catalogue import CatalogueError, load_catalogue

log = logging.getLogger("forms")


@dataclass
class AnnounceApp:
    """What alerts.announce needs: the catalogue, the alert store, the links' key, settings."""

    catalogue: object
    alerts: object
    token_key: bytes
    settings: Settings = field(default_factory=Settings)
    clock: object = utc_now


def local_app(var: Path, catalogue_path: Path | None) -> tuple[AnnounceApp, object]:
    """The app over var/submissions.sqlite3, and that store (to send its due jobs)."""
    from .local import token_key
    from .local_alerts import SQLiteAlerts
    from .local_store import SQLiteStore

    store = SQLiteStore(var / "submissions.sqlite3")
    settings = Settings.from_env()
    if not settings.site_url:
        port = os.environ.get("PORT") or "8000"
        settings = dataclasses.replace(settings, site_url=f"http://127.0.0.1:{port}")
    app = AnnounceApp(load_catalogue(catalogue_path), SQLiteAlerts(store), token_key(var), settings)
    return app, store


def send_local(store, var: Path, now: dt.datetime) -> dict:
    """Send what is due now, as the local server's worker would."""
    from .delivery import send_due
    from .mailers import mailer_from_env
    from .worker import LOCAL_RETRY, owner_name

    counts = send_due(
        store, mailer_from_env(var / "outbox"), lambda: now, owner_name("announce"), LOCAL_RETRY
    )
    return dict(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Annoncer les nouvelles offres aux abonnés.")
    parser.add_argument("--var", default="var", help="store and outbox (default: var)")
    parser.add_argument("--catalogue", type=Path, help="catalogue.json written by the build")
    args = parser.parse_args(argv)
    # The summary below says it in French; the log keeps its warnings (a failed send…).
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    var = Path(args.var)
    try:
        app, store = local_app(var, args.catalogue)
    except CatalogueError as error:
        print(f"Catalogue illisible ({error}) : lancez d'abord make html.", file=sys.stderr)
        return 1
    now = utc_now()
    report = alerts.announce(app, now)
    sent = send_local(store, var, now)
    print(
        f"{report.subscribers} abonné(s) confirmé(s), {report.digests} e-mail(s) d'alerte, "
        f"{report.placements_announced} offre(s) annoncée(s), "
        f"{report.first_seen} offre(s) vue(s) pour la première fois ; "
        f"envoyés : {sent.get('sent', 0)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
