# The demo's patch-selected ViT: ViT-S's width (384, 6 heads) at half its
# depth (6 blocks), 256x192 (16x12 patches), with a light head (64-channel
# deconvs) so that the blocks, whose cost selection cuts, are most of the
# model's GFLOPs, as in ViT-B. Trained on the bundled COCO persons with
# skeleton selection from jittered annotations; tested with the demo's
# guide online (guide -> selection -> ViT on kept patches -> heatmaps). The
# demo fills in the guide's checkpoint.
_base_ = ['./_base_/vit_coco-testdata.py']

selection = dict(mode='skeleton', num_neighbours=4, score_thr=0.3)
codec = dict(
    type='UDPHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)

optim_wrapper = dict(paramwise_cfg=dict(num_layers=6))
model = dict(
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
    backbone=dict(
        arch=dict(embed_dims=384, num_layers=6, num_heads=6),
        img_size=(256, 192)),
    head=dict(
        in_channels=384, deconv_out_channels=(64, 64), decoder=codec),
    guide=dict(
        config='{{ fileDirname }}/td-hm_vit-guide-t4_coco-testdata-'
        '128x96.py',
        checkpoint=None),
    selection=selection)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.05,
        scale_factor=(0.9, 1.1),
        rotate_factor=10),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='SelectPatches', input_size=codec['input_size'], **selection),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPatchSelInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
