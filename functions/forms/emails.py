"""The e-mails of a submission: the notification to the territory, the sender's acknowledgement.

Header values are built only from validated fields and the catalogue, and pass through
`header_text`, which removes line breaks and defuses RFC 2047 encoded words: on Python up to
3.11.9/3.12.4 (CVE-2024-6923) a value such as "=?UTF-8?Q?=0A?=Bcc: x" became a real header.
"""

from __future__ import annotations

import re
import unicodedata
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from . import french
from .catalogue import TerritoryInfo
from .delivery import message_id, new_job
from .matching import best_welcomers
from .ports import PACK_ORDER, WELCOMER_APPLICATION, WELCOMER_REQUEST, EmailJob, Submission
from .recipients import staff
from .rendering import render

NOTIFY = "notify"
ACKNOWLEDGEMENT = "acknowledgement"
MESSAGES = (NOTIFY, ACKNOWLEDGEMENT)
FORM_TITLE = {
    WELCOMER_REQUEST: "Demande de welcomer",
    PACK_ORDER: "Commande de coffrets",
    WELCOMER_APPLICATION: "Candidature de welcomer",
}
LABELS = {
    "first_name": "Prénom",
    "last_name": "Nom",
    "email": "E-mail",
    "phone": "Téléphone",
    "profession": "Profession",
    "placement": "Offre",
    "arrival": "Arrivée envisagée",
    "partner_occupation": "Métier du conjoint",
    "children_ages": "Âge des enfants",
    "interests": "Centres d'intérêt",
    "organisation": "Organisation",
    "organisation_kind": "Type d'organisation",
    "siret": "SIRET",
    "street": "Adresse de livraison",
    "postal_code": "Code postal",
    "city": "Commune",
    "quantity": "Quantité",
    "purchase_order": "Bon de commande",
    "service_code": "Code service (Chorus Pro)",
    "engagement_number": "Numéro d'engagement juridique",
    "commune": "Commune",
    "topics": "Sujets",
    "languages": "Langues",
    "availability": "Disponibilités",
    "message": "Message",
}
ENCODED_WORD_START = re.compile(r"=\s*\?")
# Fields stored in machine form, shown as a person reads them: « 06 12 34 56 78 », « septembre
# 2027 ».
READABLE = {
    "phone": french.phone,
    "arrival": french.month,
    "siret": french.siret,
    "languages": french.language,  # each of the list
}


def job_key(submission_id: str, kind: str) -> str:
    """The e-mail job key of one of a submission's messages: `<submission id>/<kind>`."""
    return f"{submission_id}/{kind}"


