# ViTPose-H on COCO with no patch selection: the full-model baseline.
# Inherits mmpose's ViTPose-H config; states only what differs.
# Same estimator and PatchSelViT backbone as the selection configs, run on
# every patch: the like-for-like reference for their accuracy and cost. No
# guide.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-huge_8xb64-210e_coco-256x192.py'
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
        arch='huge',
        img_size=(256, 192),
        patch_size=16,
        patch_padding=2,
        qkv_bias=True,
        drop_path_rate=0.55,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'v1/pretrained_models/mae_pretrain_vit_huge_20230913.pth',
            # No-op for 16x16 kernels; pads MAE-H/14 ones as ViTPose does.
            patch_kernel_resize='pad')))

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
