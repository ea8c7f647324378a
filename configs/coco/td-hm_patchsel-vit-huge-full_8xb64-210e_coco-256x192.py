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
    # mmpose's ViTPose-H backbone arguments, inherited, for PatchSelViT.
    backbone=dict(
        type='PatchSelViT',
        # No-op for 16x16 kernels; pads MAE-H/14 ones as ViTPose does.
        init_cfg=dict(patch_kernel_resize='pad')))

# Why this visualizer: see the ViT-B full config.
visualizer = dict(type='PatchSelLocalVisualizer')
