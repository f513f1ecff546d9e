"""Production settings: absolute URLs on the public domain (`make publish`)."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: F403

# One territory built alone gets its own domain: SITEURL=https://sante.loiret.fr make publish
SITEURL = os.environ.get("SITEURL", "https://territoires-sante.fr")
RELATIVE_URLS = False

# A release is built from an empty folder: nothing of an earlier build can linger.
DELETE_OUTPUT_DIRECTORY = True
