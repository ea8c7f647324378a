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
    './td-hm_patchsel-vit-base-full_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_coco.py'
]

model = dict(
    # The skeleton the online selection follows (mmpose's COCO metainfo).
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
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
train_pipeline = _base_.patchsel_skeleton_train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
