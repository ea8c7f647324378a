# The accuracy benchmark's guide: mmpose's LiteHRNet-18 (the paper's guide)
# at a quarter of the pixels, 128x96, trained from scratch on the SYNTHETIC
# pose data for as many epochs as the ViT's warm start. Its keypoints pick
# the patches at val/test time (tools/dump_guide.py writes them); its own AP
# is reported beside the ViTs'. At 128x96 a heatmap pixel is 4 guide pixels
# = 8 ViT pixels, half a 16x16 patch.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py',
    '../_base_/synthetic_pose.py'
]

custom_imports = dict(imports=['mmpose_patchsel'], allow_failed_imports=False)

train_cfg = dict(max_epochs=8, val_interval=8)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=100, start_factor=0.01,
        by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=8, eta_min=1e-5,
         by_epoch=True, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=8, save_best=None, max_keep_ckpts=1))

codec = dict(
    type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32),
    sigma=1.5)
model = dict(head=dict(decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.1,
        scale_factor=(0.8, 1.2),
        rotate_factor=20),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(_base_.synthetic_train_dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(_base_.synthetic_val_dataset, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = _base_.synthetic_evaluator
test_evaluator = val_evaluator

visualizer = dict(type='PatchSelLocalVisualizer')
