"""`python -m forms.admin`: list, export, erase, failed, resend, expiring (package docstring).

Messages are in French, for the startup's operators. Nothing here prints a name or an address
except what the operator asked for (`export`) or typed (`erase`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..catalogue import CatalogueError, load_catalogue
from ..delivery import FAILED, RETRY, RETRY_POLICY, send_due
from ..mailers import OutboxMailer, mailer_from_env
from ..ports import FORMS, StoreUnavailable
from ..submissions import adopt_legacy
from ..worker import LOCAL_RETRY, owner_name
from . import export, report
from .queries import PARIS, Selection

DEFAULT_STORE = "sqlite:var/submissions.sqlite3"


class AdminError(Exception):
    """Stops the command with a one-line French message and exit status 1."""


# --- Backends. ------------------------------------------------------------------------------


class Backend:
    """The store, its operator queries and the mailer of one `--store`."""

    def __init__(self, spec: str, outbox: str | None):
        kind, _, where = spec.partition(":")
        if kind == "sqlite":
            self._sqlite(Path(where or "var/submissions.sqlite3"), outbox)
        elif kind == "dynamodb":
            self._dynamodb(where or os.environ.get("TABLE_NAME", ""), outbox)
        else:
            raise AdminError(f"--store {spec} : attendu sqlite:CHEMIN ou dynamodb:TABLE")

    def _sqlite(self, path: Path, outbox: str | None) -> None:
        from ..local_store import SQLiteStore
        from .queries import SQLiteAdmin

        if not path.is_file():
            raise AdminError(f"{path} n'existe pas : aucune demande reçue localement.")
        self.store = SQLiteStore(path)
        self.outbox = Path(outbox) if outbox else path.parent / "outbox"
        self.admin = SQLiteAdmin(self.store, self.outbox)
        self.new_mailer: Callable = lambda: mailer_from_env(self.outbox)
        self.policy = LOCAL_RETRY
        self.where = f"{path}"

    def _dynamodb(self, table: str, outbox: str | None) -> None:
        if not table:
            raise AdminError("--store dynamodb:TABLE, ou la variable TABLE_NAME, est nécessaire.")
        from ..aws import DynamoDBStore, SESMailer
        from .dynamodb import DynamoDBAdmin

        self.store = DynamoDBStore(table)
        self.outbox = Path(outbox) if outbox else None
        self.admin = DynamoDBAdmin(self.store)
        self.new_mailer = (lambda: OutboxMailer(self.outbox)) if outbox else SESMailer
        self.policy = RETRY_POLICY
        self.where = f"DynamoDB {table}"


# --- Commands. ------------------------------------------------------------------------------


def selection_of(args) -> Selection:
    if args.start and args.end and args.start > args.end:
        raise AdminError("--from est après --to.")
    return Selection(territory=args.territory, form=args.form, start=args.start, end=args.end)


def cmd_list(args) -> int:
    """A table of the selected submissions."""
    summaries = Backend(args.store, args.outbox).admin.summaries(selection_of(args))
    print(report.summary_table(summaries))
    return 0


def cmd_export(args) -> int:
    """The selected submissions as CSV."""
    submissions = Backend(args.store, args.outbox).admin.select(selection_of(args))
    data = export.to_csv(submissions, excel=args.excel)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"{len(submissions)} demande(s) exportée(s) dans {args.output}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def confirmed(count: int) -> bool:
    """Ask on the terminal; only « oui » erases."""
    try:
        these = "ces" if count > 1 else "cette"
        answer = input(f"Effacer définitivement {these} {count} demande(s) ? [oui/non] ")
    except EOFError:  # the terminal closed: no answer is not a yes
        return False
    return answer.strip().casefold() in ("oui", "o", "yes", "y")


def cmd_erase(args) -> int:
    """Erase every submission sent with one address, after confirmation."""
    backend = Backend(args.store, args.outbox)
    found = backend.admin.with_email(args.email)
    if not found:
        print(f"Aucune demande avec cette adresse dans {backend.where}.")
        return 0
    print(f"{len(found)} demande(s) avec cette adresse dans {backend.where} :")
    print(report.summary_table([report.summary_of(s) for s in found], total=False))
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "Erreur : confirmation impossible sans terminal ; relancez avec --yes.",
                file=sys.stderr,
            )
            return 2
        if not confirmed(len(found)):
            print("Rien n'a été effacé.")
            return 1
    erased = backend.admin.erase(found, args.email)
    print(f"Effacé : {erased} demande(s) — " + ", ".join(s.id for s in found))
    print(report.ERASE_NOTE)
    return 0


def cmd_failed(args) -> int:
    """The e-mails set aside as undeliverable, with their reasons."""
    backend = Backend(args.store, args.outbox)
    jobs, legacy = backend.store.failed_jobs(), backend.admin.failed_legacy()
    print(report.failed_table(jobs, legacy))
    return 0


def cmd_resend(args) -> int:
    """Send what is due now (with --failed, the failed ones first re-queued), oldest first.

    Safe while the server or the Lambda mailer runs: every e-mail is claimed before it is
    sent, so whoever claims it first sends it, once.
    """
    backend = Backend(args.store, args.outbox)
    now = dt.datetime.now(dt.UTC)
    requeued = 0
    if args.failed:
        for job in backend.store.failed_jobs():
            requeued += backend.store.requeue_failed(job.key, now)
        for submission in backend.admin.failed_legacy():
            requeued += backend.admin.requeue_legacy(submission.id)
        print(f"{requeued} e-mail(s) en échec remis en file.")
    if backend.store.legacy_pending(1):  # first-release rows: composed now, from the catalogue
        adopt_legacy(backend.store, load_catalogue(args.catalogue), catalogue_mail_from())
    budget = iter(range(args.limit))
    counts = send_due(
        backend.store,
        backend.new_mailer(),
        lambda: dt.datetime.now(dt.UTC),
        owner_name("admin"),
        backend.policy,
        keep_going=lambda: next(budget, None) is not None,
    )
    if not counts:
        print("Aucun e-mail en attente.")
        return 0
    print(report.resend_summary(counts))
    return 0 if counts[RETRY] == counts[FAILED] == 0 else 1


def catalogue_mail_from() -> str:
    """The From of e-mails composed now (first-release rows): $MAIL_FROM, as the server's."""
    from ..app import Settings

    return Settings.from_env().mail_from


