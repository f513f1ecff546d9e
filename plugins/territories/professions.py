"""The health professions a placement or an aid may name: one vocabulary for the whole site.

The list follows the Code de la santé publique, fourth part (professions médicales, pharmacie,
auxiliaires médicaux, aides-soignants…), with médecin généraliste and the medical specialties
that replacements are offered in. Each profession has a URL name (slug), a label, a plural, a
feminine form when it differs, and the other words candidates type (« kiné », « IDE »): editors
may write any of these forms and the site shows the label. The build carries this vocabulary to
the forms through the catalogue (`catalogue_entries`); the functions never import this module.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from .fields import Text


@dataclass(frozen=True)
class Profession:
    slug: str  # the URL name: /offres/metier/<slug>/
    label: str  # as the site writes it: « masseur-kinésithérapeute »
    plural: str
    group: str  # the part of the code it belongs to, for grouped lists
    feminine: str | None = None  # when it differs from the label
    words: tuple[str, ...] = ()  # other forms candidates and editors write

    @property
    def forms(self) -> tuple[str, ...]:
        """Every way of writing it that names it, the label first."""
        others = (self.feminine,) if self.feminine else ()
        return (self.label, *others, *self.words)


MEDICAL = "Professions médicales"
SPECIALTY = "Spécialités médicales"
PHARMACY = "Pharmacie et physique médicale"
AUXILIARY = "Auxiliaires médicaux"
CARE = "Aides-soignants, ambulanciers, assistants dentaires"
GROUPS = (MEDICAL, SPECIALTY, PHARMACY, AUXILIARY, CARE)


def url_name(text: str) -> str:
    """An ASCII URL segment, as pages.slugify makes them: « sage-femme » → sage-femme."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def _p(label, plural, group, feminine=None, words=(), slug=None) -> Profession:
    return Profession(slug or url_name(label), label, plural, group, feminine, tuple(words))


