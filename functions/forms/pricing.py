"""Pack order pricing, from the territory's YAML only: nothing priced by the browser."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .catalogue import PackInfo

CENT = Decimal("0.01")


def _amount(value: Decimal) -> str:
    """A decimal string rounded to cents, without a useless ".00" ("299", "299.50")."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return str(rounded.quantize(Decimal(1))) if rounded == rounded.to_integral() else str(rounded)


def price_order(pack: PackInfo, quantity: int) -> dict:
    """The order's amounts as decimal strings (stored with the submission). Prices are HT
    (excluding VAT), as the territory's YAML writes them; VAT is computed on the total."""
    total = (pack.net_price_eur * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    vat = (total * pack.vat_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "unit_price_eur": _amount(pack.net_price_eur),
        "total_eur": _amount(total),
        "list_price_eur": _amount(pack.price_eur),
        "subsidy_eur": _amount(pack.subsidy_eur),
        "subsidy_by": pack.subsidy_by,
        "quantity": quantity,
        "vat_rate": _amount(pack.vat_rate),
        "vat_eur": _amount(vat),
        "total_ttc_eur": _amount(total + vat),
    }


def as_json_number(amount: str) -> int | float:
    """A stored decimal string as a JSON number rounded to cents: 299 or 299.5."""
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral() else float(value)
