"""The README quotes results that a tool wrote: each accuracy table is the
tool's own rendering of the committed results JSON."""
import json
import os.path as osp
import sys

import pytest

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import benchmark_accuracy as accuracy  # noqa: E402


@pytest.mark.parametrize('preset', ['cpu', 'gpu'])
def test_readme_table_is_the_committed_results(preset):
    """The README's accuracy table of ``preset`` is ``--table`` of the
    committed ``docs/results/accuracy_synthetic_<preset>.json``, not typed
    by hand."""
    name = f'accuracy_synthetic_{preset}'
    path = osp.join(accuracy.PROJECT, 'docs', 'results', f'{name}.json')
    if not osp.isfile(path):
        pytest.skip(f'no docs/results/{name}.json yet: the README quotes '
                    f'no --preset {preset} table')
    with open(path) as f:
        results = json.load(f)
    with open(osp.join(accuracy.PROJECT, 'README.md')) as f:
        readme = f.read()
    begin, end = f'<!-- {name} table -->', f'<!-- /{name} table -->'
    assert begin in readme and end in readme
    table = readme.split(begin)[1].split(end)[0]
    assert table.strip() == accuracy.markdown(results)
    assert results['meta']['preset'] == preset
    assert len(results['meta']['seeds']) >= 3
