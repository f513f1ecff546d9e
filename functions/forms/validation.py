"""Server-side validation of both forms: one field spec per form, every error reported at once.

Input is the decoded body (JSON object, or form fields as strings / a list for `interests`);
output is the normalised fields of an accepted submission or a list of FieldError. Messages are
French and per field; they never quote the submitted value, so nothing typed is reflected.
Only ASCII digits count as digits: `\\d`, `int()` and `str.isdigit()` accept other scripts'.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.fr import siret as stdnum_siret

from .catalogue import Catalogue, TerritoryInfo
from .ports import PACK_ORDER, WELCOMER_REQUEST

ASCII_DIGITS = re.compile(r"[0-9]+")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MIN_FILL_MS = 3000  # a person needs more than this to fill a form: faster is a bot
HONEYPOT = "website"
STARTED_AT = "started_at"
ALTCHA = "altcha"  # the solution of a proof-of-work challenge, when one was asked (forms.abuse)
# Overseas regions using the French trunk prefix "0": tried before metropolitan France so that
# 0692… is read as Réunion (+262) rather than as a metropolitan mobile (+33 692…).
OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF")
FRENCH_COUNTRY_CODES = {33, 262, 269, 508, 590, 594, 596, 681, 687, 689}
NAME_PUNCTUATION = set(" -'’.")
# Line and paragraph separators split lines for str.splitlines(): never allowed on one line.
LINE_BREAKS = {"\u2028", "\u2029"}


class Invalid(Exception):
    """One field's value is refused: `rule` names the check, `message` is for the person."""

    def __init__(self, rule: str, message: str):
        super().__init__(rule)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str
    message: str


class ValidationFailed(Exception):
    """The submission is refused; `errors` lists every problem found."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(", ".join(f"{e.field}:{e.rule}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Context:
    """What field checks may need besides the value: the territory (None if unknown), the time."""

    territory: TerritoryInfo | None
    now: dt.datetime


@dataclass(frozen=True)
class Field:
    check: Callable[[object, Context], object]
    required: bool = False
    missing: str = "Ce champ est obligatoire."


@dataclass(frozen=True)
class Valid:
    """An accepted submission: normalised fields, its territory, and why it is spam (if it is)."""

    form: str
    territory: TerritoryInfo
    fields: dict
    spam: str | None = None  # None, "honeypot" or "too_fast"


# --- Field checks: each returns the normalised value or raises Invalid. ---------------------


def _clean_text(value: object, max_length: int, multiline: bool = False) -> str:
    """A trimmed NFC string without control characters; "" when blank."""
    if not isinstance(value, str):
        raise Invalid("type", "Ce champ doit être un texte.")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    allowed = {"\n", "\t"} if multiline else set()
    for char in text:
        category = unicodedata.category(char)
        bad = category in ("Cc", "Cs", "Co", "Cn") or (char in LINE_BREAKS and not multiline)
        if bad and char not in allowed:
            raise Invalid("characters", "Ce champ contient des caractères non acceptés.")
    if len(text) > max_length:
        raise Invalid("max_length", f"{max_length} caractères au maximum.")
    return text


def text(max_length: int, multiline: bool = False):
    """A free text of at most `max_length` characters."""

    def check(value, ctx):
        return _clean_text(value, max_length, multiline)

    return check


def person_name(value, ctx):
    """A first or last name: letters, spaces, hyphens, apostrophes and dots only."""
    name = _clean_text(value, 100)
    for char in name:
        if not (unicodedata.category(char)[0] in "LM" or char in NAME_PUNCTUATION):
            raise Invalid(
                "name", "Utilisez uniquement des lettres, espaces, tirets ou apostrophes."
            )
    if name and not any(unicodedata.category(c)[0] == "L" for c in name):
        raise Invalid("name", "Ce nom doit contenir au moins une lettre.")
    return name


def territory_slug(value, ctx):
    """The territory's slug (membership is checked before the other fields)."""
    slug = _clean_text(value, 64)
    if slug and not SLUG.fullmatch(slug):
        raise Invalid("unknown", "Territoire inconnu.")
    return slug


