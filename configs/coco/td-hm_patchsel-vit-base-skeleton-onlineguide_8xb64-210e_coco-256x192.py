# ViTPose-B on COCO with skeleton patch selection (Kinfu & Vidal, BMVC 2023),
# with the guide online: a frozen LiteHRNet-18 runs inside the estimator on
# the same crops at val/test, so no guide file is needed and mmpose's
# inference_topdown / MMPoseInferencer work with this config alone. Same
# model and training as td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-
# 256x192.py (checkpoints are interchangeable; the guide is not saved in
# them), whose offline guide file gives the same selections.
# Training: the annotations with jitter (GenerateGTGuideKeypoints) in the
# pipeline, as there; val/test: mmpose's ViTPose pipelines, inherited.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-base_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_coco.py'
]

custom_imports = dict(
    imports=[
        'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper',
        'mmpose_patchsel'
    ],
    allow_failed_imports=False)

model = dict(
    type='PatchSelTopdownEstimator',
    # The skeleton the online selection follows (mmpose's COCO metainfo).
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
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
            'v1/pretrained_models/mae_pretrain_vit_base_20230913.pth')),
    guide=dict(
        config='mmpose::body_2d_keypoint/topdown_heatmap/coco/'
        'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py',
        checkpoint='https://download.openmmlab.com/mmpose/top_down/'
        'litehrnet/litehrnet18_coco_256x192-6bace359_20211230.pth'),
    # As the pipeline's SelectPatches of the offline-guide config.
    selection=dict(
        mode='skeleton',
        num_neighbours=0,
        num_keep=None,
        score_thr=0.3,
        use_udp=True))

# Training selects in the pipeline, from the annotations (no guide network).
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
