"""The selection package is pure geometry: numpy, torch and stdlib only."""
import os
import subprocess
import sys
from pathlib import Path

from patchsel_testing import import_blocker, imported_roots

import mmpose_patchsel.selection as selection

PKG = Path(selection.__file__).resolve().parent
FORBIDDEN = ('mmengine', 'mmcv', 'mmpose', 'mmdet')


def test_sources_import_no_openmmlab():
    files = sorted(PKG.glob('*.py'))
    assert len(files) >= 5
    for path in files:
        roots = imported_roots(path)
        assert not roots & set(FORBIDDEN), (path.name, roots)
        allowed = {'numpy', 'torch'} | set(sys.stdlib_module_names)
        assert roots <= allowed, (path.name, roots - allowed)


RUN = '''
import types
# Stub the parent so only the selection package itself is executed.
parent = types.ModuleType('mmpose_patchsel')
parent.__path__ = [{parent!r}]
sys.modules['mmpose_patchsel'] = parent
import mmpose_patchsel.selection as s
import numpy as np
grid = s.PatchGrid((192, 256))
sel = s.select_patches(grid, np.array([[100.0, 100.0]]), num_keep=3)
assert sel.indices.tolist() == [66, 77, 78], sel.indices
assert not [m for m in sys.modules if m.split('.')[0] in FORBIDDEN]
print('ok')
'''


def test_imports_with_openmmlab_blocked():
    code = import_blocker(FORBIDDEN) + RUN.format(parent=str(PKG.parent))
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         env=dict(os.environ, PYTHONPATH=''),
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'ok'