def email(value, ctx):
    """An e-mail address, checked for syntax only (no DNS lookup)."""
    address = _clean_text(value, 254)
    if not address:
        return address
    message = "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr)."
    # An RFC 2047 encoded word is legal in a local part but must never reach a header.
    if "=?" in address:
        raise Invalid("email", message)
    try:
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise Invalid("email", message) from None
    return result.ascii_email or result.normalized


def _parse_french_number(digits: str) -> phonenumbers.PhoneNumber | None:
    """The number as a valid French (metropolitan or overseas) number, or None."""
    regions = ("FR",) if digits.startswith(("+", "00")) else (*OVERSEAS_REGIONS, "FR")
    for region in regions:
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number
    return None


def phone(value, ctx):
    """A French phone number, overseas included; normalised to E.164."""
    raw = _clean_text(value, 30)
    if not raw:
        return raw
    message = (
        "Numéro de téléphone français invalide (exemple : 06 12 34 56 78 ou +262 692 12 34 56)."
    )
    if not raw.isascii() or not re.fullmatch(r"\+?[0-9 .()\-]{6,25}", raw):
        raise Invalid("phone", message)
    number = _parse_french_number(re.sub(r"[ .()\-]", "", raw))
    if number is None or number.country_code not in FRENCH_COUNTRY_CODES:
        raise Invalid("phone", message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def postal_code(value, ctx):
    """A French postal code: five ASCII digits, overseas (97x, 98x) included."""
    code = _clean_text(value, 10)
    if not code:
        return code
    valid = (
        len(code) == 5
        and ASCII_DIGITS.fullmatch(code)
        and ("01" <= code[:2] <= "95" or "971" <= code[:3] <= "978" or "980" <= code[:3] <= "989")
    )
    if not valid:
        raise Invalid("postal_code", "Code postal invalide : cinq chiffres (exemple : 45000).")
    return code


def arrival(value, ctx):
    """A month YYYY-MM, this month or later (within ten years)."""
    month = _clean_text(value, 7)
    if not month:
        return month
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month) or not 1 <= int(month[5:]) <= 12:
        raise Invalid("month", "Mois invalide : utilisez le format AAAA-MM (exemple : 2027-09).")
    year, number = int(month[:4]), int(month[5:])
    if (year, number) < (ctx.now.year, ctx.now.month):
        raise Invalid("past", "Ce mois est déjà passé.")
    if year > ctx.now.year + 10:
        raise Invalid("too_far", "Ce mois est trop lointain.")
    return month


def siret(value, ctx):
    """A SIRET number: 14 ASCII digits with a valid checksum (La Poste's exception included)."""
    raw = _clean_text(value, 30)
    if not raw:
        return raw
    number = raw.replace(" ", "")
    if not (len(number) == 14 and ASCII_DIGITS.fullmatch(number)):
        raise Invalid("siret", "Le SIRET compte 14 chiffres.")
    if set(number) == {"0"} or not stdnum_siret.is_valid(number):
        raise Invalid("siret", "Ce numéro SIRET n'est pas valide (vérifiez les 14 chiffres).")
    return number


def quantity(value, ctx):
    """A whole number of packs between 1 and the territory's maximum."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid("type", "Indiquez un nombre entier.")
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if not ASCII_DIGITS.fullmatch(value) or len(value) > 6:
            raise Invalid("type", "Indiquez un nombre entier.")
        value = int(value)
    pack = ctx.territory.pack if ctx.territory else None
    maximum = pack.max_quantity if pack else None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" et {maximum}" if maximum is not None else ""
        raise Invalid("range", f"Indiquez un nombre entre 1{bound}.")
    return value


def organisation_kind(value, ctx):
    """One of the territory's pack buyers (e.g. commune, EPCI)."""
    kind = _clean_text(value, 60)
    pack = ctx.territory.pack if ctx.territory else None
    if kind and pack is not None:
        by_key = {b.casefold(): b for b in pack.buyers}
        if kind.casefold() not in by_key:
            raise Invalid(
                "choice",
                "Choisissez un type d'organisation proposé : " + ", ".join(pack.buyers) + ".",
            )
        return by_key[kind.casefold()]
    return kind