class _HeaderClasses(HeaderRegistry):
    """HeaderRegistry builds a new class at every lookup (a third of a message's cost)."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


# The SMTP policy (CRLF line ends), with header classes built once per name.
POLICY = SMTP.clone(header_factory=_HeaderClasses())


def header_text(value: str, max_length: int = 200) -> str:
    """One safe header line: no line breaks or control characters, no encoded word."""
    text = " ".join(str(value).splitlines())
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in text)
    # "=?" opens an encoded word, which the parser would decode (CVE-2024-6923): break it.
    while ENCODED_WORD_START.search(text):
        text = ENCODED_WORD_START.sub("= ", text)
    return re.sub(" +", " ", text).strip()[:max_length]


def _address(addr_spec: str, display_name: str = "") -> Address:
    """An Address from a validated e-mail; the display name goes through header_text."""
    if any(c in addr_spec for c in '\r\n"<>,; ') or "=?" in addr_spec:
        raise ValueError("unsafe address")
    return Address(display_name=header_text(display_name), addr_spec=addr_spec)


def _from_address(mail_from: str) -> Address:
    name, addr = parseaddr(mail_from)
    return _address(addr, name)


def _full_name(fields: dict) -> str:
    return f"{fields.get('first_name', '')} {fields.get('last_name', '')}".strip()


def _new_message(submission: Submission, kind: str, subject: str, mail_from: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    sender = _from_address(mail_from)
    message["From"] = sender
    message["Subject"] = header_text(subject, 250)
    message["Date"] = format_datetime(submission.received_at)
    message["Message-ID"] = message_id(job_key(submission.id, kind), sender.domain or None)
    message["X-Submission-Id"] = header_text(submission.id)
    message["X-Forms-Message"] = kind  # NOTIFY or ACKNOWLEDGEMENT: lets outbox readers sort
    return message


def _attach(message: EmailMessage, template: str, context: dict) -> None:
    # An explicit encoding spares the library trying them all (the costliest step of a message).
    message.set_content(render(f"{template}.txt", **context), cte="quoted-printable")
    html = render(f"{template}.html", **context)
    message.add_alternative(html, subtype="html", cte="quoted-printable")


def _rows(fields: dict, placement) -> list[tuple[str, object]]:
    """(label, value) of every filled field but the message, in a fixed order."""
    rows = []
    for name, label in LABELS.items():
        if name not in fields or name == "message":
            continue
        value = fields[name]
        if isinstance(value, list):
            value = ", ".join(READABLE.get(name, str)(item) for item in value)
        elif name == "placement" and placement is not None:
            value = f"{placement.title} ({value})"
        elif name in READABLE:
            value = READABLE[name](value)
        rows.append((label, value))
    return rows


def _subsidy_by(territory: TerritoryInfo, pricing: dict | None) -> str | None:
    """Who pays the subsidy, with its article: « le Département du Loiret »."""
    if not pricing or not pricing.get("subsidy_by"):
        return None
    pack = territory.pack
    names = pack.subsidy_by_names if pack and pack.subsidy_by == pricing["subsidy_by"] else None
    return names.the if names else pricing["subsidy_by"]


def _context(
    submission: Submission, territory: TerritoryInfo, actions: tuple = (), operator_email: str = ""
) -> dict:
    fields = submission.fields
    placement = territory.placements.get(fields.get("placement", ""))
    yaml_entry = None
    if submission.form == WELCOMER_APPLICATION:
        from .welcomer_applications import yaml_entry as entry_of

        yaml_entry = entry_of(submission, territory)
    return {
        "submission": submission,
        "territory": territory,
        "fields": fields,
        "message": fields.get("message"),
        "rows": _rows(fields, placement),
        "name": _full_name(fields),
        "form_title": FORM_TITLE[submission.form],
        "pricing": submission.pricing,
        "subsidy_by": _subsidy_by(territory, submission.pricing),
        "placement": placement,
        "matches": best_welcomers(territory, fields) if submission.form == WELCOMER_REQUEST else [],
        # Signed links to act on a welcomer request (forms.introductions.staff_links).
        "actions": list(actions),
        "yaml_entry": yaml_entry,
        "recipients": staff(territory, operator_email, placement),
    }


def notification(
    submission: Submission, territory: TerritoryInfo, mail_from: str, context: dict | None = None
) -> EmailMessage:
    """The message to the territory's notify list, Reply-To the sender."""
    context = context or _context(submission, territory)
    subject = f"[{territory.name}] {context['form_title']} — {context['name']}"
    message = _new_message(submission, NOTIFY, subject, mail_from)
    # The notify list, the operator's inbox and the placement's contact (CONTRACT 3.1).
    message["To"] = [_address(a) for a in context["recipients"]]
    message["Reply-To"] = _address(submission.fields["email"], context["name"])
    _attach(message, "notify", context)
    return message


def acknowledgement(
    submission: Submission, territory: TerritoryInfo, mail_from: str, context: dict | None = None
) -> EmailMessage:
    """The message to the sender: what happens next (for an order: reference and amounts).

    It goes to an address nobody has confirmed: it repeats nothing the sender typed (names,
    organisation, message, delivery address), only our words, the catalogue and the prices.
    """
    context = context or _context(submission, territory)
    subject = f"[{territory.name}] Nous avons bien reçu votre {context['form_title'].lower()}"
    message = _new_message(submission, ACKNOWLEDGEMENT, subject, mail_from)
    # The address alone: the name typed would be shown to whoever owns the address (no echo).
    message["To"] = _address(submission.fields["email"])
    message["Reply-To"] = _address(
        territory.contact_email, territory.contact_name or territory.name
    )
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply loops
    _attach(message, "acknowledgement", context)
    return message


BUILDERS = {NOTIFY: notification, ACKNOWLEDGEMENT: acknowledgement}


def compose(
    submission: Submission,
    territory: TerritoryInfo,
    mail_from: str,
    kinds: tuple[str, ...] = MESSAGES,
    actions: tuple = (),
    operator_email: str = "",
) -> dict[str, EmailMessage]:
    """The messages of a submission named in `kinds` (default: both), by name; `actions` are
    the signed links of the staff e-mail, `operator_email` its extra recipient."""
    context = _context(submission, territory, actions, operator_email)  # matching runs once
    return {kind: BUILDERS[kind](submission, territory, mail_from, context) for kind in kinds}


def submission_jobs(
    submission: Submission,
    territory: TerritoryInfo,
    mail_from: str,
    kinds: tuple[str, ...] = MESSAGES,
    actions: tuple = (),
    operator_email: str = "",
) -> list[EmailJob]:
    """The e-mail jobs of a submission, stored with it (forms.delivery); `actions` and
    `operator_email` as for `compose`."""
    messages = compose(submission, territory, mail_from, kinds, actions, operator_email)
    return [
        new_job(
            job_key(submission.id, kind),
            message,
            record=submission.id,
            now=submission.received_at,
            expires_at=submission.expires_at,
        )
        for kind, message in messages.items()
    ]
