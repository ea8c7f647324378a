"""``evaluation_key``: what a cached score may be reused for."""
import os

from mmengine.config import Config

from mmpose_patchsel.analysis import evaluation_key


def make(tmp_path):
    ann = tmp_path / 'val.json'
    ann.write_text('{"images": []}')
    ckpt = tmp_path / 'epoch_2.pth'
    ckpt.write_bytes(b'weights')
    cfg = Config(dict(model=dict(backbone=dict(test_keep_rate=None)),
                      test_evaluator=dict(type='CocoMetric',
                                          ann_file=str(ann))))
    return cfg, str(ckpt), ann


def test_same_config_and_files_give_the_same_key(tmp_path):
    cfg, ckpt, _ = make(tmp_path)
    key = evaluation_key(cfg, ckpt)
    assert evaluation_key(Config(cfg.to_dict()), ckpt) == key
    assert evaluation_key(cfg, ckpt) != evaluation_key(cfg, None)


def test_an_option_changes_the_key(tmp_path):
    cfg, ckpt, _ = make(tmp_path)
    key = evaluation_key(cfg, ckpt)
    cfg.model.backbone.test_keep_rate = 0.5
    assert evaluation_key(cfg, ckpt) != key


def test_a_rewritten_checkpoint_or_named_file_changes_the_key(tmp_path):
    """A retrained model or regenerated annotations (same paths) are new
    inputs: the size or modification time differs."""
    cfg, ckpt, ann = make(tmp_path)
    key = evaluation_key(cfg, ckpt)
    stat = os.stat(ckpt)
    os.utime(ckpt, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after_training = evaluation_key(cfg, ckpt)
    assert after_training != key
    ann.write_text('{"images": [], "annotations": []}')
    assert evaluation_key(cfg, ckpt) != after_training
