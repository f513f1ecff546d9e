"""Pelican settings for a local build (`make html`); publishconf.py builds for production."""

import os

from jinja2 import StrictUndefined

AUTHOR = "Territoires"
SITENAME = "Territoires de santé"
SITE_DESCRIPTION = (
    "Des territoires accueillent les professionnels de santé et leur famille : "
    "remplacements, stages et collaborations pour venir essayer le territoire, welcomers, "
    "écoles, emploi du conjoint, logement."
)
# The data controller of the forms, named by their consent text (GDPR art. 13).
OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "Territoires de santé")
OPERATOR_LEGAL_NAME = os.environ.get("OPERATOR_LEGAL_NAME", "")
# Root-relative links locally: the site works from `make serve` at any port.
SITEURL = ""
RELATIVE_URLS = False

PATH = "content"
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "fr"
LOCALE = ("fr_FR.UTF-8", "C.UTF-8")

THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["territories"]

# Our settings (defaults in plugins/territories/settings.py).
TERRITORIES_PATH = "territories"
# `make html TERRITORY=loiret` builds that territory alone, as a standalone site.
TERRITORY = os.environ.get("TERRITORY", "")
FORMS_API_URL = os.environ.get("FORMS_API_URL", "")

# A missing field breaks the build instead of printing nothing; every value is escaped.
JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "undefined": StrictUndefined,
    "autoescape": True,
}

# The operator's pages (content/pages/*.md) live at /<file-name>/.
PAGE_PATHS = ["pages"]
ARTICLE_PATHS = []
SLUGIFY_SOURCE = "basename"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_SAVE_AS = ""
STATIC_PATHS = []

# No blog: no index of articles, tags, categories, authors, archives or article feeds.
DIRECT_TEMPLATES = []
ARTICLE_SAVE_AS = ""
ARTICLE_LANG_SAVE_AS = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
TAG_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Incremental builds: our plugin rewrites only changed files and removes those no longer
# produced (its manifest sits beside the output folder, in .output-cache/). publishconf.py
# builds from scratch.
DELETE_OUTPUT_DIRECTORY = False
