"""README.md and docs/ quote results that a tool wrote: every marked table
is the rendering of its committed JSON under docs/results/ (what
``tools/update_tables.py --check`` checks), and no GPU results are quoted
while no GPU results file exists."""
import os.path as osp
import sys

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import update_tables  # noqa: E402

from mmpose_patchsel.analysis.table_markers import find_blocks  # noqa: E402

GPU_RESULTS = osp.join(update_tables.RESULTS_DIR,
                       'accuracy_synthetic_gpu.json')


def marked_blocks():
    """(file, block) of every marked block of README.md and docs/."""
    for path in update_tables.default_files():
        with open(path) as f:
            for block in find_blocks(f.read(), path):
                yield path, block


def test_every_marked_table_is_its_json_rendered():
    stale, errors = update_tables.check_files(update_tables.default_files(),
                                              update_tables.Renderer())
    assert not errors, '\n'.join(errors)
    assert not stale, ('stale tables (python tools/update_tables.py '
                       'rewrites them):\n' + '\n'.join(stale))


def test_no_gpu_results_quoted_without_gpu_results():
    if osp.isfile(GPU_RESULTS):
        # Quoted now: then the summary's GPU rows must be there, rendered.
        summaries = [b for _, b in marked_blocks() if b.name == 'summary']
        assert all('GPU speed-up' in b.body for b in summaries)
        return
    for path, block in marked_blocks():
        assert block.name != 'accuracy_synthetic_gpu', path
        assert 'GPU speed-up' not in block.body, (path, block.name)
    for path in update_tables.default_files():
        with open(path) as f:
            rows = [line for line in f if line.startswith('|')]
        assert not any('GPU speed-up' in row for row in rows), path
