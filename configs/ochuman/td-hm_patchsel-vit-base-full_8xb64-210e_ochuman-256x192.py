# ViTPose-B on OCHuman (trained on COCO) with no patch selection: the
# full-model baseline.
# Inherits mmpose's ViTPose-B config: trains on COCO, validates and tests on
# OCHuman (configs/_base_/patchsel_ochuman.py); any COCO checkpoint of the same
# model can be tested with it.
# Same estimator and PatchSelViT backbone as the selection configs, run on
# every patch: the like-for-like reference for their accuracy and cost. No
# guide.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-base_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_ochuman.py'
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
        arch='base',
        img_size=(256, 192),
        patch_size=16,
        patch_padding=2,
        qkv_bias=True,
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'v1/pretrained_models/mae_pretrain_vit_base_20230913.pth')))

# Training on COCO train2017 with mmpose's pipelines, as the COCO config.
val_dataloader = dict(dataset=_base_.ochuman_val_dataset)
test_dataloader = dict(dataset=_base_.ochuman_test_dataset)
val_evaluator = _base_.ochuman_val_evaluator
test_evaluator = _base_.ochuman_test_evaluator

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
