"""The README's quick start shows real configs, as they are.

Each ``python`` block of the "Quick start" section must be the code of a
config under configs/ (the file less its header comment), so the snippet
cannot drift from what test_all_configs.py builds and runs. One of them must
select patches.
"""
import re
from pathlib import Path

from mmengine.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def quick_start_blocks() -> list:
    readme = (PROJECT_ROOT / 'README.md').read_text()
    section = re.search(r'^## Quick start\n(.*?)^##+ ', readme,
                        re.S | re.M).group(1)
    return re.findall(r'```python\n(.*?)```', section, re.S)


def code_of(path: Path) -> str:
    """A config's text without its leading comment lines."""
    lines = path.read_text().splitlines(keepends=True)
    while lines and lines[0].startswith('#'):
        lines.pop(0)
    return ''.join(lines)


def test_quick_start_configs_are_shipped_configs():
    blocks = quick_start_blocks()
    assert blocks, 'no python block in the Quick start section'
    configs = {code_of(p): p for p in (PROJECT_ROOT / 'configs').rglob('*.py')
               if '_base_' not in p.parts}
    selecting = []
    for block in blocks:
        assert block in configs, f'not the code of a config:\n{block}'
        cfg = Config.fromfile(str(configs[block]))
        selecting.append('SelectPatches' in [
            t['type'] for t in cfg.train_dataloader.dataset.pipeline
        ] and 'SelectPatches' in [
            t['type'] for t in cfg.test_dataloader.dataset.pipeline
        ])
    assert any(selecting), 'the quick start shows no selecting config'
