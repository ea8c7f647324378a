"""The README quotes results that a tool wrote: the accuracy table is the
tool's own rendering of the committed results JSON."""
import json
import os.path as osp
import sys

import pytest

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import benchmark_accuracy as accuracy  # noqa: E402


def test_readme_table_is_the_committed_results():
    """The README's accuracy table is ``--table`` of the committed
    ``docs/results/accuracy_synthetic_cpu.json``, not typed by hand."""
    path = osp.join(accuracy.PROJECT, 'docs', 'results',
                    'accuracy_synthetic_cpu.json')
    if not osp.isfile(path):
        pytest.skip('no docs/results/accuracy_synthetic_cpu.json yet: the '
                    'README quotes no --preset cpu table')
    with open(path) as f:
        results = json.load(f)
    with open(osp.join(accuracy.PROJECT, 'README.md')) as f:
        readme = f.read()
    begin, end = ('<!-- accuracy_synthetic_cpu table -->',
                  '<!-- /accuracy_synthetic_cpu table -->')
    assert begin in readme and end in readme
    table = readme.split(begin)[1].split(end)[0]
    assert table.strip() == accuracy.markdown(results)
    assert results['meta']['preset'] == 'cpu'
    assert len(results['meta']['seeds']) >= 3
