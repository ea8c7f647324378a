"""tools/head_norm_study.py at --dry-run toy sizes: every head's rows are
written, the masked head scored on its own, and the table renders."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmpose_patchsel.benchmarks.head_norm import HEADS, markdown, selections_of

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(PROJECT, 'tools', 'head_norm_study.py')


def tool(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, TOOL, *args],
                          cwd=PROJECT,
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_dry_run_writes_every_row_and_the_table(tmp_path):
    out = tmp_path / 'head_norm.json'
    work = tmp_path / 'work'
    tool('--preset', 'cpu', '--dry-run', '--seeds', '0', '--threads', '1',
         '--work-dir', str(work), '--results', str(out))
    results = json.loads(out.read_text())
    rows = {(r['head'], r['selection']): r for r in results['rows']}
    assert set(rows) == {(h.key, 'full')
                         for h in HEADS} | {(h.key, s.name)
                                            for h in HEADS
                                            for s in selections_of(h)}
    for (key, name), r in rows.items():
        full = rows[(key, 'full')]
        assert r['seeds'] == [0] and r['AP_std'] is None
        assert r['AP_drop'] == pytest.approx(full['AP'] - r['AP'])
        assert 0 <= r['AP'] <= 1
    meta = results['meta']
    assert meta['head_epochs'] == 2 and meta['budgets'] == dict(paper=133,
                                                                half=83)
    assert 'minus the row' in meta['ap_drop']
    trained = {h['key']: h['train_seconds'] for h in results['heads']}
    assert trained['batchnorm'] > 0 and trained['instancenorm'] > 0
    assert trained['instancenorm_masked'] is None  # test time only
    # One evaluation per (config, checkpoint): the guide, 5 rows of each
    # trained head, 2 of the masked head (its configs are its own).
    assert len(os.listdir(work / 'evaluations')) == 1 + 3 * 5 + 2
    for folder in ('full', 'head_batchnorm_2e', 'head_instancenorm_2e'):
        assert (work / folder /
                'epoch_{}.pth'.format(1 if folder == 'full' else 2)).is_file()
    printed = tool('--table', str(out)).stdout
    assert printed.strip() == markdown(results).strip()
