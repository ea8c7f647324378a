# ViTPose-L on MPII with no patch selection: the full-model baseline.
# Inherits mmpose's ViTPose-L COCO config (mmpose has no MPII one) and swaps in
# MPII's data settings from configs/_base_/patchsel_mpii.py.
# Same estimator and PatchSelViT backbone as the selection configs, run on
# every patch: the like-for-like reference for their accuracy and cost. No
# guide.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-large_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_mpii.py'
]

custom_imports = dict(
    imports=[
        'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper',
        'mmpose_patchsel'
    ],
    allow_failed_imports=False)

model = dict(
    type='PatchSelTopdownEstimator',
    backbone=dict(
        _delete_=True,
        type='PatchSelViT',
        arch='large',
        img_size=(256, 192),
        patch_size=16,
        patch_padding=2,
        qkv_bias=True,
        drop_path_rate=0.5,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'v1/pretrained_models/mae_pretrain_vit_large_20230913.pth')),
    head=dict(out_channels=16))

train_pipeline = _base_.mpii_train_pipeline
val_pipeline = _base_.mpii_val_pipeline
train_dataloader = dict(
    dataset=dict(_base_.mpii_train_dataset, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.mpii_val_dataset, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MpiiPCKAccuracy')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='PCK'))

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