# fmt: off
PROFESSIONS: tuple[Profession, ...] = (
    # Livre Ier : professions médicales.
    _p("médecin", "médecins", MEDICAL, words=("docteur", "docteure")),
    _p("médecin généraliste", "médecins généralistes", MEDICAL,
       words=("généraliste", "médecin traitant", "médecine générale", "mg")),
    _p("chirurgien-dentiste", "chirurgiens-dentistes", MEDICAL, "chirurgienne-dentiste",
       ("dentiste", "chirurgien dentiste")),
    _p("sage-femme", "sages-femmes", MEDICAL,
       words=("sage femme", "maïeuticien", "maïeuticienne", "homme sage-femme")),
    # Médecins spécialistes : les spécialités où l'on remplace le plus.
    _p("pédiatre", "pédiatres", SPECIALTY, words=("pédiatrie",)),
    _p("psychiatre", "psychiatres", SPECIALTY, words=("psychiatrie", "pédopsychiatre")),
    _p("gynécologue", "gynécologues", SPECIALTY,
       words=("gynécologue médical", "gynécologie", "gynéco")),
    _p("gynécologue-obstétricien", "gynécologues-obstétriciens", SPECIALTY,
       "gynécologue-obstétricienne", ("obstétricien", "obstétricienne", "obstétrique")),
    _p("ophtalmologue", "ophtalmologues", SPECIALTY,
       words=("ophtalmologiste", "ophtalmologie", "ophtalmo")),
    _p("cardiologue", "cardiologues", SPECIALTY, words=("cardiologie",)),
    _p("dermatologue", "dermatologues", SPECIALTY, words=("dermatologie", "dermato")),
    _p("radiologue", "radiologues", SPECIALTY, words=("radiologie",)),
    _p("anesthésiste-réanimateur", "anesthésistes-réanimateurs", SPECIALTY,
       "anesthésiste-réanimatrice", ("anesthésiste", "anesthésie-réanimation")),
    _p("urgentiste", "urgentistes", SPECIALTY, words=("médecin urgentiste", "médecine d'urgence")),
    _p("gériatre", "gériatres", SPECIALTY, words=("gériatrie",)),
    _p("oto-rhino-laryngologiste", "oto-rhino-laryngologistes", SPECIALTY, words=("orl",)),
    _p("gastro-entérologue", "gastro-entérologues", SPECIALTY, words=("gastro-entérologie",)),
    _p("pneumologue", "pneumologues", SPECIALTY, words=("pneumologie",)),
    _p("neurologue", "neurologues", SPECIALTY, words=("neurologie",)),
    _p("rhumatologue", "rhumatologues", SPECIALTY, words=("rhumatologie",)),
    _p("endocrinologue", "endocrinologues", SPECIALTY, words=("endocrinologie",)),
    _p("néphrologue", "néphrologues", SPECIALTY, words=("néphrologie",)),
    _p("oncologue", "oncologues", SPECIALTY, words=("oncologie", "cancérologue")),
    _p("chirurgien", "chirurgiens", SPECIALTY, "chirurgienne", ("chirurgie",)),
    _p("médecin biologiste", "médecins biologistes", SPECIALTY, words=("biologiste médical",)),
    _p("médecin du travail", "médecins du travail", SPECIALTY, words=("médecine du travail",)),
    # Livres II et II bis : pharmacie et physique médicale.
    _p("pharmacien", "pharmaciens", PHARMACY, "pharmacienne",
       ("pharmacien d'officine", "pharmacien hospitalier")),
    _p("préparateur en pharmacie", "préparateurs en pharmacie", PHARMACY,
       "préparatrice en pharmacie", ("préparateur en pharmacie hospitalière",)),
    _p("physicien médical", "physiciens médicaux", PHARMACY, "physicienne médicale"),
    # Livre III : auxiliaires médicaux.
    _p("infirmier", "infirmiers", AUXILIARY, "infirmière",
       ("ide", "idel", "infirmier diplômé d'état", "infirmière diplômée d'état",
        "infirmier libéral", "infirmière libérale")),
    _p("infirmier en pratique avancée", "infirmiers en pratique avancée", AUXILIARY,
       "infirmière en pratique avancée", ("ipa",)),
    _p("infirmier anesthésiste", "infirmiers anesthésistes", AUXILIARY,
       "infirmière anesthésiste", ("iade",)),
    _p("infirmier de bloc opératoire", "infirmiers de bloc opératoire", AUXILIARY,
       "infirmière de bloc opératoire", ("ibode",)),
    _p("puériculteur", "puériculteurs", AUXILIARY, "puéricultrice",
       ("infirmière puéricultrice", "infirmier puériculteur")),
    _p("masseur-kinésithérapeute", "masseurs-kinésithérapeutes", AUXILIARY,
       "masseuse-kinésithérapeute",
       ("kinésithérapeute", "kiné", "kinési", "masseur kinésithérapeute", "physiothérapeute")),
    _p("pédicure-podologue", "pédicures-podologues", AUXILIARY,
       words=("podologue", "pédicure")),
    _p("ergothérapeute", "ergothérapeutes", AUXILIARY, words=("ergo",)),
    _p("psychomotricien", "psychomotriciens", AUXILIARY, "psychomotricienne"),
    _p("orthophoniste", "orthophonistes", AUXILIARY),
    _p("orthoptiste", "orthoptistes", AUXILIARY),
    _p("manipulateur d'électroradiologie médicale", "manipulateurs d'électroradiologie médicale",
       AUXILIARY, "manipulatrice d'électroradiologie médicale",
       ("manipulateur en électroradiologie", "manipulateur radio", "manipulatrice radio", "merm"),
       slug="manipulateur-electroradiologie"),
    _p("technicien de laboratoire médical", "techniciens de laboratoire médical", AUXILIARY,
       "technicienne de laboratoire médical", ("technicien de laboratoire",)),
    _p("audioprothésiste", "audioprothésistes", AUXILIARY),
    _p("opticien-lunetier", "opticiens-lunetiers", AUXILIARY, "opticienne-lunetière",
       ("opticien", "opticienne")),
    _p("prothésiste et orthésiste", "prothésistes et orthésistes", AUXILIARY,
       words=("orthoprothésiste", "podo-orthésiste", "orthopédiste-orthésiste", "oculariste",
              "épithésiste")),
    _p("diététicien", "diététiciens", AUXILIARY, "diététicienne", ("nutritionniste",)),
    # Livre III bis : aides-soignants, auxiliaires de puériculture, ambulanciers, assistants
    # dentaires.
    _p("aide-soignant", "aides-soignants", CARE, "aide-soignante", ("aide soignant",)),
    _p("auxiliaire de puériculture", "auxiliaires de puériculture", CARE),
    _p("ambulancier", "ambulanciers", CARE, "ambulancière"),
    _p("assistant dentaire", "assistants dentaires", CARE, "assistante dentaire"),
)
# fmt: on
BY_SLUG = {p.slug: p for p in PROFESSIONS}