def placement(value, ctx):
    """The id of one of the territory's open placements."""
    pid = _clean_text(value, 120)
    if pid and ctx.territory is not None and pid not in ctx.territory.placements:
        raise Invalid("unknown", "Cette offre n'existe pas ou n'est plus proposée.")
    return pid


def interests(value, ctx):
    """A list of the territory's interest choices, without repeats."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > 30:
        raise Invalid("type", "Choisissez des centres d'intérêt dans la liste.")
    chosen = []
    for item in items:
        label = _clean_text(item, 80)
        if label and label not in chosen:
            chosen.append(label)
    allowed = ctx.territory.interests if ctx.territory else None
    if allowed is not None and any(label not in allowed for label in chosen):
        raise Invalid("choice", "Choisissez des centres d'intérêt dans la liste proposée.")
    return chosen


def children_ages(value, ctx):
    """Children's ages such as "4, 9" (0 to 30 years); normalised to "4, 9"."""
    raw = _clean_text(value, 60)
    if not raw:
        return raw
    message = "Indiquez les âges séparés par des virgules (exemple : 4, 9)."
    ages = []
    for part in re.split(r"\s*(?:,|;|/|\bet\b)\s*", raw):
        age = re.sub(r"\s*ans?$", "", part.strip())
        if not (age.isascii() and ASCII_DIGITS.fullmatch(age)) or len(age) > 2 or int(age) > 30:
            raise Invalid("ages", message)
        ages.append(int(age))
    if len(ages) > 12:
        raise Invalid("ages", message)
    return ", ".join(str(a) for a in ages)


def consent(value, ctx):
    """The consent box: JSON true, or "true"/"on" from a form."""
    if value is True or (isinstance(value, str) and value.strip() in ("true", "on")):
        return True
    raise Invalid(
        "consent", "Vous devez accepter le traitement de vos données pour envoyer ce formulaire."
    )


def honeypot(value, ctx):
    """The hidden `website` field: people leave it empty."""
    return _clean_text(value, 500)


