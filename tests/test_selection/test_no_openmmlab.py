"""The selection package is pure geometry: numpy, torch and stdlib only."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import mmpose_patchsel.selection as selection

PKG = Path(selection.__file__).resolve().parent
FORBIDDEN = ('mmengine', 'mmcv', 'mmpose', 'mmdet')


def _imported_roots(path: Path) -> set:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split('.')[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split('.')[0])
    return roots


def test_sources_import_no_openmmlab():
    files = sorted(PKG.glob('*.py'))
    assert len(files) >= 5
    for path in files:
        roots = _imported_roots(path)
        assert not roots & set(FORBIDDEN), (path.name, roots)
        allowed = {'numpy', 'torch'} | set(sys.stdlib_module_names)
        assert roots <= allowed, (path.name, roots - allowed)


BLOCKER = '''
import importlib.abc, sys, types
FORBIDDEN = {forbidden!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in FORBIDDEN:
            raise ImportError('blocked ' + name)

sys.meta_path.insert(0, Block())
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
    code = BLOCKER.format(forbidden=FORBIDDEN, parent=str(PKG.parent))
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         env=dict(os.environ, PYTHONPATH=''),
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'ok'
