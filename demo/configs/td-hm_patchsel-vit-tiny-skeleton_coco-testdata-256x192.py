# The demo's patch-selected ViT: same small ViT as the demo guide, trained on
# the bundled COCO test persons with skeleton selection from jittered
# annotations, and tested with the trained guide online (guide -> selection
# -> ViT on kept patches -> heatmaps). The demo fills in the checkpoint.
_base_ = ['./td-hm_vit-tiny-guide_coco-testdata-256x192.py']

selection = dict(mode='skeleton', num_neighbours=4, score_thr=0.3)

model = dict(
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
    guide=dict(
        config='{{ fileDirname }}/td-hm_vit-tiny-guide_coco-testdata-'
        '256x192.py',
        checkpoint=None),
    selection=selection)

codec = {{_base_.codec}}
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.05,
        scale_factor=(0.9, 1.1),
        rotate_factor=10),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
    dict(type='SelectPatches', input_size=(192, 256), **selection),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPatchSelInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