def started_at(value, ctx):
    """When the page was rendered, in milliseconds since the epoch (set by the page's script)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid("type", "Horodatage invalide.")
    if isinstance(value, str):
        if not value.strip():
            return None
        if not (value.isascii() and ASCII_DIGITS.fullmatch(value.strip())):
            raise Invalid("type", "Horodatage invalide.")
        value = int(value.strip())
    if not 0 <= value < 10**14:
        raise Invalid("type", "Horodatage invalide.")
    return value


# --- The two forms. -------------------------------------------------------------------------

FIELDS = {
    "territory": Field(territory_slug, True, "Indiquez le territoire."),
    "organisation": Field(text(200), True, "Indiquez le nom de votre organisation."),
    "organisation_kind": Field(organisation_kind, True, "Choisissez le type d'organisation."),
    "siret": Field(siret, True, "Indiquez le numéro SIRET de votre organisation."),
    "first_name": Field(person_name, True, "Indiquez votre prénom."),
    "last_name": Field(person_name, True, "Indiquez votre nom."),
    "email": Field(email, True, "Indiquez votre adresse e-mail."),
    "phone": Field(phone),
    "profession": Field(text(120), True, "Indiquez votre profession."),
    "placement": Field(placement),
    "arrival": Field(arrival),
    "partner_occupation": Field(text(120)),
    "children_ages": Field(children_ages),
    "interests": Field(interests),
    "street": Field(text(200), True, "Indiquez l'adresse de livraison."),
    "postal_code": Field(postal_code, True, "Indiquez le code postal."),
    "city": Field(text(100), True, "Indiquez la commune."),
    "quantity": Field(quantity, True, "Indiquez le nombre de coffrets."),
    "purchase_order": Field(text(60)),
    "message": Field(text(4000, multiline=True)),
    "consent": Field(consent, True, "Vous devez accepter le traitement de vos données."),
    HONEYPOT: Field(honeypot),
    STARTED_AT: Field(started_at),
    ALTCHA: Field(text(2000)),
}
COMMON_TAIL = ("message", "consent", HONEYPOT, STARTED_AT, ALTCHA)
# Each form's fields in display order: errors are listed, and the correction page built, so.
SPECS: dict[str, dict[str, Field]] = {
    form: {name: FIELDS[name] for name in names + COMMON_TAIL}
    for form, names in {
        WELCOMER_REQUEST: (
            "territory", "first_name", "last_name", "email", "phone", "profession", "placement",
            "arrival", "partner_occupation", "children_ages", "interests",
        ),
        PACK_ORDER: (
            "territory", "organisation", "organisation_kind", "siret", "first_name", "last_name",
            "email", "phone", "street", "postal_code", "city", "quantity", "purchase_order",
        ),
    }.items()
}  # fmt: skip

# Fields of the correction page, in display order (the honeypot, timer and challenge are not
# shown).
FIELD_ORDER = {
    form: [n for n in spec if n not in (HONEYPOT, STARTED_AT, ALTCHA)]
    for form, spec in SPECS.items()
}


def _is_blank(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _safe_field_name(name: str) -> str:
    """An unknown field is reported under its name only if that name is harmless to echo."""
    return name if re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name) else "body"


def _territory_of(
    data: dict, catalogue: Catalogue, form: str, errors: list
) -> TerritoryInfo | None:
    """The territory named in `data`, or None with its error recorded."""
    slug = data.get("territory")
    if _is_blank(slug) or not isinstance(slug, str):
        return None  # reported by the field check
    territory = catalogue.get(slug.strip())
    if territory is None:
        errors.append(FieldError("territory", "unknown", "Territoire inconnu."))
    elif form == PACK_ORDER and territory.pack is None:
        errors.append(
            FieldError("territory", "no_pack", "Ce territoire ne propose pas de coffret.")
        )
    return territory


def _spam_reason(fields: dict, now: dt.datetime, min_fill_ms: int) -> str | None:
    if fields.get(HONEYPOT):
        return "honeypot"
    started = fields.get(STARTED_AT)
    # A negative delay is a client clock ahead of ours: nothing can be concluded from it.
    if started is not None and 0 <= now.timestamp() * 1000 - started < min_fill_ms:
        return "too_fast"
    return None


def validate(
    form: str, data: dict, catalogue: Catalogue, now: dt.datetime, min_fill_ms: int = MIN_FILL_MS
) -> Valid:
    """Check every field of `data` for `form`; raise ValidationFailed listing all errors."""
    spec = SPECS[form]
    errors: list[FieldError] = []
    for name in data:
        if name not in spec:
            errors.append(FieldError(_safe_field_name(name), "unknown_field", "Champ inattendu."))
    territory = _territory_of(data, catalogue, form, errors)
    ctx = Context(territory=territory, now=now)
    fields = {}
    for name, field in spec.items():
        value = data.get(name)
        try:
            clean = None if _is_blank(value) else field.check(value, ctx)
        except Invalid as problem:
            errors.append(FieldError(name, problem.rule, problem.message))
            continue
        if _is_blank(clean) and field.required:
            errors.append(FieldError(name, "required", field.missing))
        elif not _is_blank(clean):
            fields[name] = clean
    if errors:
        raise ValidationFailed(_first_per_field(errors))
    spam = _spam_reason(fields, now, min_fill_ms)
    fields.pop(HONEYPOT, None)
    fields.pop(STARTED_AT, None)
    fields.pop(ALTCHA, None)
    return Valid(form=form, territory=territory, fields=fields, spam=spam)


def _first_per_field(errors: list[FieldError]) -> list[FieldError]:
    """One error per field (the first found), in the order found."""
    seen, kept = set(), []
    for error in errors:
        if error.field not in seen:
            seen.add(error.field)
            kept.append(error)
    return kept
