"""The demo: a cheap guide, rows timed in one rotation, numbers that add up.

Speed is not asserted (it is the demo's to measure, on whatever machine);
what is checked is how it is measured: every row timed the same number of
times, on the same crops, taking turns, and the printed and written numbers
being the ones measured.
"""
import json
import re
import sys
from functools import partial
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from mmpose_patchsel.analysis.complexity import SelectionFlops, guide_flops
from patchsel_testing import load_script

PROJECT = Path(__file__).resolve().parents[2]
DEMO = PROJECT / 'demo' / 'patchsel_demo.py'


@pytest.fixture(scope='module')
def demo():
    return load_script(DEMO)


def test_rows_take_turns_on_the_same_inputs_and_fresh_samples(demo):
    inputs = torch.zeros(2, 3, 8, 8)
    originals = {name: [PoseDataSample(metainfo=dict(row=name, i=i))
                        for i in range(2)] for name in 'abc'}
    seen = []

    def row(name):
        def call(x, samples):
            assert x is inputs
            assert [s.row for s in samples] == [name, name]
            assert not any(s is o for s in samples
                           for o in originals[name])
            samples[0].set_metainfo(dict(written=True))  # as predict does
            seen.append((name, id(samples)))
        return call

    seconds, record = demo.times_in_rotation(
        {name: row(name) for name in 'abc'}, inputs, originals, repeats=3,
        warmup=1)
    assert [name for name, _ in seen] == list('abc') * 4
    assert len({copy for _, copy in seen}) == 12, 'a copy reused'
    assert not any('written' in s for s in originals['a'])
    assert set(seconds) == set('abc')
    assert {name: r['calls'] for name, r in record.items()} == dict(
        a=4, b=4, c=4)
    assert all(r['inputs'] == {id(inputs)} for r in record.values())


def test_timing_summary_adds_up(demo):
    seconds = dict(zip(demo.ROWS, (0.100, 0.010, 0.060, 0.072)))
    record = {name: dict(calls=6, inputs={1}) for name in demo.ROWS}
    timing = demo.timing_summary(seconds, record, batch=12, repeats=5)
    ms = timing['median_ms']
    assert timing['guide_plus_selected_ms'] == pytest.approx(70)
    assert timing['speedup']['end_to_end'] == pytest.approx(100 / 72)
    assert timing['speedup']['model_only'] == pytest.approx(100 / 60)
    assert ms['guide + selected'] == pytest.approx(72)
    assert timing['same_inputs'] and timing['calls']['full'] == 6
    record['guide']['inputs'] = {2}
    assert not demo.timing_summary(seconds, record, 12, 5)['same_inputs']