def cmd_expiring(args) -> int:
    """Placements that end within --days, per territory."""
    catalogue = load_catalogue(args.catalogue)
    today = args.today or dt.datetime.now(PARIS).date()
    print(report.expiring(catalogue, today, args.days, args.territory))
    return 0


# --- Command line. --------------------------------------------------------------------------


def day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas une date AAAA-MM-JJ") from None


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        default=DEFAULT_STORE,
        help=f"sqlite:CHEMIN ou dynamodb:TABLE (défaut : {DEFAULT_STORE})",
    )
    common.add_argument("--outbox", help="dossier des .eml (défaut : var/outbox en local)")
    common.add_argument(
        "--catalogue", help="catalogue JSON (défaut : $CATALOGUE_PATH ou celui du build)"
    )
    chooser = argparse.ArgumentParser(add_help=False)
    chooser.add_argument("--territory", help="slug du territoire")
    chooser.add_argument("--form", choices=FORMS)
    chooser.add_argument(
        "--from", dest="start", type=day, help="premier jour (AAAA-MM-JJ, heure de Paris)"
    )
    chooser.add_argument("--to", dest="end", type=day, help="dernier jour inclus")

    main_parser = argparse.ArgumentParser(
        prog="python -m forms.admin", description="Les demandes reçues par les formulaires."
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", parents=[common, chooser], help="lister les demandes")
    listing.set_defaults(run=cmd_list)
    exporting = commands.add_parser("export", parents=[common, chooser], help="exporter en CSV")
    exporting.add_argument("--output", "-o", help="fichier (défaut : la sortie standard)")
    exporting.add_argument(
        "--excel", action="store_true", help="UTF-8 avec BOM et « ; » pour Excel"
    )
    exporting.set_defaults(run=cmd_export)
    erase = commands.add_parser("erase", parents=[common], help="effacer une adresse (RGPD)")
    erase.add_argument("email", help="l'adresse e-mail de la personne")
    erase.add_argument("--yes", action="store_true", help="sans demander de confirmation")
    erase.set_defaults(run=cmd_erase)
    failed = commands.add_parser("failed", parents=[common], help="e-mails en échec et pourquoi")
    failed.set_defaults(run=cmd_failed)
    resend = commands.add_parser("resend", parents=[common], help="envoyer les e-mails en attente")
    resend.add_argument(
        "--failed", action="store_true", help="remettre d'abord en file les e-mails en échec"
    )
    resend.add_argument("--limit", type=int, default=5000, help="au plus tant d'envois")
    resend.set_defaults(run=cmd_resend)
    expiring = commands.add_parser(
        "expiring", parents=[common], help="offres qui se terminent bientôt"
    )
    expiring.add_argument("--days", type=int, default=14)
    expiring.add_argument("--territory", help="slug du territoire")
    expiring.add_argument("--today", type=day, help="date du jour (AAAA-MM-JJ)")
    expiring.set_defaults(run=cmd_expiring)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # The forms logger says where e-mails went (file or host), never to whom.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return args.run(args)
    except (AdminError, CatalogueError, StoreUnavailable) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    except Exception as error:  # botocore's errors, imported only with the DynamoDB backend
        if type(error).__module__.startswith("botocore"):
            print(f"Erreur AWS : {error}", file=sys.stderr)
            return 1
        raise
