"""tools/head_norm_study.py on the accuracy benchmark's CI run (its data,
guide, warm start and full model reused, as the study reuses a benchmark
run): every head's rows are written, the masked head scored on its own,
and the table renders."""
import json
import os
import os.path as osp
import shutil

import pytest

from mmpose_patchsel.benchmarks.head_norm import (HEADS, markdown,
                                                  selections_of)
from patchsel_testing import load_script

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(PROJECT, 'tools', 'head_norm_study.py')


@pytest.mark.slow
def test_every_row_and_the_table_on_the_ci_run(ci_benchmark, tmp_path,
                                               capsys):
    accuracy_dir, accuracy_results = ci_benchmark
    work = tmp_path / 'work'
    shutil.copytree(accuracy_dir, work)  # the shared run stays as it is
    cached = set(os.listdir(work / 'evaluations'))
    out = tmp_path / 'head_norm.json'
    epochs = 2  # the code path is under test, not what the heads learn
    load_script(TOOL).main([
        '--preset', 'ci', '--threads', '1', '--head-epochs', str(epochs),
        '--work-dir', str(work), '--results', str(out)
    ])
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
    assert meta['head_epochs'] == epochs
    assert meta['budgets'] == accuracy_results['meta']['budgets']
    assert 'minus the row' in meta['ap_drop']
    trained = {h['key']: h['train_seconds'] for h in results['heads']}
    assert trained['batchnorm'] > 0 and trained['instancenorm'] > 0
    assert trained['instancenorm_masked'] is None  # test time only
    # One new evaluation per (config, checkpoint): the guide, 5 rows of
    # each trained head, 2 of the masked head (its configs are its own).
    new = set(os.listdir(work / 'evaluations')) - cached
    assert len(new) == 1 + 3 * 5 + 2
    for folder in ('head_batchnorm', 'head_instancenorm'):
        assert (work / f'{folder}_{epochs}e' /
                f'epoch_{epochs}.pth').is_file()
    capsys.readouterr()
    load_script(TOOL).main(['--table', str(out)])
    assert capsys.readouterr().out.strip() == markdown(results).strip()