def test_guide_is_cheap_next_to_the_vit_and_selection_pays(demo):
    main_cfg = Config.fromfile(demo.MAIN_CFG)
    model = MODELS.build(main_cfg.model).eval()
    guide = model.online_guide.model
    assert Path(model.online_guide.config).samefile(demo.GUIDE_CFG)
    grid = model.patch_grid()
    flops = SelectionFlops(model, (3, grid.height, grid.width))
    full = flops.at(None)['flops']
    guide_cost = guide_flops(guide)
    # The guide sees a quarter of the pixels and costs a few % of the ViT
    # (LiteHRNet-18 at 256x192 is about 1 % of ViT-B's 17.9 GFLOPs).
    assert guide_cost['input_size'] == (96, 128)
    assert guide_cost['flops'] < 0.05 * full
    # The blocks, which selection shortens, are most of the cost: half the
    # tokens cut at least 40 % of the GFLOPs.
    assert flops.at(grid.num_patches // 2)['flops'] < 0.6 * full


def test_bad_arguments_are_named(demo, tmp_path, monkeypatch):
    def main_with(*args):
        monkeypatch.setattr(sys, 'argv', [str(DEMO), *args])
        demo.main()

    with pytest.raises(FileNotFoundError, match=f'under {tmp_path}/coco;'):
        main_with('--data-root', str(tmp_path))
    with pytest.raises(ValueError, match='--repeats 0'):
        main_with('--repeats', '0')
    with pytest.raises(ValueError, match='--threads 0'):
        main_with('--threads', '0')
    with pytest.raises(ValueError, match='--epochs 0'):
        main_with('--epochs', '0')


def _run_demo(demo, monkeypatch, capsys, testdata_root, work_dir, *extra):
    """The demo's command line, run in this process: its console lines."""
    monkeypatch.setattr(sys, 'argv', [
        str(DEMO), '--data-root', str(testdata_root), '--work-dir',
        str(work_dir), '--epochs', '2', *extra
    ])
    capsys.readouterr()
    demo.main()
    return capsys.readouterr().out.splitlines()


def _note(lines, pattern):
    found = [re.search(pattern, line) for line in lines]
    found = [m for m in found if m]
    assert len(found) == 1, f'{pattern!r} in:\n' + '\n'.join(lines)
    return found[0]


@pytest.mark.slow
def test_demo_end_to_end_then_cached(demo, monkeypatch, capsys,
                                     testdata_root, tmp_path):
    """Two-epoch models (the numbers are meaningless, the plumbing is
    not): every step, the JSON, the pictures, then a cached rerun."""
    run = partial(_run_demo, demo, monkeypatch, capsys, testdata_root,
                  tmp_path)
    lines = run('--repeats', '2')
    # The console keeps to the demo's steps and notes; the rest is logged.
    assert all(line.startswith(('[demo] ', ' ' * 7)) for line in lines)
    for n in range(1, 8):
        _note(lines, rf'^\[demo\] {n}/7 .*: done in [\d.]+s$')
    assert 'mmengine' in (tmp_path / 'demo.log').read_text()
    _note(lines, r'memorised; not a measure of accuracy on unseen images')

    summary = json.loads((tmp_path / 'demo.json').read_text())
    timing = summary['timing']
    assert timing['rows'] == list(('full', 'guide', 'selected',
                                   'guide + selected'))
    assert timing['calls'] == {row: 3 for row in timing['rows']}
    assert timing['same_inputs'] is True
    assert timing['batch'] == summary['persons'] == 12
    ms = timing['median_ms']
    assert all(ms[row] > 0 for row in timing['rows'])
    assert timing['guide_plus_selected_ms'] == pytest.approx(
        ms['guide'] + ms['selected'])
    assert timing['speedup']['end_to_end'] == pytest.approx(
        ms['full'] / ms['guide + selected'])

    # The printed numbers are the written ones.
    m = _note(lines, r'full ViT (\d+) ms; guide (\d+) ms \+ selected ViT '
              r'(\d+) ms = (\d+) ms; end to end (\d+) ms')
    printed = [int(v) for v in m.groups()]
    assert printed == [round(v) for v in (
        ms['full'], ms['guide'], ms['selected'],
        timing['guide_plus_selected_ms'], ms['guide + selected'])]
    m = _note(lines, r'speed-up: ([\d.]+)x end to end, ([\d.]+)x model only')
    assert float(m[1]) == round(timing['speedup']['end_to_end'], 2)
    assert float(m[2]) == round(timing['speedup']['model_only'], 2)
    m = _note(lines, r'COCO AP on the bundled images: selected ([\d.]+), '
              r'full ([\d.]+)')
    assert float(m[1]) == pytest.approx(summary['coco_ap']['selected'],
                                        abs=5e-4)
    assert float(m[2]) == pytest.approx(summary['coco_ap']['full'], abs=5e-4)

    kept = summary['kept_tokens']
    assert len(kept['per_person']) == 12
    assert all(0 < k <= kept['of'] == 192 for k in kept['per_person'])
    cost = summary['gflops']
    assert cost['guide_share_of_full'] == pytest.approx(
        cost['guide']['with_attention'] / cost['full']['with_attention'])
    assert cost['guide_share_of_full'] < 0.05
    assert cost['selected']['with_attention'] <= \
        cost['full']['with_attention']
    m = _note(lines, r'guide: ([\d.]+) GFLOPs at its 96x128 input, '
              r'([\d.]+)% of the full')
    assert float(m[2]) == pytest.approx(100 * cost['guide_share_of_full'],
                                        abs=0.051)

    vis = tmp_path / 'vis'
    assert len(list(vis.glob('*_pose.jpg'))) == 4
    assert (vis / 'kept_patches.jpg').is_file()

    # The second run trains nothing.
    again = run('--repeats', '1')
    assert len([line for line in again if 'reusing' in line]) == 2
    rerun = json.loads((tmp_path / 'demo.json').read_text())
    assert rerun['timing']['calls'] == {row: 2 for row in timing['rows']}
    assert rerun['coco_ap'] == summary['coco_ap']
