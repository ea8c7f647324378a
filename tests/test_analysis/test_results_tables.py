"""The renderers of the results tables, on small hand-written results:
drops signed full minus row and paired per seed, ratios in the convention
of the column beside them, a GPU table only from GPU results, counts read
from the JSON."""
import copy

import pytest

from mmpose_patchsel.analysis.results_tables import (flops_table,
                                                     speed_table,
                                                     summary_table,
                                                     video_table, vit_label)
from mmpose_patchsel.benchmarks.accuracy.report import ap_drops


def cells(table: str, first: str) -> list:
    """The cells of the table row whose first cell is ``first``."""
    for line in table.splitlines():
        row = [c.strip() for c in line.strip('|').split('|')]
        if line.startswith('|') and row[0] == first:
            return row
    raise AssertionError(f'no row {first!r} in\n{table}')


def accuracy_row(name, method, setting, trained, merge, seeds, aps,
                 gflops_no_attn, speedup):
    spread = (max(aps) - min(aps)) / 2 ** 0.5 if len(aps) == 2 else None
    return dict(name=name, method=method, setting=setting, trained=trained,
                merge=merge, seeds=seeds, AP_seeds=aps, AP=sum(aps) / len(aps),
                AP_std=spread, tokens=100.0,
                gflops=gflops_no_attn + 0.1, gflops_no_attn=gflops_no_attn,
                speedup=speedup)


@pytest.fixture
def accuracy():
    """An accuracy benchmark's results: two seeds."""
    return dict(
        meta=dict(vit=dict(embed_dims=192, num_layers=6), seeds=[0, 1],
                  preset='cpu',
                  persons_eval=50, eval_split='val', device='CPU, 2 threads',
                  timed_on='CPU'),
        rows=[
            accuracy_row('full', 'full', 'all patches', 'yes', 0, [0, 1],
                         [0.30, 0.32], 1.0, 1.0),
            accuracy_row('skeleton @paper', 'skeleton', 'skeleton, K=133',
                         'yes', 0, [0, 1], [0.29, 0.30], 0.75, 1.3),
            accuracy_row('neighbour @paper (training-free)', 'neighbour',
                         'n=4, K=133', 'no (full model)', 0, [0, 1],
                         [0.2, 0.2], 0.75, 1.3),
            accuracy_row('skeleton @half (training-free, merged)',
                         'skeleton', 'skeleton, K=83', 'no (full model)', 1,
                         [0], [0.35], 0.5, 1.6),
        ])


def test_drop_is_full_minus_row_paired_per_seed(accuracy):
    # The drops the summary shows: the benchmark's own, from the
    # per-seed APs.
    drops = ap_drops(accuracy)
    mean, std = drops['skeleton @paper']
    assert mean == pytest.approx(0.015)  # (0.30-0.29 + 0.32-0.30) / 2
    assert std == pytest.approx(0.00707, abs=1e-5)
    # One seed: paired with the first seed's full model, no spread.
    assert drops['skeleton @half (training-free, merged)'] == (
        pytest.approx(-0.05), None)


def test_summary_rows_columns_and_caption(accuracy):
    table = summary_table(accuracy)
    assert 'SYNTHETIC data, not COCO' in table
    skeleton = cells(table, 'skeleton, K=133')
    # tokens, GFLOPs (no attention), fewer GFLOPs in that same convention,
    # speed-up, drop with its spread.
    assert skeleton[3:] == ['100', '0.750', '25%', '1.30x', '+0.015 ± 0.007',
                            '2']
    merged = cells(table, 'skeleton, K=83')
    assert merged[1:3] == ['no (training-free)', 'merged (1)']
    assert merged[-2:] == ['-0.050', '1']
    assert "the full model's AP is 0.310 ± 0.014" in table
    # Training-free neighbour rows are left to the full table.
    assert 'n=4, K=133' not in table
    assert 'GPU' not in table


def test_summary_has_gpu_rows_only_from_gpu_results(accuracy):
    gpu = copy.deepcopy(accuracy)
    gpu['meta'].update(timed_on='GPU', device='NVIDIA H200')
    table = summary_table(accuracy, gpu)
    assert 'GPU speed-up' in table and 'NVIDIA H200' in table
    assert table.count('| skeleton, K=133 |') == 2


