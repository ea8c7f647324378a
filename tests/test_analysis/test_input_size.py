"""Input sizes from the command line, in either order, and bad ones
refused as usage errors."""
import argparse

import pytest

from mmpose_patchsel.analysis.input_size import parse_hxw, parse_wxh


def test_both_orders_give_width_height():
    assert parse_wxh('192x256') == (192, 256)
    assert parse_hxw('256x192') == (192, 256)
    assert parse_hxw('1024X768') == (768, 1024)


@pytest.mark.parametrize('parse, text, words', [
    (parse_wxh, '192by256', "bad input size '192by256': expected WxH"),
    (parse_hxw, '256x192x3', 'expected HxW, e.g. 256x192'),
])
def test_bad_text_is_a_usage_error(parse, text, words):
    with pytest.raises(argparse.ArgumentTypeError, match=words):
        parse(text)


def test_an_empty_grid_is_refused():
    with pytest.raises(ValueError, match='the grid would be empty'):
        parse_wxh('8x8')
