"""The documentation builds as ``make docs`` builds it: Sphinx with MyST,
the API pages generated from the docstrings, warnings as errors."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DOCS = PROJECT / 'docs'


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    for module in ('sphinx', 'myst_parser', 'furo'):
        pytest.importorskip(
            module, reason=f'{module} is not installed: '
            'pip install -r requirements/docs.txt')
    # A copy, so that autosummary's generated pages and the build land in
    # tmp_path and not in the checkout; conf.py finds the package beside it.
    source = tmp_path / 'docs'
    shutil.copytree(DOCS, source,
                    ignore=shutil.ignore_patterns('_build', '_autosummary'))
    (tmp_path / 'mmpose_patchsel').symlink_to(PROJECT / 'mmpose_patchsel')
    out = tmp_path / 'html'
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b',
         'html', str(source), str(out)],
        cwd=PROJECT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    built = {p.stem for p in out.glob('*.html')}
    pages = {p.stem for p in DOCS.glob('*.md')}
    assert pages <= built, f'pages not built: {sorted(pages - built)}'
    # The API reference reached the modules' docstrings: a page per module
    # (found by walking the package), the classes configs name documented.
    api = {p.stem: p.read_text(encoding='utf-8')
           for p in (out / '_autosummary').glob('*.html')}
    assert 'mmpose_patchsel.selection' in api, sorted(api)
    for name in ('PatchSelViT', 'SelectPatches', 'PatchSelTopdownEstimator'):
        anchor = re.compile(rf'id="mmpose_patchsel\.[\w.]+\.{name}"')
        assert any(anchor.search(html) for html in api.values()), name
