"""`python -m forms.admin` commands of the welcome service: the follow-up of requests, the daily
digest, welcomers' statements, the collectivity's report, the registrations of an event."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import os
import sys
from pathlib import Path

from .. import digest, followup, introductions, reports, statements
from ..app import App, Settings
from ..catalogue import load_catalogue
from ..ports import WELCOMER_REQUEST
from ..registrations import STATUS_LABELS as REGISTRATION_LABELS
from .export import cell
from .queries import PARIS, Selection
from .report import paris, table

LOCAL_SITE = "http://127.0.0.1:8000"


class FlowError(Exception):
    """Stops the command with a one-line French message (the cli prints it)."""


def flows_app(backend, catalogue) -> App:
    """What the flows need, from the command's store: the same key as the site's links."""
    settings = Settings.from_env()
    if not settings.site_url:
        settings = dataclasses.replace(settings, site_url=LOCAL_SITE)
    if os.environ.get("FORM_TOKEN_KEY"):
        key = os.environ["FORM_TOKEN_KEY"].encode("ascii")
    elif backend.var is not None:
        from ..local import token_key

        key = token_key(backend.var)
    else:
        from ..aws.handlers import token_key

        key = token_key()
    return App(
        catalogue,
        backend.store,
        key,
        settings=settings,
        followups=backend.records,
        registrations=backend.records,
    )


def _backend_app(args):
    from .cli import Backend

    backend = Backend(args.store, args.outbox)
    return backend, flows_app(backend, load_catalogue(args.catalogue))


def _write(data: bytes, output: str | None, what: str) -> None:
    if output:
        Path(output).write_bytes(data)
        print(f"{what} : {output}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


# --- Follow-up. -----------------------------------------------------------------------------


def cmd_followup(args) -> int:
    """The welcomer requests and where each stands."""
    backend, app = _backend_app(args)
    requests = backend.admin.select(Selection(territory=args.territory, form=WELCOMER_REQUEST))
    rows = [("demande", "reçue (Paris)", "territoire", "statut", "welcomer", "appels", "depuis")]
    for request in requests:
        if request.email_status == "spam":
            continue
        state = app.followups.followup(request.id) or followup.FollowUp.of(request)
        if args.status and state.status != args.status:
            continue
        rows.append(
            (
                request.id,
                paris(request.received_at),
                request.territory,
                followup.STATUS_LABELS[state.status],
                state.welcomer or "",
                str(len(state.calls)),
                paris(state.last_action_at),
            )
        )
    print(table(rows) if len(rows) > 1 else "Aucune demande.")
    return 0


def _act(args, action: str, **extra) -> int:
    _, app = _backend_app(args)
    try:
        if action == followup.CALL and "welcomer" not in extra:
            state = app.followups.followup(args.request)
            extra["welcomer"] = state.welcomer if state else ""
        state = introductions.act(app, args.request, action, **extra)
    except followup.NotFound:
        raise FlowError(f"aucune demande de welcomer {args.request}") from None
    except followup.Refused as refused:
        raise FlowError(refused.message) from None
    print(f"{args.request} : {followup.STATUS_LABELS[state.status]}")
    if action == followup.INTRODUCE:
        print("Les deux e-mails de mise en relation sont en file d'envoi.")
    return 0


def cmd_introduce(args) -> int:
    return _act(args, followup.INTRODUCE, welcomer=args.welcomer)


def cmd_call(args) -> int:
    return _act(args, followup.CALL, number=args.number)


def cmd_settle(args) -> int:
    return _act(args, followup.SETTLE)


def cmd_close(args) -> int:
    return _act(args, followup.CLOSE, reason=args.reason)


# --- Digest, statements, report. ------------------------------------------------------------


def _now(args) -> dt.datetime:
    if getattr(args, "today", None):
        return dt.datetime.combine(args.today, dt.time(8), PARIS).astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def cmd_digest(args) -> int:
    """The requests left without action; --send mails each territory's digest (once a day)."""
    backend, app = _backend_app(args)
    app.clock = lambda: _now(args)
    requests = backend.admin.select(Selection(territory=args.territory, form=WELCOMER_REQUEST))
    waiting = digest.left_without_action(app, requests, app.clock())
    if not waiting:
        print("Aucune demande en attente.")
        return 0
    for slug, items in sorted(waiting.items()):
        print(f"{slug} : {len(items)} demande(s) en attente")
        for item in items:
            print(f"  {item.request.id}  {item.why} (depuis {item.waiting_days} jours)")
    if args.send:
        jobs = digest.digest_letters(app, requests, app.clock())
        app.followups.enqueue(jobs)
        print(f"{len(jobs)} e-mail(s) de relance en file d'envoi.")
    return 0


def cmd_statement(args) -> int:
    """Each welcomer's statement of the month as CSV; --send mails them to the operator."""
    backend, app = _backend_app(args)
    requests = {s.id: s for s in backend.admin.select(Selection(territory=args.territory))}
    found = []
    for slug in sorted(app.catalogue.territories):
        if args.territory and slug != args.territory:
            continue
        territory = app.catalogue.get(slug)
        found += [
            s
            for s in statements.statements(
                territory, app.followups.followups(slug), requests, args.month
            )
            if not args.welcomer or s.welcomer.id == args.welcomer
        ]
    if not found:
        print(f"Aucun appel enregistré en {args.month}.")
        return 0
    folder = Path(args.output) if args.output else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    for s in found:
        line = (
            f"{s.territory.slug}/{s.welcomer.id}  {len(s.missions)} famille(s), {s.calls} "
            f"appel(s), {s.billed} mission(s) facturée(s) : {s.amount} € HT"
        )
        print(line)
        if folder:
            name = f"releve-{s.territory.slug}-{s.welcomer.id}-{s.month}.csv"
            (folder / name).write_bytes(statements.to_csv(s, excel=args.excel))
    if args.send:
        if not app.settings.operator_email:
            raise FlowError("OPERATOR_EMAIL n'est pas défini : à qui envoyer les relevés ?")
        jobs = statements.statement_jobs(app, found)
        app.followups.enqueue(jobs)
        print(f"{len(jobs)} relevé(s) en file d'envoi vers {app.settings.operator_email}.")
    return 0


