"""`python -m forms.admin`: see forms.admin.cli."""

from .cli import main

raise SystemExit(main())
