"""Marked blocks: found with their names and lines, filled between the
markers only, and a marker without its partner is an error naming the
file and line."""
import pytest

from mmpose_patchsel.analysis.table_markers import (MarkerError, as_body,
                                                    fill_blocks, find_blocks)

TEXT = '''# Title
text before
<!-- table: first -->
old line 1
old line 2
<!-- /table: first -->
between
<!-- table: second -->
<!-- /table: second -->
after
'''


def test_blocks_are_found_with_name_line_and_body():
    first, second = find_blocks(TEXT)
    assert (first.name, first.line) == ('first', 3)
    assert first.body == 'old line 1\nold line 2\n'
    assert (second.name, second.line, second.body) == ('second', 8, '')


def test_fill_rewrites_only_between_markers():
    filled = fill_blocks(TEXT, lambda b: f'\n| {b.name} |\n\n')
    assert filled == TEXT.replace('old line 1\nold line 2\n', '| first |\n')\
        .replace('<!-- table: second -->\n',
                 '<!-- table: second -->\n| second |\n')
    # Filling again with the same rendering changes nothing.
    again = fill_blocks(filled, lambda b: f'| {b.name} |')
    assert again == filled
    assert [b.body for b in find_blocks(filled)] == [
        as_body('| first |'), as_body('| second |')]


@pytest.mark.parametrize('text, message', [
    ('<!-- table: a -->\nx\n', r'notes\.md:1: .*table: a.* has no'),
    ('x\n<!-- /table: a -->\n', r'notes\.md:2: .*closes no open'),
    ('<!-- table: a -->\n<!-- table: b -->\n<!-- /table: b -->\n'
     '<!-- /table: a -->\n', r'notes\.md:2: .*table: b.* opens before'),
    ('<!-- table: a -->\n<!-- /table: b -->\n', r'notes\.md:2: .*table: b'),
])
def test_unpaired_markers_name_file_and_line(text, message):
    with pytest.raises(MarkerError, match=message):
        find_blocks(text, 'notes.md')


def test_marker_must_be_a_whole_line():
    # Quoted in prose (inline code), a marker is not a block.
    assert find_blocks('write `<!-- table: x -->` around it\n') == []
