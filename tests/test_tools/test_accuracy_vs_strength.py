"""tools/accuracy_vs_strength.py: which checkpoints it scores, and how its
results read (the drop is full minus selected, one row per checkpoint)."""
import os.path as osp
import sys

import pytest

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import accuracy_vs_strength as strength  # noqa: E402


def test_scores_the_saved_epochs_from_the_second_scored_one(tmp_path):
    for epoch in (4, 8, 12):
        (tmp_path / f'epoch_{epoch}.pth').touch()
    (tmp_path / 'last_checkpoint').touch()
    found = strength.warm_checkpoints(str(tmp_path), None, curve_every=4)
    assert list(found) == [8, 12]
    assert found[8] == str(tmp_path / 'epoch_8.pth')


def test_a_missing_epoch_is_named(tmp_path):
    (tmp_path / 'epoch_20.pth').touch()
    with pytest.raises(SystemExit, match=r'epoch\(s\) \[8\].*saved: \[20\]'):
        strength.warm_checkpoints(str(tmp_path), [8, 20], curve_every=4)


def results_of(full_aps, selected_ap):
    rows = []
    for epoch, full_ap in full_aps.items():
        points = {}
        for point, k in (('paper', 133), ('half', 83)):
            for method, merge in strength.SELECTIONS:
                ap = selected_ap(full_ap, point, merge)
                points[strength.selection_name(point, method, merge)] = dict(
                    point=point, method=method, merge=merge, num_keep=k,
                    AP=ap, AP_drop=full_ap - ap)
        rows.append(dict(checkpoint=f'warm start epoch {epoch}',
                         AP_full=full_ap, points=points))
    return dict(meta=dict(persons_eval=10, budgets=dict(paper=133, half=83),
                          num_patches=192), rows=rows)


def test_table_rows_follow_the_checkpoints_with_losses_positive(tmp_path):
    results = results_of({8: 0.05, 20: 0.23},
                         lambda ap, point, merge: ap - 0.01 * (1 + merge))
    table = strength.markdown(results).splitlines()
    body = [line for line in table if line.startswith('| warm start')]
    assert [line.split('|')[1].strip() for line in body] == [
        'warm start epoch 8', 'warm start epoch 20']
    # accuracy lost reads as a positive drop
    assert all('+0.010' in line and '+0.020' in line for line in body)
    assert '-0.0' not in '\n'.join(body)
    figure = tmp_path / 'strength.png'
    strength.plot(results, str(figure))
    assert figure.stat().st_size > 0
