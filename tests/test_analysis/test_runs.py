"""Stage timer, train-unless-cached, jobs side by side and the log
redirection of the tools."""
import io
import os.path as osp
import sys
import threading
from functools import partial

import pytest
from mmengine.config import Config

from mmpose_patchsel.analysis import (StageTimer, output_to, run_jobs,
                                      train_unless_cached)


def epochs(n: int) -> Config:
    return Config(dict(train_cfg=dict(max_epochs=n)))


def test_a_cached_checkpoint_is_reused_untrained(tmp_path):
    (tmp_path / 'epoch_3.pth').write_bytes(b'')
    trained, notes = [], []
    ckpt = train_unless_cached(epochs(3), str(tmp_path),
                               lambda cfg, d: trained.append(d), notes.append)
    assert ckpt == str(tmp_path / 'epoch_3.pth')
    assert trained == [] and notes == [f'reusing {ckpt}']


def test_training_runs_once_and_must_leave_its_checkpoint(tmp_path):
    work_dir = tmp_path / 'run'

    def train(cfg, folder):
        assert osp.isdir(folder)  # made for it
        (work_dir / f'epoch_{cfg.train_cfg.max_epochs}.pth').write_bytes(b'')

    ckpt = train_unless_cached(epochs(2), str(work_dir), train, print)
    assert osp.isfile(ckpt)
    with pytest.raises(FileNotFoundError, match='epoch_5.pth'):
        train_unless_cached(epochs(5), str(work_dir), lambda c, d: None,
                            print)


def test_stage_timer_keeps_times_and_names_the_failed_stage():
    out = io.StringIO()
    stage = StageTimer('demo', out)
    with stage('1 first'):
        stage.note('a result')
    with pytest.raises(KeyError), stage('2 second'):
        raise KeyError('x')
    assert list(stage.times) == ['1 first']
    lines = out.getvalue().splitlines()
    assert lines[0] == '[demo] 1 first ...'
    assert lines[1] == '       a result'
    assert lines[2].startswith('[demo] 1 first: done in ')
    assert lines[-1] == '[demo] FAILED at 2 second'


def test_output_to_sends_stdout_and_stderr_to_the_log(tmp_path, capsys):
    log = tmp_path / 'logs' / 'run.log'
    with output_to(str(log)) as console:
        print('library chatter')
        print('to stderr', file=sys.stderr)
        print('a result', file=console)
    text = log.read_text()
    assert 'library chatter' in text and 'to stderr' in text
    assert 'a result' not in text
    captured = capsys.readouterr()
    assert captured.out == 'a result\n' and captured.err == ''


def test_jobs_run_side_by_side_and_a_failure_names_its_stage(capsys):
    """``run_jobs``: with 2 at a time, two jobs that each wait for the
    other both finish (one at a time would deadlock: the first times out);
    results come back by name; a failing job raises and its stage says
    FAILED."""
    barrier = threading.Barrier(2, timeout=10)

    def meet(value):
        barrier.wait()
        return value

    stage = StageTimer('t')
    done = run_jobs({'a': partial(meet, 1), 'b': partial(meet, 2)}, 2, stage)
    assert done == {'a': 1, 'b': 2} and set(stage.times) == {'a', 'b'}

    def fail():
        raise ValueError('no checkpoint')

    with pytest.raises(ValueError, match='no checkpoint'):
        run_jobs({'ok': lambda: 0, 'bad': fail}, 1, stage)
    assert '[t] FAILED at bad' in capsys.readouterr().out


@pytest.mark.slow
def test_in_process_runs_keep_their_own_logs_and_resume(tmp_path):
    """Two trainings of one config in one process each log and record
    scalars in their own work dir (mmengine keeps one logger and one
    visualizer per name in a process); a longer run of the first resumes
    from its checkpoint."""
    from mmpose_patchsel.benchmarks import accuracy
    from mmpose_patchsel.benchmarks.accuracy.training_log import \
        training_log
    exp = accuracy.Experiment(str(tmp_path), dict(accuracy.PRESETS['ci'],
                                                  num_train=2, num_val=1),
                              0)
    accuracy.make_data(exp)
    one_epoch = exp.config(accuracy.WARM_START, 1)
    exp.train({'a': (one_epoch, 'a'), 'b': (one_epoch, 'b')})
    for run in 'ab':
        assert training_log(str(tmp_path / run))['iters'] == [1]
        log = (tmp_path / run / 'train.log').read_text()
        assert f'Checkpoints will be saved to {tmp_path / run}' in log
    exp.train({'a': (exp.config(accuracy.WARM_START, 2), 'a')})
    assert 'resumed epoch: 1' in (tmp_path / 'a' / 'train.log').read_text()
    assert training_log(str(tmp_path / 'a'))['iters'] == [1, 2]
