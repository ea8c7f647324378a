"""Small pure-python helpers shared across the package."""
from .config import find_test_transform
from .validation import check_choice, check_int, check_number

__all__ = ['check_int', 'check_number', 'check_choice', 'find_test_transform']
