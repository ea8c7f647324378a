"""The video benchmark's code path at CI size, on the accuracy benchmark's
CI models: every row runs through the tracker, is scored by CocoMetric and
timed, and the counts of where each person's guide came from add up."""
import json
import os.path as osp
import subprocess
import sys

import pytest

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

ROWS = ['(a) full', '(b) online guide', '(c) previous frame',
        '(d) previous frame + refresh',
        '(c) on ground-truth previous poses (diagnostic)']


@pytest.mark.slow
def test_video_benchmark_rows(ci_benchmark, coco_root, tmp_path):
    accuracy_dir, _ = ci_benchmark
    results_file = tmp_path / 'video.json'
    done = subprocess.run(
        [sys.executable, osp.join(PROJECT, 'tools', 'benchmark_video.py'),
         '--preset', 'ci', '--accuracy-work-dir', str(accuracy_dir),
         '--work-dir', str(tmp_path / 'video'), '--coco-root',
         str(coco_root), '--refresh-interval', '2', '--results',
         str(results_file)],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(results_file.read_text())
    assert [b['model'].split(', ')[-1] for b in results['blocks']] == [
        'synthetic clips', 'coco clips']
    for block in results['blocks']:
        rows = block['rows']
        assert list(rows) == ROWS
        persons = rows[ROWS[0]]['persons']
        assert persons > 0
        for name, row in rows.items():
            assert row['persons'] == persons, name  # same boxes for all
            assert sum(row['by_source'].values()) == persons, name
            assert 0 <= row['AP'] <= 1 and row['frame_ms_median'] > 0, name
        assert rows[ROWS[0]]['by_source']['full'] == persons
        assert rows[ROWS[1]]['by_source']['online'] == persons
        # Previous-frame rows: a person without a usable previous pose falls
        # back to the online guide, and every fallback is counted; (d) also
        # refreshes every second frame.
        previous = rows[ROWS[2]]
        assert previous['by_source']['full'] == 0
        assert previous['by_source']['online'] == previous['fallbacks'] >= 1
        refreshed = rows[ROWS[3]]['by_source']
        assert refreshed['online'] >= rows[ROWS[3]]['fallbacks']
        assert previous['tokens'] < 192
        assert block['model_only']['speedup'] > 0
    table = (tmp_path / 'video' / 'results.md').read_text()
    assert table.count('| (c) previous frame |') == 2
