"""Argument checks with errors that name the argument and its value.

Pure python (stdlib only), so the mmengine-free ``selection`` package can use
it too. Wrong types raise ``TypeError``, values out of range ``ValueError``;
``bool`` is never accepted as a number.
"""
import math
import numbers
from typing import Any, Optional, Sequence


def _bounds(minimum, maximum, exclusive_min: bool = False) -> str:
    lo = '(' if exclusive_min else '['
    if minimum is not None and maximum is not None:
        return f' in {lo}{minimum}, {maximum}]'
    if minimum is not None:
        return f' {">" if exclusive_min else ">="} {minimum}'
    if maximum is not None:
        return f' <= {maximum}'
    return ''


def check_int(name: str,
              value: Any,
              minimum: Optional[int] = None,
              maximum: Optional[int] = None,
              context: str = '') -> int:
    """Return ``value`` as ``int`` if it is an integer in the bounds.

    Args:
        name (str): argument name for the message.
        value: the value; python or numpy integers, not bools.
        minimum, maximum (int, optional): inclusive bounds.
        context (str): appended to the requirement in the message, e.g.
            ``' for the 16x12 grid'``.
    """
    need = f'{name} must be an int{_bounds(minimum, maximum)}{context}'
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f'{need}, got {name}={value!r}')
    if (minimum is not None and value < minimum) or (maximum is not None
                                                     and value > maximum):
        raise ValueError(f'{need}, got {name}={value!r}')
    return int(value)


def check_number(name: str,
                 value: Any,
                 minimum: Optional[float] = None,
                 maximum: Optional[float] = None,
                 exclusive_min: bool = False) -> float:
    """Return ``value`` as ``float`` if it is a real number in the bounds.

    NaN is rejected; bounds are inclusive except the lower one with
    ``exclusive_min=True`` (e.g. a rate in ``(0, 1]``).
    """
    need = (f'{name} must be a real number'
            f'{_bounds(minimum, maximum, exclusive_min)}')
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{need}, got {name}={value!r}')
    too_low = minimum is not None and (value <= minimum
                                       if exclusive_min else value < minimum)
    if math.isnan(value) or too_low or (maximum is not None
                                        and value > maximum):
        raise ValueError(f'{need}, got {name}={value!r}')
    return float(value)


def check_choice(name: str, value: Any, choices: Sequence) -> Any:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(
            f'{name} must be one of {tuple(choices)}, got {name}={value!r}')
    return value
