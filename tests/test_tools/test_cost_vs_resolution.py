"""tools/cost_vs_resolution.py on the tiny ViT at small sizes: the JSON
has every cell, a rerun measures only the cells it lacks, and the docs'
table renders from the JSON."""
import json
import os.path as osp
import sys

import pytest
from conftest import TINY_COCO_CFG

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import cost_vs_resolution  # noqa: E402
import update_tables  # noqa: E402

TINY = f'tiny={TINY_COCO_CFG}'


def run(tmp_path, coco_root, *sizes):
    return cost_vs_resolution.main([
        '--models', TINY, '--sizes', *sizes, '--repeats', '1', '--warmup', '0',
        '--threads', '1', '--guide-config',
        str(TINY_COCO_CFG), '--data-root',
        str(coco_root), '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(tmp_path / 'cost_resolution.json'), '--figure',
        str(tmp_path / 'cost_resolution.png')
    ])


def test_every_cell_then_resume_then_table(tmp_path, coco_root, capsys):
    run(tmp_path, coco_root, '128x96', '64x48')
    results = json.loads((tmp_path / 'cost_resolution.json').read_text())
    assert results['tool'] == 'tools/cost_vs_resolution.py'
    assert '--sizes 128x96 64x48' in results['command']
    assert results['meta']['threads'] == 1
    assert results['options']['budgets'] == [0.5, 0.25]
    assert 'torch.profiler' in results['memory']
    assert [(c['model'], c['input_size'])
            for c in results['cells']] == [('tiny', [96, 128]),
                                           ('tiny', [48, 64])]
    for cell in results['cells']:
        assert [r['setting']
                for r in cell['rows']] == ['full', 'skeleton', '50%', '25%']
        assert cell['natural_tokens']['persons'] == 12
        assert cell['config'] == osp.relpath(TINY_COCO_CFG, PROJECT)
    assert (tmp_path / 'cost_resolution.png').read_bytes()[:4] == b'\x89PNG'
    cells = tmp_path / 'work' / 'cells'
    stamps = {p.name: p.stat().st_mtime_ns for p in cells.iterdir()}
    assert sorted(stamps) == ['tiny_128x96.json', 'tiny_64x48.json']
    capsys.readouterr()

    # One more size: the two stored cells are read, not measured again.
    run(tmp_path, coco_root, '128x96', '64x48', '96x64')
    out = capsys.readouterr().out
    assert out.count('measuring') == 1 and '[tiny_96x64] measuring' in out
    assert out.count('done before') == 2
    assert {
        p.name: p.stat().st_mtime_ns
        for p in cells.iterdir() if p.name in stamps
    } == stamps
    results = json.loads((tmp_path / 'cost_resolution.json').read_text())
    assert [c['input_size'] for c in results['cells']] == [[96, 128], [48, 64],
                                                           [64, 96]]

    # The docs' block renders from the JSON.
    page = tmp_path / 'page.md'
    page.write_text('<!-- table: cost_resolution -->\n'
                    '<!-- /table: cost_resolution -->\n')
    render = update_tables.Renderer(str(tmp_path))
    assert update_tables.update(str(page), render)
    text = page.read_text()
    assert text.count('\n| tiny ') == 12
    assert '| tiny 96x64 | 25% | 6 / 24 |' in text
    assert 'Targets (ViT-L at 1024x768' in text
    assert 'not measured' in text

    # Memory measured again by this code: times kept, each cell once.
    capsys.readouterr()
    run(tmp_path, coco_root, '128x96', '--remeasure-memory')
    assert capsys.readouterr().out.count('activation memory again') == 1
    again = json.loads((tmp_path / 'cost_resolution.json').read_text())
    (cell, ) = again['cells']
    assert '--remeasure-memory' in cell['memory_remeasured']['command']
    for old, new in zip(results['cells'][0]['rows'], cell['rows']):
        assert new['model_ms'] == old['model_ms']
        assert new['activation_mib'] > 0
        assert new['activation_vs_full'] == (new['activation_mib'] /
                                             cell['rows'][0]['activation_mib'])
    run(tmp_path, coco_root, '128x96', '--remeasure-memory')
    assert 'activation memory again' not in capsys.readouterr().out


@pytest.mark.parametrize('args, words', [
    (['--models', 'vit-x'], ["unknown model 'vit-x'", 'NAME=CONFIG']),
    (['--models', 'a=missing.py'], ['no config missing.py']),
    (['--sizes', '256by192'], ["bad input size '256by192': expected HxW"]),
    (['--budgets', '0.5', '1.5'], ['fractions in (0, 1)']),
])
def test_bad_arguments_are_refused(capsys, args, words):
    with pytest.raises(SystemExit) as info:
        cost_vs_resolution.parse_args(args)
    assert info.value.code == 2
    error = capsys.readouterr().err
    for word in words:
        assert word in error


def test_default_models_and_sizes():
    args = cost_vs_resolution.parse_args([])
    assert [name
            for name, _ in args.models] == ['vit-b', 'vit-l', 'sapiens-1b']
    assert args.sizes == [(192, 256), (288, 384), (384, 512), (768, 1024)]
    for _, spec in args.models:
        assert osp.isfile(osp.join(PROJECT, spec.config))
