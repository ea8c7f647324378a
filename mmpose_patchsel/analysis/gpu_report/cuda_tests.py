"""The CUDA tests of the suite, run in a child pytest and read back from
its JUnit XML: on a GPU they pass, on a CPU they are skipped."""
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import List

__all__ = ['cuda_test_files', 'run_cuda_tests']


def cuda_test_files(root: Path) -> List[str]:
    """Test files under ``root/tests`` that mention CUDA, relative to
    ``root``."""
    return sorted(
        str(p.relative_to(root)) for p in (root / 'tests').rglob('test_*.py')
        if 'cuda' in p.read_text())


def run_cuda_tests(root: Path, out_dir: Path) -> dict:
    """``pytest -k cuda`` on :func:`cuda_test_files` in ``root``: the
    command, its return code and wall time, each test's status, and the
    output's tail when it failed."""
    files = cuda_test_files(root)
    xml = out_dir / 'cuda_tests.xml'
    cmd = [sys.executable, '-m', 'pytest', '-q', '-k', 'cuda', '-p',
           'no:cacheprovider', f'--junitxml={xml}', *files]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    result = dict(command=' '.join(cmd[1:]), files=files,
                  returncode=proc.returncode,
                  wall_s=round(time.perf_counter() - start, 1), tests=[])
    if xml.is_file():
        for case in ET.parse(xml).getroot().iter('testcase'):
            status = 'passed'
            for child in case:
                if child.tag in ('failure', 'error', 'skipped'):
                    status = child.tag
            result['tests'].append(
                dict(name=f"{case.get('classname')}::{case.get('name')}",
                     status=status))
        xml.unlink()
    if proc.returncode not in (0, 5):  # 5: nothing collected
        result['output_tail'] = (proc.stdout + proc.stderr)[-3000:]
    return result
