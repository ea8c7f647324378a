# The tiny test model with an online guide: the tiny model itself, frozen,
# run inside the estimator in training too (``guide_in_loss``). Its weights
# come from ``--cfg-options model.guide.checkpoint=FILE`` (the tests write
# one with fixed random weights); random guides give low scores, so every
# keypoint counts.
_base_ = ['./td-hm_patchsel-vit-tiny_coco-testdata-256x192.py']

model = dict(
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
    guide=dict(
        config='{{fileDirname}}/td-hm_patchsel-vit-tiny_coco-testdata-'
        '256x192.py',
        checkpoint=None),
    selection=dict(mode='skeleton', num_neighbours=0, score_thr=-1e6),
    guide_in_loss=True)
