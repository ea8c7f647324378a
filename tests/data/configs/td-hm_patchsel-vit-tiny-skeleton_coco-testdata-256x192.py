# The tiny test model with skeleton selection in the data pipeline: the
# annotations with jitter as the guide in training (as the shipped configs
# train), the plain annotations at validation.
_base_ = ['./td-hm_patchsel-vit-tiny_coco-testdata-256x192.py']

selection = dict(type='SelectPatches', input_size=(192, 256), mode='skeleton')
codec = dict(
    type='UDPHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
    selection,
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPatchSelInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='GenerateGTGuideKeypoints'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
    selection,
    dict(type='PackPatchSelInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
