"""Pieces of a scripted experiment: timed stages, cached trainings, logs.

The demo and the benchmarks train small models and reuse them on the next
run; a trained model is its last checkpoint, ``epoch_<max_epochs>.pth`` in
its work dir, as mmengine's ``CheckpointHook`` names it.
"""
import contextlib
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, TextIO

import mmpose
from mmengine.config import Config
from mmengine.runner import Runner

#: Indent of a line that reports inside a stage.
NOTE_INDENT = ' ' * 7


class StageTimer:
    """Prints each stage as it starts and ends (with its wall time), or
    that it failed; keeps the times in :attr:`times`.

    Args:
        prefix: tag of every line, e.g. ``'demo'`` -> ``[demo] ...``.
        stream: where to print; the current ``sys.stdout`` by default.
    """

    def __init__(self, prefix: str, stream: Optional[TextIO] = None) -> None:
        self.prefix = prefix
        self.stream = stream
        self.times: Dict[str, float] = {}

    def say(self, text: str) -> None:
        # One write per line: stages may run side by side (run_jobs).
        print(f'[{self.prefix}] {text}\n', end='',
              file=self.stream or sys.stdout, flush=True)

    def note(self, text: str) -> None:
        """A line under the current stage."""
        print(f'{NOTE_INDENT}{text}\n', end='',
              file=self.stream or sys.stdout, flush=True)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.say(f'{name} ...')
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self.say(f'FAILED at {name}')
            raise
        self.times[name] = time.perf_counter() - start
        self.say(f'{name}: done in {self.times[name]:.1f}s')


def run_logged(cmd: List[str], log: str, cwd: Optional[str] = None) -> None:
    """Run a command, its output to ``log``; fail showing the log's end."""
    with open(log, 'w') as f:
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                              cwd=cwd)
    if done.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f'{" ".join(cmd)} failed ({done.returncode}); '
                           f'end of {log}:\n{tail}')


def mmpose_train_script() -> Path:
    """mmpose's ``tools/train.py`` as installed with the package."""
    path = Path(mmpose.__file__).parent / '.mim' / 'tools' / 'train.py'
    if not path.is_file():
        raise FileNotFoundError(
            f'mmpose has no {path}: install mmpose from its wheel or as a '
            'mim package so that its tools are included')
    return path


def train_in_process(cfg: Config, work_dir: str,
                     log: Optional[str] = None) -> None:
    """Train with mmengine's ``Runner`` in this process, resuming a run
    stopped past a checkpoint as :func:`train_command` does; what it prints
    goes to ``log`` when given (as a child's output would).

    The run is named after its work dir and the second it started, and so
    are its logger and visualizer: mmengine keeps one of each per name in
    a process, so a second run would write its log and scalars where the
    first one did under a shared name (mmpose's configs name their
    visualizer ``'visualizer'``; mmengine's default run name is the config
    file's and the second's)."""
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(osp.normpath(work_dir))
    if cfg.get('visualizer') is not None:  # unnamed: the run's name
        cfg.visualizer = {k: v for k, v in cfg.visualizer.items()
                          if k != 'name'}
    cfg.resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
    if log is None:
        Runner.from_cfg(cfg).train()
        return
    with output_to(log):
        runner = Runner.from_cfg(cfg)
        try:
            runner.train()
        finally:  # its console handler writes to the log, closed next
            for handler in list(runner.logger.handlers):
                runner.logger.removeHandler(handler)
                handler.close()


def dump_config(cfg: Config, work_dir: str) -> str:
    """Write ``cfg`` as ``work_dir/config.py`` (the folder made if needed):
    the file a command trains from, or the record of a run in process.
    mmengine's ``Config`` is not thread-safe: dump in one thread."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, 'config.py')
    cfg.dump(path)
    return path


def train_command(cfg: Config, work_dir: str, mim: bool = True) -> List[str]:
    """The command that trains ``cfg`` into ``work_dir``: ``mim train
    mmpose``, or mmpose's own ``tools/train.py`` for ``mim=False`` (a
    machine without openmim); with mmengine's ``--resume`` after a run
    stopped past a checkpoint. Dumps the config as ``work_dir/config.py``
    (mmengine's ``Config`` is not thread-safe: build commands in one
    thread, run them in any)."""
    cfg_file = dump_config(cfg, work_dir)
    if mim:
        cmd = [osp.join(osp.dirname(sys.executable), 'mim'), 'train',
               'mmpose']
    else:
        cmd = [sys.executable, str(mmpose_train_script())]
    cmd += [cfg_file, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        cmd.append('--resume')
    return cmd


def run_training(cmd: List[str], work_dir: str,
                 cwd: Optional[str] = None) -> None:
    """Run a :func:`train_command`, its output to ``work_dir/train.log``
    (a stopped run's log kept as ``train.log.stopped``)."""
    log = osp.join(work_dir, 'train.log')
    if osp.isfile(log):
        os.replace(log, log + '.stopped')
    run_logged(cmd, log, cwd)


def train_in_child(cfg: Config, work_dir: str, cwd: Optional[str] = None,
                   mim: bool = True) -> None:
    """Train in a child process (:func:`train_command`); its output goes
    to ``work_dir/train.log``."""
    run_training(train_command(cfg, work_dir, mim), work_dir, cwd)


def last_checkpoint(cfg: Config, work_dir: str) -> str:
    """Where training ``cfg`` in ``work_dir`` leaves its last checkpoint."""
    return osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')


def train_unless_cached(
        cfg: Config,
        work_dir: str,
        train: Callable[[Config, str], None] = train_in_process,
        note: Callable[[str], None] = print) -> str:
    """Train ``cfg`` in ``work_dir`` unless its last checkpoint is there;
    return that checkpoint. ``note`` says which it was."""
    ckpt = last_checkpoint(cfg, work_dir)
    if osp.isfile(ckpt):
        note(f'reusing {ckpt}')
        return ckpt
    os.makedirs(work_dir, exist_ok=True)
    train(cfg, work_dir)
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'training {work_dir} left no {ckpt}')
    note(f'trained {cfg.train_cfg.max_epochs} epochs -> {ckpt}')
    return ckpt


def run_jobs(jobs: Dict[str, Callable[[], Any]], parallel: int,
             stage: StageTimer) -> Dict[str, Any]:
    """Each job as a stage of its own name, ``parallel`` at a time, in
    order: the results by name. Jobs that train wait on a child process,
    so threads are enough (build their configs before: mmengine's
    ``Config`` is not thread-safe). The first failure is raised, and the
    jobs not started yet are dropped."""
    def timed(name: str, job: Callable[[], Any]) -> Any:
        with stage(name):
            return job()

    with ThreadPoolExecutor(max(1, parallel)) as pool:
        futures = {name: pool.submit(timed, name, job)
                   for name, job in jobs.items()}
        try:
            return {name: future.result()
                    for name, future in futures.items()}
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


@contextlib.contextmanager
def output_to(log_file: str) -> Iterator[TextIO]:
    """Send what this process prints (stdout, stderr: mmengine's console
    logs, warnings, pycocotools' tables) to ``log_file``, overwritten.

    Yields the stdout of before, for the lines that should still reach the
    console. Loggers created inside keep writing to the file until it
    closes, so wrap the whole run.
    """
    console = sys.stdout
    os.makedirs(osp.dirname(osp.abspath(log_file)), exist_ok=True)
    with open(log_file, 'w') as f, contextlib.redirect_stdout(f), \
            contextlib.redirect_stderr(f):
        yield console
