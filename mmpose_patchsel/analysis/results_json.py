"""Results JSON files of the tools (``docs/results/``): what they hold
besides the numbers (the command that measured them) and how a tool adds
its run to one."""
import json
import os
import os.path as osp
import shlex
import sys
from typing import List, Optional


def command_line(argv: Optional[List[str]] = None) -> str:
    """The command that runs this process, to store beside its results:
    ``python tools/x.py ...`` with the script's path relative to the
    working directory."""
    argv = sys.argv if argv is None else argv
    return 'python ' + ' '.join(
        shlex.quote(a) for a in [osp.relpath(argv[0])] + list(argv[1:]))


def write_json(path: str, results: dict) -> None:
    """``results`` as indented JSON, creating the folder."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(results, f, indent=1)
        f.write('\n')


def add_run(path: str, run: dict, tool: str, append: bool = False) -> dict:
    """Write ``{'tool': tool, 'runs': [run]}`` to ``path``; with
    ``append``, add ``run`` to the runs already there instead (a table of
    several runs of one tool, e.g. two input sizes). Returns what it
    wrote."""
    results = dict(tool=tool, runs=[])
    if append and osp.isfile(path):
        with open(path) as f:
            results = json.load(f)
        if results.get('tool') != tool:
            raise ValueError(f'--append: {path} was written by '
                             f"{results.get('tool')}, not {tool}")
    results['runs'].append(run)
    write_json(path, results)
    return results
