"""The shared argument checks: types, bounds and messages."""
import numpy as np
import pytest

from mmpose_patchsel.utils import check_choice, check_int, check_number


def test_check_int_accepts_integers_and_returns_int():
    assert check_int('n', 3) == 3
    value = check_int('n', np.int64(4), 0, 4)
    assert value == 4 and type(value) is int


@pytest.mark.parametrize('value,kwargs,exc,message', [
    (True, {}, TypeError, 'n must be an int, got n=True'),
    (2.0, {}, TypeError, 'n must be an int, got n=2.0'),
    ('3', {}, TypeError, "n must be an int, got n='3'"),
    (-1, dict(minimum=0), ValueError, 'n must be an int >= 0, got n=-1'),
    (5, dict(maximum=4), ValueError, 'n must be an int <= 4, got n=5'),
    (0, dict(minimum=1, maximum=4, context=' for the grid'), ValueError,
     'n must be an int in [1, 4] for the grid, got n=0'),
])
def test_check_int_errors(value, kwargs, exc, message):
    with pytest.raises(exc) as info:
        check_int('n', value, **kwargs)
    assert str(info.value) == message


def test_check_number():
    assert check_number('x', 1) == 1.0
    assert check_number('x', np.float32(0.5), 0, 1) == 0.5
    assert check_number('x', 0, 0, 1) == 0.0
    with pytest.raises(ValueError,
                       match=r'x must be a real number in '
                       r'\(0, 1\], got x=0'):
        check_number('x', 0, 0, 1, exclusive_min=True)
    with pytest.raises(ValueError, match='x=nan'):
        check_number('x', float('nan'))
    with pytest.raises(ValueError, match=r'>= 0, got x=-0.5'):
        check_number('x', -0.5, 0)
    with pytest.raises(TypeError, match='x=False'):
        check_number('x', False)
    with pytest.raises(TypeError, match='x=None'):
        check_number('x', None)


def test_check_choice():
    assert check_choice('mode', 'a', ('a', 'b')) == 'a'
    with pytest.raises(ValueError,
                       match=r"mode must be one of \('a', 'b'\), got "
                       r"mode='c'"):
        check_choice('mode', 'c', ['a', 'b'])
