"""The operator's command for stored submissions: `python -m forms.admin --help`.

    list       a territory's submissions by date (id, date, form, territory, e-mail status)
    export     the same selection as CSV, every validated field in its own column
    erase      everything about one e-mail address (GDPR right to erasure): its submissions,
               their e-mail jobs and outbox files, after confirmation
    failed     the e-mails set aside as undeliverable, and why
    resend     the e-mails due now (--failed: the failed ones too), claimed as every sender does
    expiring   placements of the catalogue that end within N days, per territory

Backends: the local SQLite store (`--store sqlite:var/submissions.sqlite3`, the default) or the
production table (`--store dynamodb:TABLE`, or $TABLE_NAME). Never imports Pelican.
"""

from .queries import Selection, SQLiteAdmin, Summary

__all__ = ["SQLiteAdmin", "Selection", "Summary"]
