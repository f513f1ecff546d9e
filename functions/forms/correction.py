"""The no-JavaScript correction page: every error next to its field, what was typed kept.

The markup follows the convention shared with the site's forms (`field-{form}-{name}`,
`{form}-{name}`, `-hint`, `-error`, aria-invalid, aria-describedby), so the site's CSS applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from .app import App, Settings
from .catalogue import TerritoryInfo
from .ports import PACK_ORDER, WELCOMER_REQUEST
from .rendering import render
from .validation import FIELD_ORDER

PREFIX = {WELCOMER_REQUEST: "welcomer", PACK_ORDER: "pack"}
TITLE = {WELCOMER_REQUEST: "Demande de welcomer", PACK_ORDER: "Commande de coffrets"}
# The submit button says what the site's form says (theme/templates/macros/forms.html).
SUBMIT = {WELCOMER_REQUEST: "Envoyer ma demande", PACK_ORDER: "Commander"}
MAX_TYPED = 4000  # characters kept per field: the longest field accepted (message)


@dataclass(frozen=True)
class Control:
    label: str
    kind: str = "text"  # text, email, tel, textarea, select, checkboxes, checkbox, hidden…
    hint: str | None = None
    autocomplete: str | None = None
    required: bool = False


# Labels and hints as on the site's forms (theme/templates/macros/forms.html).
CONTROLS = {
    "territory": Control("Territoire", "hidden", required=True),
    "first_name": Control("Prénom", autocomplete="given-name", required=True),
    "last_name": Control("Nom", autocomplete="family-name", required=True),
    "email": Control(
        "Adresse e-mail", "email", "Pour vous répondre, ex. prenom.nom@exemple.fr", "email", True
    ),
    "phone": Control("Téléphone", "tel", "ex. 06 12 34 56 78", "tel"),
    "profession": Control(
        "Profession", hint="ex. médecin généraliste, infirmière, kinésithérapeute", required=True
    ),
    "placement": Control("Offre qui vous intéresse (remplacement, stage…)", "select"),
    "arrival": Control("Arrivée envisagée", hint="Mois et année, au format AAAA-MM, ex. 2027-09"),
    "partner_occupation": Control(
        "Métier de votre conjoint(e)", hint="S'il ou elle cherche un emploi ou une formation"
    ),
    "children_ages": Control("Âges des enfants", hint="ex. 4, 9"),
    "interests": Control("Ce qui compte pour vous", "checkboxes"),
    "organisation": Control("Nom de la collectivité", autocomplete="organization", required=True),
    "organisation_kind": Control("Type de collectivité", "select", required=True),
    "siret": Control("Numéro SIRET", hint="14 chiffres, sans espace", required=True),
    "street": Control("Adresse de livraison", autocomplete="street-address", required=True),
    "postal_code": Control("Code postal", autocomplete="postal-code", required=True),
    "city": Control("Commune", autocomplete="address-level2", required=True),
    "quantity": Control("Nombre de coffrets", "number", required=True),
    "purchase_order": Control("Numéro de bon de commande", hint="Si votre collectivité en émet un"),
    "message": Control("Message", "textarea"),
    "consent": Control("Consentement", "checkbox", required=True),
}


def typed_values(form: str, data: dict) -> dict:
    """What the person typed, for the fields of `form` only, bounded in size."""
    values = {}
    for name in FIELD_ORDER[form]:
        value = data.get(name)
        if isinstance(value, str):
            values[name] = value[:MAX_TYPED]
        elif isinstance(value, list):
            values[name] = [v[:200] for v in value if isinstance(v, str)][:30]
    return values


def _options(name: str, territory: TerritoryInfo | None) -> list[tuple[str, str]]:
    """(value, label) choices of a select or checkbox group."""
    if territory is None:
        return []
    if name == "placement":
        return [(p.id, p.title) for p in territory.placements.values()]
    if name == "organisation_kind":
        return [(b, b) for b in (territory.pack.buyers if territory.pack else ())]
    if name == "interests":
        return [(i, i) for i in territory.interests]
    return []


def _field(form: str, name: str, values: dict, errors: dict, territory) -> dict:
    control = CONTROLS[name]
    kind = control.kind
    if name == "territory" and (territory is None or "territory" in errors):
        kind = "text"  # the person must see what to correct
    if kind in ("select", "checkboxes") and not _options(name, territory):
        kind = "text"
    value = values.get(name, [] if kind == "checkboxes" else "")
    return {
        "name": name,
        "id": f"{PREFIX[form]}-{name}",
        "control": control,
        "kind": kind,
        "value": value,
        "options": _options(name, territory),
        "error": errors.get(name),
    }


def render_correction(payload: dict, app: App) -> str:
    """The correction page of a sealed payload (form, action, values, errors)."""
    form = payload["form"]
    values = payload.get("values") or {}
    errors = payload.get("errors") or {}
    slug = values.get("territory")
    territory = app.catalogue.get(slug) if isinstance(slug, str) else None
    fields = [_field(form, name, values, errors, territory) for name in FIELD_ORDER[form]]
    others = [(k, v) for k, v in errors.items() if k not in FIELD_ORDER[form]]
    return render(
        "correction.html",
        prefix=PREFIX[form],
        title=TITLE[form],
        submit=SUBMIT[form],
        action=payload.get("action") or f"/api/{form}",
        fields=fields,
        others=others,
        error_count=sum(1 for f in fields if f["error"]) + len(others),
        territory=territory,
        settings=app.settings,
    )


def render_problem(messages: list[str], settings: Settings) -> str:
    """A short page for a request that could not be read at all."""
    return render("problem.html", messages=messages, settings=settings, territory=None)
