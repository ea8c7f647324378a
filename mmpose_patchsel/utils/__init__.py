"""Small pure-python helpers shared across the package."""
from .validation import check_choice, check_int, check_number

__all__ = ['check_int', 'check_number', 'check_choice']
