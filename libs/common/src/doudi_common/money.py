"""Money as integer fen (分): parsing and formatting yuan text, exact rounding of computed amounts.

Rules compute with ``Fraction``/``Decimal`` amounts *in fen* and round only the payable amount
(DOMAIN §0.2.3, §5.1.4); binary floats are refused everywhere.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import NewType

from doudi_common.errors import InvalidArgument

Fen = NewType("Fen", int)

#: The largest amount an ``int64 amount_fen`` field can carry.
MAX_FEN = 2**63 - 1

FEN_PER_YUAN = 100

# Plain digits or correctly grouped thousands, then at most two decimals; no exponent, NaN or infinity.
_YUAN = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<frac>[0-9]{1,2}))?")


def _require_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int number of fen, not {type(value).__name__}")
    return value


def _exact(value: Fraction | Decimal | int) -> Fraction:
    if isinstance(value, bool | float) or not isinstance(value, Fraction | Decimal | int):
        raise TypeError(f"amount must be a Fraction, Decimal or int, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("amount must be finite")
    return Fraction(value)


def validate_fen(
    value: int, field: str = "amount", *, allow_negative: bool = False, maximum: int = MAX_FEN
) -> Fen:
    """Check an amount in fen against its bounds, raising ``InvalidArgument`` on ``field``."""
    _require_int(value, field)
    if value < 0 and not allow_negative:
        raise InvalidArgument.single(field, "must not be negative")
    if value > maximum:
        raise InvalidArgument.single(field, f"must be at most {format_yuan(maximum)} yuan")
    if value < -MAX_FEN:
        raise InvalidArgument.single(field, "is out of range")
    return Fen(value)


def parse_yuan(
    text: str, field: str = "amount", *, allow_negative: bool = False, maximum: int = MAX_FEN
) -> Fen:
    """``"1,234.56"`` → ``123456`` fen. At most two decimals; thousands separators must be well placed."""
    if not isinstance(text, str):
        raise TypeError(f"parse_yuan takes text, not {type(text).__name__}")
    match = _YUAN.fullmatch(text.strip())
    if match is None:
        raise InvalidArgument.single(
            field, "must be an amount in yuan with at most two decimals, e.g. 1234.56"
        )
    whole = int(match["whole"].replace(",", ""))
    fraction = int((match["frac"] or "").ljust(2, "0"))
    fen = whole * FEN_PER_YUAN + fraction
    if match["sign"] == "-":
        fen = -fen
    return validate_fen(fen, field, allow_negative=allow_negative, maximum=maximum)


def format_yuan(fen: int) -> str:
    """``123456`` → ``"1,234.56"``; negative amounts get a leading minus sign."""
    _require_int(fen, "fen")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_to_decimal(fen: int) -> Decimal:
    """The amount as an exact Decimal in yuan, for reports that compute in yuan."""
    return Decimal(_require_int(fen, "fen")).scaleb(-2)


def _round_half_up(value: Fraction) -> int:
    # Half away from zero, as Decimal's ROUND_HALF_UP and the everyday 四舍五入 do.
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return -magnitude if value < 0 else magnitude


def round_half_up_to_fen(value: Fraction | Decimal | int) -> Fen:
    """An exact amount in fen rounded to whole fen, halves away from zero."""
    return Fen(_round_half_up(_exact(value)))


def round_half_up_to_yuan_fen(value: Fraction | Decimal | int) -> Fen:
    """An exact amount in fen rounded to whole yuan, halves away from zero, returned in fen.

    This is the payable-amount rounding of parameter ``dibao.rounding`` (DOMAIN §3, §5.1.4).
    """
    return Fen(_round_half_up(_exact(value) / FEN_PER_YUAN) * FEN_PER_YUAN)
