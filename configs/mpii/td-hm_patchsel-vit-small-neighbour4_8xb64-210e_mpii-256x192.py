# ViTPose-S on MPII with neighbour patch selection, n = 4 (Kinfu & Vidal, BMVC
# 2023).
# Inherits mmpose's ViTPose-S COCO config (mmpose has no MPII one) and swaps in
# MPII's data settings from configs/_base_/patchsel_mpii.py.
# Guide: the annotations with jitter in training, an offline LiteHRNet-18 guide
# file at val/test; how to write it: configs/_base_/patchsel_mpii.py.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-small_8xb64-210e_coco-256x192.py',
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
        arch='small',
        img_size=(256, 192),
        patch_size=16,
        patch_padding=2,
        qkv_bias=True,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'v1/pretrained_models/mae_pretrain_vit_small_20230913.pth')),
    head=dict(out_channels=16))

# Neighbour selection: the cells of the confident guide keypoints and
# their 4 nearest neighbours each (n = 4: about a quarter of the 192
# patches on COCO, see the README's selection table).
selection = dict(
    type='SelectPatches',
    input_size=(192, 256),
    mode='neighbour',
    num_neighbours=4,
    num_keep=None,
    score_thr=0.3,
    use_udp=True)
train_pipeline = [
    *_base_.train_pre_selection, selection, *_base_.train_post_selection
]
val_pipeline = [
    *_base_.val_pre_selection, selection, *_base_.val_post_selection
]
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
