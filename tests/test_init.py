"""``import mmpose_patchsel``, what a config's ``custom_imports`` and every
loader worker run: it registers every component of the plugin in mmpose's
registries, and it loads the runtime only (no benchmark helpers, synthetic
data or video clips).

The import runs in a fresh interpreter: this test session has imported
much more by now."""
import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / 'mmpose_patchsel'
#: imported by the tools and tests that use them, never by the package.
NOT_RUNTIME = ('mmpose_patchsel.analysis', 'mmpose_patchsel.benchmarks',
               'mmpose_patchsel.synthetic', 'mmpose_patchsel.video')
#: one component of each registry the plugin registers in, built by name.
BUILDS = dict(
    MODELS=dict(
        type='PatchSelViT',
        arch=dict(embed_dims=32, num_layers=1, num_heads=2),
        img_size=(64, 48)),
    TRANSFORMS=dict(type='SelectPatches', input_size=(48, 64)),
    HOOKS=dict(type='JointTokenKeepRateHook', target=0.5),
    METRICS=dict(type='GuideDumpMetric', out_file='guide.json'),
    VISUALIZERS=dict(type='PatchSelLocalVisualizer', name='test_init'),
    FUNCTIONS=dict(
        type='file_system_sharing_worker_init',
        worker_id=0,
        num_workers=1,
        rank=0,
        seed=0),
)

CHILD = '''
import json, sys
import mmpose_patchsel
loaded = sorted(sys.modules)
import mmpose.registry
import mmengine.registry
import torch

def registry(name):
    return getattr(mmpose.registry, name, None) or getattr(
        mmengine.registry, name)

expected, builds = json.loads(sys.argv[1])
wrong = []
for reg, name, module in expected:
    obj = registry(reg).get(name)
    if obj is None or (obj.__module__, obj.__qualname__) != (module, name):
        wrong.append([reg, name, module, repr(obj)])
built = {}
for reg, cfg in builds.items():
    try:
        obj = registry(reg).build(cfg)
    except Exception as error:
        built[reg] = repr(error)
        continue
    if reg == 'MODELS':  # the backbone keeps 5 of its 4 x 3 tokens
        out = obj(torch.zeros(1, 3, 64, 48), torch.tensor([[0, 3, 5, 6, 11]]))
        obj = list(out[0].shape)
    elif reg == 'FUNCTIONS':  # the worker init sets the sharing strategy
        obj = torch.multiprocessing.get_sharing_strategy()
    else:
        obj = type(obj).__name__
    built[reg] = obj
print(json.dumps(dict(loaded=loaded, wrong=wrong, built=built)))
'''


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def registered_in_source() -> List[Tuple[str, str, str]]:
    """``(registry, name, module)`` of every ``@REGISTRY.register_module()``
    class or function in the package's source."""
    found = []
    for path in sorted(PACKAGE.rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                continue
            for deco in node.decorator_list:
                func = getattr(deco, 'func', None)
                if isinstance(func, ast.Attribute) and \
                        func.attr == 'register_module':
                    found.append(
                        (func.value.id, node.name, _module_name(path)))
    return found


def test_import_registers_the_runtime_and_nothing_else():
    expected = registered_in_source()
    names = {name for _, name, _ in expected}
    assert {'PatchSelViT', 'PatchSelTopdownEstimator', 'SelectPatches',
            'JointTokenKeepRateHook', 'GuideDumpMetric',
            'PatchSelLocalVisualizer'} <= names
    # A registry the plugin starts to use needs a build case here.
    assert {reg for reg, _, _ in expected} == set(BUILDS)

    proc = subprocess.run(
        [sys.executable, '-c', CHILD,
         json.dumps([expected, BUILDS])],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])

    assert result['wrong'] == [], 'not registered by the import'
    assert result['built'] == dict(
        MODELS=[1, 32, 4, 3],
        TRANSFORMS='SelectPatches',
        HOOKS='JointTokenKeepRateHook',
        METRICS='GuideDumpMetric',
        VISUALIZERS='PatchSelLocalVisualizer',
        FUNCTIONS='file_system')
    loaded = [
        m for m in result['loaded']
        if any(m == p or m.startswith(p + '.') for p in NOT_RUNTIME)
    ]
    assert loaded == [], 'imported by `import mmpose_patchsel`'
