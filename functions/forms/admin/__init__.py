"""The operator's command for stored submissions: `python -m forms.admin --help`.

    list       a territory's submissions by date (id, date, form, territory, e-mail status)
    export     the same selection as CSV, every validated field in its own column
    erase      everything about one e-mail address (GDPR right to erasure), after confirmation
    resend     the e-mails still pending, through the configured mailer
    expiring   placements of the catalogue that end within N days, per territory
    followup, introduce, call, settle, close
               the follow-up of welcomer requests (forms.admin.welcome)
    digest     requests left without action (--send: the daily e-mail)
    statement  each welcomer's monthly statement (CSV; --send: to the operator)
    report     a territory's monthly figures (CSV, --html with a chart)
    registrations  an event's registrations (CSV)

Backends: the local SQLite store (`--store sqlite:var/submissions.sqlite3`, the default) or the
production table (`--store dynamodb:TABLE`, or $TABLE_NAME). Never imports Pelican.
"""

from .queries import Selection, SQLiteAdmin, Summary

__all__ = ["SQLiteAdmin", "Selection", "Summary"]
