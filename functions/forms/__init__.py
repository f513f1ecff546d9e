"""The forms of the territories: welcomer requests and pack orders (see docs/forms.md)."""
