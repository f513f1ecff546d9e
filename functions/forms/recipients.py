"""Who hears of what: the territory's staff, the operator, the placement's contact."""

from __future__ import annotations

from .catalogue import PlacementInfo, TerritoryInfo


def staff(
    territory: TerritoryInfo, operator_email: str = "", placement: PlacementInfo | None = None
) -> list[str]:
    """The territory's notify list, the operator's inbox (every submission of every form,
    CONTRACT 3.1), and the contact of the placement a request is about; without repeats."""
    found: list[str] = []
    extra = [operator_email, placement.contact if placement else None]
    for address in [*territory.notify, *extra]:
        if address and address.casefold() not in (a.casefold() for a in found):
            found.append(address)
    return found