def cmd_report(args) -> int:
    """The collectivity's monthly figures as CSV and, with --html, as a page with a chart."""
    backend, app = _backend_app(args)
    territory = app.catalogue.get(args.territory)
    if territory is None:
        raise FlowError(f"territoire inconnu : {args.territory}")
    first, last = reports.last_months(dt.datetime.now(PARIS).date())
    months = reports.months_between(args.start or first, args.end or last)
    if not months:
        raise FlowError("--from est après --to.")
    rows = reports.monthly(
        territory.slug,
        months,
        backend.admin.select(Selection(territory=territory.slug)),
        app.followups.followups(territory.slug),
        app.registrations.registrations(territory.slug),
    )
    _write(reports.to_csv(territory.slug, rows, args.excel), args.output, "rapport CSV")
    if args.html:
        page = reports.to_html(territory.name, rows, dt.datetime.now(PARIS).date())
        Path(args.html).write_text(page, encoding="utf-8")
        print(f"rapport HTML : {args.html}", file=sys.stderr)
    return 0


def cmd_registrations(args) -> int:
    """The registrations of an event as CSV, in order of arrival."""
    _, app = _backend_app(args)
    found = app.registrations.registrations(args.territory, args.event)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if args.excel else ",")
    writer.writerow(
        ["rang", "statut", "créneau", "prénom", "nom", "e-mail", "téléphone", "profession",
         "message", "inscrit le", "annulé le", "référence"]
    )  # fmt: skip
    for r in found:
        slot = (
            dt.datetime.fromisoformat(r.slot).astimezone(PARIS).strftime("%H:%M") if r.slot else ""
        )
        f = r.fields
        writer.writerow(
            [cell(v) for v in (
                r.position, REGISTRATION_LABELS[r.status], slot, f["first_name"], f["last_name"],
                f["email"], f.get("phone", ""), f["profession"], f.get("message", ""),
                paris(r.received_at), paris(r.cancelled_at) if r.cancelled_at else "", r.id,
            )]
        )  # fmt: skip
    data = buffer.getvalue().encode("utf-8-sig" if args.excel else "utf-8")
    _write(data, args.output, f"{len(found)} inscription(s)")
    return 0


# --- Command line. --------------------------------------------------------------------------


def month(text: str) -> str:
    try:
        dt.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un mois AAAA-MM") from None
    return text


def add_commands(commands, common, day) -> None:
    """The welcome service's subcommands, on the main parser's `commands`."""
    listing = commands.add_parser("followup", parents=[common], help="suivi des demandes")
    listing.add_argument("--territory")
    listing.add_argument("--status", choices=list(followup.STATUS_LABELS))
    listing.set_defaults(run=cmd_followup)
    for name, run, text in (
        ("introduce", cmd_introduce, "présenter une famille à un welcomer"),
        ("call", cmd_call, "enregistrer un appel du welcomer"),
        ("settle", cmd_settle, "enregistrer l'installation de la famille"),
        ("close", cmd_close, "clore une demande"),
    ):
        command = commands.add_parser(name, parents=[common], help=text)
        command.add_argument("request", help="la référence de la demande")
        command.set_defaults(run=run)
        if name == "introduce":
            command.add_argument("welcomer", help="l'id du welcomer (territory.yaml)")
        if name == "call":
            command.add_argument("number", type=int, choices=range(1, followup.MAX_CALLS + 1))
        if name == "close":
            command.add_argument("--reason", required=True, choices=list(followup.CLOSE_REASONS))
    daily = commands.add_parser("digest", parents=[common], help="demandes en attente")
    daily.add_argument("--territory")
    daily.add_argument("--send", action="store_true", help="envoyer le récapitulatif par e-mail")
    daily.add_argument("--today", type=day, help="date du jour (AAAA-MM-JJ)")
    daily.set_defaults(run=cmd_digest)
    statement = commands.add_parser("statement", parents=[common], help="relevés des welcomers")
    statement.add_argument("--month", required=True, type=month, help="AAAA-MM")
    statement.add_argument("--territory")
    statement.add_argument("--welcomer")
    statement.add_argument("--output", "-o", help="dossier où écrire un CSV par welcomer")
    statement.add_argument("--excel", action="store_true")
    statement.add_argument("--send", action="store_true", help="envoyer à OPERATOR_EMAIL")
    statement.set_defaults(run=cmd_statement)
    report = commands.add_parser("report", parents=[common], help="rapport pour la collectivité")
    report.add_argument("--territory", required=True)
    report.add_argument("--from", dest="start", type=month, help="premier mois (AAAA-MM)")
    report.add_argument("--to", dest="end", type=month, help="dernier mois (AAAA-MM)")
    report.add_argument("--output", "-o", help="fichier CSV (défaut : la sortie standard)")
    report.add_argument("--html", help="page HTML avec le graphique")
    report.add_argument("--excel", action="store_true")
    report.set_defaults(run=cmd_report)
    listing = commands.add_parser("registrations", parents=[common], help="inscrits (CSV)")
    listing.add_argument("--territory", required=True)
    listing.add_argument("--event", required=True)
    listing.add_argument("--output", "-o")
    listing.add_argument("--excel", action="store_true")
    listing.set_defaults(run=cmd_registrations)
