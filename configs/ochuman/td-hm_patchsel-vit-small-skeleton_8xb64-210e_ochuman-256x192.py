# ViTPose-S on OCHuman (trained on COCO) with skeleton patch selection (Kinfu &
# Vidal, BMVC 2023).
# Inherits mmpose's ViTPose-S config: trains on COCO, validates and tests on
# OCHuman (configs/_base_/patchsel_ochuman.py); any COCO checkpoint of the same
# model can be tested with it.
# Guide: the annotations with jitter in training, an offline LiteHRNet-18 guide
# file at val/test; how to write it: configs/_base_/patchsel_ochuman.py.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-small_8xb64-210e_coco-256x192.py',
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
        arch='small',
        img_size=(256, 192),
        patch_size=16,
        patch_padding=2,
        qkv_bias=True,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'v1/pretrained_models/mae_pretrain_vit_small_20230913.pth')))

# Skeleton selection: the cells crossed by the limbs of the dataset's
# skeleton between confident guide keypoints.
selection = dict(
    type='SelectPatches',
    input_size=(192, 256),
    mode='skeleton',
    num_neighbours=0,
    num_keep=None,
    score_thr=0.3,
    use_udp=True)
train_pipeline = [
    *_base_.train_pre_selection, selection, *_base_.train_post_selection
]
val_pipeline = [
    *_base_.val_pre_selection, selection, *_base_.val_post_selection
]
test_pipeline = [
    *_base_.test_pre_selection, selection, *_base_.val_post_selection
]
# Training on COCO train2017, as the COCO config.
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.ochuman_val_dataset, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(_base_.ochuman_test_dataset, pipeline=test_pipeline))
val_evaluator = _base_.ochuman_val_evaluator
test_evaluator = _base_.ochuman_test_evaluator

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
