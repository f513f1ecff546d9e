"""An e-mail a flow decided to send: its stable key and its composed message.

Flows compose their messages when they change a record, and hand them to the store with the
change, so both are written in one transaction: the key makes a second write of the same
e-mail a no-op (never two introductions), whatever the retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class Outgoing:
    key: str  # e.g. "<request id>/introduction/<welcomer id>/welcomer"
    message: EmailMessage

    @property
    def recipients(self) -> list[str]:
        """Every address the message goes to (kept with the job, for erasure)."""
        found = []
        for header in ("To", "Cc", "Bcc"):
            for address in getattr(self.message[header], "addresses", ()) or ():
                found.append(address.addr_spec)
        return found
