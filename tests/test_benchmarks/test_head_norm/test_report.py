"""The study's rows and table on made-up numbers: drops paired by seed,
full minus row; the table as update_tables renders it."""
import os.path as osp
import sys

import pytest

from mmpose_patchsel.benchmarks.head_norm import (HEADS, SELECTIONS, markdown,
                                                  selections_of)
from mmpose_patchsel.benchmarks.head_norm.scoring import Scored, row

PROJECT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def scored(aps, flops, tokens=192.0):
    return Scored(list(aps), dict(flops=flops, tokens=tokens))


def test_a_row_pairs_each_seed_with_its_own_full_model():
    r = row(HEADS[2], SELECTIONS[0], [0, 1, 2],
            scored([0.20, 0.30, 0.10], 0.8e9, 133),
            scored([0.25, 0.31, 0.20], 1e9), 133)
    assert r['AP_drop'] == pytest.approx((0.05 + 0.01 + 0.10) / 3)
    assert r['AP_drop_std'] == pytest.approx(0.045092497, rel=1e-6)
    assert r['AP'] == pytest.approx(0.2) and r['AP_std'] == pytest.approx(0.1)
    assert r['gflops_saving'] == pytest.approx(0.2)
    assert (r['head'], r['selection'],
            r['num_keep']) == ('instancenorm', 'skeleton @paper', 133)


def results(seeds=(0, 1, 2)):
    """Every head's rows, each selection losing 0.01 per merged/dropped
    step, the masked head half of it."""
    rows = []
    for head in HEADS:
        full = scored([0.25 + 0.01 * s for s in seeds], 1e9)
        rows.append(row(head, None, list(seeds), full, full, None))
        for i, selection in enumerate(selections_of(head)):
            loss = 0.01 * (i + 1) / (2 if 'masked' in head.key else 1)
            selected = scored([a - loss for a in full.aps], 0.7e9, 133)
            rows.append(row(head, selection, list(seeds), selected, full, 133))
    heads = [dict(key=h.key, label=h.label) for h in HEADS]
    meta = dict(persons_eval=983,
                eval_split='val',
                warm_epochs=20,
                ft_epochs=2,
                head_epochs=4,
                seeds=list(seeds),
                budgets=dict(paper=133, half=83),
                num_patches=192,
                vit=dict(embed_dims=192, num_layers=6),
                head_shape=dict(deconv_out_channels=[128, 128],
                                conv_out_channels=[128, 128]))
    return dict(meta=meta, heads=heads, rows=rows)


def test_table_one_line_per_head_losses_positive():
    lines = markdown(results()).splitlines()
    body = [
        line for line in lines
        if line.startswith('| ') and not line.startswith('| head')
    ]
    assert [line.split('|')[1].strip()
            for line in body] == [h.label for h in HEADS]
    assert '+0.010 ± 0.000' in body[0] and '-0.0' not in '\n'.join(body)
    masked = body[-1].split('|')
    assert [c.strip() for c in masked[3:7]
            ] == ['+0.005 ± 0.000', 'n/a', '+0.010 ± 0.000', 'n/a']
    assert masked[7].strip() == '30% / 30%'


def test_one_seed_has_no_spread():
    table = markdown(results(seeds=(0, )))
    assert '±' not in table.split('\n\n')[1]


def test_update_tables_renders_the_block(tmp_path):
    import json
    sys.path.insert(0, osp.join(PROJECT, 'tools'))
    import update_tables
    (tmp_path / 'head_norm.json').write_text(json.dumps(results()))
    page = tmp_path / 'page.md'
    page.write_text('x\n<!-- table: head_norm -->\n<!-- /table: head_norm -->'
                    '\n')
    render = update_tables.Renderer(str(tmp_path))
    assert update_tables.update(str(page), render)
    assert markdown(results()) in page.read_text()
    assert 'head_norm' in update_tables.COMMANDS
