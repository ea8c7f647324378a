"""tools/update_tables.py on a scratch Markdown file: a stale block is
found and rewritten (and nothing outside the markers), an unknown name or
a missing JSON is an error that says what to do."""
import json
import os.path as osp
import sys

import pytest

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import update_tables  # noqa: E402

PAGE = '''# Notes
Prose the tool must keep: | not | a | table |
<!-- table: kept -->
| a stale copy |
<!-- /table: kept -->
More prose.
'''


@pytest.fixture
def results_dir(tmp_path):
    folder = tmp_path / 'results'
    folder.mkdir()
    (folder / 'kept.json').write_text(json.dumps({'rows': [1, 2]}))
    return folder


@pytest.fixture
def registry(monkeypatch):
    """A table of rows 'n' and 'n squared', from kept.json."""

    def render(results):
        return '\n'.join(f'| {n} | {n * n} |'
                         for n in results['kept']['rows'])

    tables = {'kept': update_tables.Table(render, ('kept', ))}
    monkeypatch.setattr(update_tables, 'TABLES', tables)
    monkeypatch.setitem(update_tables.COMMANDS, 'kept',
                        'python tools/keep.py --out kept.json')
    return tables


def test_stale_block_is_found_then_rewritten(tmp_path, results_dir,
                                             registry, capsys):
    page = tmp_path / 'page.md'
    page.write_text(PAGE)
    args = [str(page), '--results-dir', str(results_dir)]
    assert update_tables.main(['--check', *args]) == 1
    assert f'stale: {page}:3 kept' in capsys.readouterr().out
    assert page.read_text() == PAGE  # --check writes nothing

    assert update_tables.main(args) == 0
    assert page.read_text() == PAGE.replace('| a stale copy |',
                                            '| 1 | 1 |\n| 2 | 4 |')
    assert update_tables.main(['--check', *args]) == 0

    # New results make the block stale again.
    (results_dir / 'kept.json').write_text(json.dumps({'rows': [3]}))
    assert update_tables.main(['--check', *args]) == 1


@pytest.mark.parametrize('check', [True, False])
def test_unknown_name_names_file_and_marker(tmp_path, results_dir, registry,
                                           capsys, check):
    typo = '<!-- table: typo -->\nhand-typed\n<!-- /table: typo -->\n'
    page = tmp_path / 'page.md'
    page.write_text(PAGE + typo)
    args = [str(page), '--results-dir', str(results_dir)]
    assert update_tables.main(['--check'] * check + args) == 2
    error = capsys.readouterr().err
    assert f'{page}:7' in error and '<!-- table: typo -->' in error
    # The other blocks are still checked or filled; the unknown one is
    # left as it is.
    assert page.read_text().endswith('| 2 | 4 |\n<!-- /table: kept -->\n'
                                     'More prose.\n' + typo) != check


def test_missing_json_names_it_and_its_command(tmp_path, registry):
    page = tmp_path / 'page.md'
    page.write_text(PAGE)
    render = update_tables.Renderer(str(tmp_path / 'empty'))
    with pytest.raises(update_tables.TableError) as error:
        update_tables.update(str(page), render)
    message = str(error.value)
    assert osp.join(str(tmp_path / 'empty'), 'kept.json') in message
    assert 'python tools/keep.py --out kept.json' in message


def test_every_table_source_has_its_command():
    """The missing-JSON error can always say which command writes it."""
    for name, table in update_tables.TABLES.items():
        for stem in table.sources + table.optional:
            assert stem in update_tables.COMMANDS, (name, stem)
