"""tools/selection_resolution.py on the bundled COCO persons: the cell
settings lose their share of the crop at 1024x768, the radii keep it; the
JSON renders as the docs' table; the transform takes the radii."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmpose_patchsel.analysis.config_flops import method_of
from mmpose_patchsel.analysis.results_tables import \
    selection_resolution_table

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import selection_resolution  # noqa: E402


def run_tool(*args):
    return subprocess.run([
        sys.executable,
        osp.join(PROJECT, 'tools', 'selection_resolution.py'), *args
    ],
                          cwd=PROJECT,
                          capture_output=True,
                          text=True)


def test_out_rows(coco_root, tmp_path):
    out_file = tmp_path / 'resolution.json'
    settings = [
        'neighbour:4', 'skeleton:0', 'neighbour:r=0.08', 'skeleton:r=1/32',
        'skeleton:r=1/32:K=96'
    ]
    done = run_tool('--data-root', str(coco_root), '--settings', *settings,
                    '--out', str(out_file))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(out_file.read_text())
    assert results['tool'] == 'tools/selection_resolution.py'
    assert results['command'].startswith('python ')
    assert '--settings' in results['command']
    assert [s['grid'] for s in results['sizes']] == [[16, 12], [64, 48]]
    total = [s['num_patches'] for s in results['sizes']]
    rows = {r['setting']: r for r in results['rows']}
    assert list(rows) == settings
    assert rows['neighbour:r=0.08']['options'] == dict(mode='neighbour',
                                                       neighbour_radius=0.08)
    share = {
        name: [m['mean'] / n for m, n in zip(row['sizes'], total)]
        for name, row in rows.items()
    }
    for name in ('neighbour:4', 'skeleton:0'):
        assert share[name][1] / share[name][0] < 0.35, share[name]
    for name in ('neighbour:r=0.08', 'skeleton:r=1/32'):
        assert share[name][1] / share[name][0] == pytest.approx(
            1, abs=0.15), share[name]
    # n=4 and r=0.08 keep about the same at 256x192.
    assert share['neighbour:r=0.08'][0] == pytest.approx(
        share['neighbour:4'][0], abs=0.03)
    budget = rows['skeleton:r=1/32:K=96']['sizes']
    assert all(m['min'] == m['max'] == 96 for m in budget)
    assert len({m['persons'] for r in rows.values() for m in r['sizes']}) == 1

    table = selection_resolution_table(results)
    assert '| setting | persons | 256x192 tokens (of 192) |' in table
    assert '1024x768 kept %' in table
    assert '| `neighbour:r=0.08` | 12 |' in table
    assert results['command'] in table


@pytest.mark.parametrize('args, words', [
    (['--settings', 'neighbour:r=1/16', 'neighbour:limb=1/32'], [
        "bad setting 'neighbour:limb=1/32'",
        "limb_radius applies to mode='skeleton' only"
    ]),
    (['--settings', 'skeleton:n=2:limb=0.03'], ['num_neighbours=2']),
    (['--input-sizes', '192by256'], ["bad input size '192by256'"]),
])
def test_bad_arguments_are_refused(coco_root, capsys, args, words):
    with pytest.raises(SystemExit) as info:
        selection_resolution.parse_args(['--data-root', str(coco_root), *args])
    assert info.value.code == 2
    error = capsys.readouterr().err
    for word in words:
        assert word in error


def test_transform_repr_and_method_label():
    from mmpose_patchsel.datasets.transforms import SelectPatches
    transform = SelectPatches((768, 1024), mode='skeleton', limb_radius=0.03)
    assert 'limb_radius=0.03, patch_size=16' in repr(transform)
    assert 'neighbour_radius' not in repr(transform)
    with pytest.raises(ValueError, match='num_neighbours=4'):
        SelectPatches((768, 1024), num_neighbours=4, neighbour_radius=0.08)
    assert method_of(dict(mode='neighbour', neighbour_radius=0.08),
                     None) == 'neighbour, r=0.08'
    assert method_of(dict(mode='skeleton', limb_radius=0.03125, num_keep=9),
                     None) == 'skeleton, limb=0.03125, K=9'
    assert method_of(dict(mode='neighbour', num_neighbours=4),
                     None) == 'neighbour, n=4'