def normalised(text: str) -> str:
    """A written form compared with the vocabulary: lower case, one space, straight apostrophe."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‑", "-")
    return " ".join(text.lower().split())


# Every form, as compared: two professions never share one (checked by the tests).
BY_FORM = {normalised(form): p for p in PROFESSIONS for form in p.forms}


def find(text: str) -> Profession | None:
    """The profession this text names (any of its forms, whatever the case), or None."""
    return BY_FORM.get(normalised(text))


def closest(text: str) -> Profession | None:
    """The profession whose form is closest to a near miss (« infirmièr », « kinésitérapeute »)."""
    close = difflib.get_close_matches(normalised(text), list(BY_FORM), n=1, cutoff=0.75)
    return BY_FORM[close[0]] if close else None


def of(label: str) -> Profession:
    """The profession of a label the loader kept (a model's `profession`)."""
    return BY_FORM[normalised(label)]


def grouped() -> list[tuple[str, list[Profession]]]:
    """The professions by part of the code, in the code's order."""
    return [(group, [p for p in PROFESSIONS if p.group == group]) for group in GROUPS]


class ProfessionName(Text):
    """A health profession of the vocabulary, written in any of its forms; kept as its label.

    A text to editors (the editor's text box, the IDE's examples); the build checks it.
    """

    label = "profession de santé (liste de la référence du contenu)"

    def check(self, value, where):
        if not isinstance(value, str) or not value.strip():
            return where.error(
                "profession attendue, en toutes lettres (ex. médecin généraliste, infirmier)"
            )
        found = find(value)
        if found:
            return found.label
        near = closest(value)
        hint = f" ; vouliez-vous dire « {near.label} » ?" if near else ""
        return where.error(
            f"« {value.strip()} » n'est pas une profession de santé de la liste "
            f"(voir docs/content-reference.md, « Professions »){hint}"
        )

    def schema(self):
        # Editors' IDEs propose the labels; the build also takes the other forms, any case.
        return {"type": "string", "examples": [p.label for p in PROFESSIONS]}


def catalogue_entries() -> list[dict]:
    """The vocabulary as the forms read it from the catalogue (key "professions")."""
    return [
        {
            "slug": p.slug,
            "label": p.label,
            "plural": p.plural,
            "group": p.group,
            "forms": [normalised(f) for f in p.forms],
        }
        for p in PROFESSIONS
    ]


def reference_list() -> str:
    """The Markdown list of the content reference: label, other accepted forms, URL name."""
    lines = []
    for group, members in grouped():
        lines += ["", f"**{group}**", ""]
        for p in members:
            others = ", ".join(f"« {f} »" for f in p.forms[1:])
            lines.append(f"- {p.label}" + (f" (aussi : {others})" if others else ""))
    return "\n".join(lines).strip("\n")
