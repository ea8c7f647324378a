"""The accuracy benchmark's code path at CI size.

``tools/benchmark_accuracy.py --preset ci`` runs every stage (generate,
train the guide, dump it with tools/dump_guide.py, warm start, fine-tune
each method, evaluate, count, time, sweep, table, plot) on 6 synthetic
images and evaluates on those same images: in minutes nothing learns
held-out poses, so the check is that training lifts the AP off the floor
of random weights, measured here with the same config and images.
"""
import json

import torch
from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis import evaluate_checkpoint


def random_weights_ap(work_dir) -> float:
    """AP of the full fine-tuning config with fresh random weights."""
    cfg = Config.fromfile(str(work_dir / 'full' / 'config.py'))
    torch.manual_seed(0)
    model = init_model(cfg, device='cpu')
    model.init_weights()
    ckpt = str(work_dir / 'random_weights.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return evaluate_checkpoint(cfg, ckpt)[0]['coco/AP']


def test_every_row_and_the_table_are_written(ci_benchmark):
    work_dir, results = ci_benchmark
    rows = {(r['method'], r['trained']): r for r in results['rows']}
    assert set(rows) == {
        ('full', 'yes'), ('neighbour', 'yes'), ('skeleton', 'yes'),
        ('joint tokens', 'yes'), ('neighbour', 'no (full model)'),
        ('skeleton', 'no (full model)')
    }
    full = rows[('full', 'yes')]
    assert full['tokens'] == 192 and full['AP_drop'] == 0
    for key, row in rows.items():
        assert 0 <= row['AP'] <= 1 and row['speedup'] > 0, key
        if key != ('full', 'yes'):
            # Never more tokens or FLOPs than the full model (a guide with
            # no confident keypoint falls back to keeping every patch).
            assert row['tokens'] <= 192, key
            assert row['gflops'] <= full['gflops'], key
            assert row['gflops_no_attn'] <= full['gflops_no_attn'], key
    # Joint tokens prune by themselves: always fewer tokens.
    assert rows[('joint tokens', 'yes')]['tokens'] < 192
    meta = results['meta']
    assert meta['synthetic'] is True and meta['eval_split'] == 'train'
    table = (work_dir / 'results.md').read_text()
    assert 'SYNTHETIC' in table and table.count('\n| ') == 7
    assert (work_dir / 'ap_vs_gflops.png').stat().st_size > 10_000
    sweeps = results['sweeps']
    assert len(sweeps) == 4 and all(len(p) == 1 for p in sweeps.values())
    with open(work_dir / 'data' / 'guide' / 'litehrnet-18_train.json') as f:
        guide = json.load(f)
    assert len(guide) == meta['persons_eval']
    assert all({'image_id', 'keypoints', 'bbox'} <= set(g) for g in guide)


def test_training_lifts_ap_off_the_random_weights_floor(ci_benchmark):
    work_dir, results = ci_benchmark
    floor = random_weights_ap(work_dir)
    full = next(r for r in results['rows'] if r['method'] == 'full')
    assert full['AP'] > floor and full['AR'] >= 0.01, (full, floor)