def flops_row(setting, kind, tokens, flops, no_attention, **extra):
    return dict(setting=setting, kind=kind, tokens=tokens, flops=flops,
                flops_no_attention=no_attention,
                attention_flops=flops - no_attention, **extra)


def test_flops_ratios_match_the_column_beside_them():
    results = dict(runs=[
        dict(model='ViT-B', input_size=[192, 256], params=90e6,
             method='skeleton', command='python tools/get_flops.py A',
             rows=[flops_row('full', 'full', 192, 20e9, 18e9),
                   flops_row('K=96', 'num_keep', 96, 12e9, 11.7e9),
                   flops_row('mean', 'dataset', 27.5, 4e9, 3.6e9,
                             persons=12, data='coco/test_coco.json',
                             guide='the annotation')]),
        dict(model='ViT-B', input_size=[192, 256], params=91e6,
             method='joint tokens', command='python tools/get_flops.py B',
             rows=[flops_row('full', 'full', 192, 21e9, 19e9),
                   flops_row('keep_rate=0.7', 'keep_rate', 132.7, 15e9,
                             14.4e9, keep_rate=0.7, joint_tokens=17)]),
    ])
    table = flops_table(results)
    assert cells(table, 'K = 96')[1:] == ['96.0', '11.70', '0.65', '12.00',
                                          '0.60']
    joint = cells(table, 'joint tokens, keep 0.7')
    assert joint[1] == '132.7 (+17 joint tokens)'
    assert joint[3] == '0.80'  # against the first run's full model
    assert 'of coco/test_coco.json (the annotation as guide)' in table
    assert table.count('| full |') == 1  # the second run's full is left out
    assert 'tools/get_flops.py A' in table and 'tools/get_flops.py B' in table


def test_speed_table_states_where_and_how_it_was_timed():
    run = dict(model='ViT-B', batch_size=8, input_size=[192, 256],
               flip=False, repeats=3, warmup=1,
               command='python tools/benchmark.py X',
               meta=dict(machine='Some CPU', threads=2, torch='2.9.1',
                         note='3 repeats: a shared machine'),
               rows=[dict(setting='full', tokens=192, backbone_ms=1500,
                          backbone_speedup=1.0, model_ms=1600,
                          model_speedup=1.0),
                     dict(setting='K=96', tokens=96, backbone_ms=700,
                          backbone_speedup=2.14, model_ms=800,
                          model_speedup=2.0)])
    table = speed_table(dict(runs=[run]))
    assert cells(table, '256x192 K=96')[1:] == ['96', '700', '2.14x', '800',
                                               '2.00x']
    for text in ('Some CPU, 2 threads, torch 2.9.1', 'median of 3 rounds',
                 '3 repeats: a shared machine', 'tools/benchmark.py X'):
        assert text in table


def test_video_caption_counts_frames_from_the_json():
    rows = {
        name: dict(AP=ap, AP_drop=drop, tokens=tokens, frame_ms_median=10.0,
                   speedup=1.0, frames=6, fallbacks=0,
                   by_source=dict(previous=0, online=0, full=1))
        for name, ap, drop, tokens in [('(a) full', 0.5, 0.0, 192.0),
                                       ('(c) previous frame', 0.48, 0.02,
                                        133.0)]
    }
    results = dict(data='SYNTHETIC.', device='CPU, 2 threads', blocks=[
        dict(model='ViT-B', rows=rows,
             model_only=dict(tokens=133.0, batch=2, speedup=1.3))])
    table = video_table(results)
    assert '6 timed frames per row' in table
    assert cells(table, '(c) previous frame')[2] == '+0.020'
    assert "full model's AP minus the row's" in table


@pytest.mark.parametrize('backbone, label', [
    (dict(arch='base'), 'ViT-B'), (dict(arch='h'), 'ViT-H'),
    (dict(arch=dict(embed_dims=384, num_layers=12)), 'ViT 384-dim x 12'),
])
def test_vit_label(backbone, label):
    assert vit_label(backbone) == label
