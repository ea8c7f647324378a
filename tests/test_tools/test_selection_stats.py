"""tools/selection_stats.py --out on the bundled COCO persons: one row
per setting over the same persons, a budget kept exactly, and a bad
setting refused before any data is read."""
import json
import os.path as osp
import subprocess
import sys

from mmpose_patchsel.analysis.results_tables import selection_stats_table

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def selection_stats(*args):
    return subprocess.run(
        [sys.executable, osp.join(PROJECT, 'tools', 'selection_stats.py'),
         *args], cwd=PROJECT, capture_output=True, text=True)


def test_out_rows(coco_root, tmp_path):
    out_file = tmp_path / 'stats.json'
    done = selection_stats('--data-root', str(coco_root), '--settings',
                           'neighbour:0', 'neighbour:4', 'skeleton:0:50',
                           '--out', str(out_file))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(out_file.read_text())
    rows = {r['setting']: r for r in results['rows']}
    assert list(rows) == ['neighbour:0', 'neighbour:4', 'skeleton:0:50']
    assert len({r['persons'] for r in rows.values()}) == 1
    assert rows['neighbour:0']['persons'] > 0
    # More neighbours keep more cells; a budget is filled exactly.
    assert rows['neighbour:0']['mean'] < rows['neighbour:4']['mean']
    assert rows['skeleton:0:50']['min'] == rows['skeleton:0:50']['max'] == 50
    assert results['grid'] == [16, 12] and results['num_patches'] == 192
    assert results['guide'] == 'annotation (ground truth)'
    assert '| `skeleton:0:50` |' in selection_stats_table(results)
    assert '| 50 | 50 | 26.0 |' in selection_stats_table(results)


def test_bad_setting_is_refused(coco_root):
    done = selection_stats('--data-root', str(coco_root), '--settings',
                           'neighbour:4', 'nearest:4')
    assert done.returncode == 2
    assert "bad setting 'nearest:4'" in done.stderr
