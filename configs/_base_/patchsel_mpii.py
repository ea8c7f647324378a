# Pieces shared by the MPII configs.
#
# mmpose has no ViTPose config for MPII, so an MPII config inherits our COCO
# full config of its size (mmpose's ViTPose config: model, UDP codec,
# schedule, AdamW with layer decay) and swaps in MPII's data settings from
# mmpose's td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py: MpiiDataset, its
# pipeline (RandomFlip, RandomBBoxTransform without shift, no half-body),
# PCKh with MpiiPCKAccuracy, at ViTPose's 256x192 input; the head predicts
# 16 joints.
# Data as in mmpose's dataset zoo:
#   data/mpii/annotations/{mpii_train,mpii_val}.json, mpii_gt_val.mat
#   data/mpii/images/
#
# Not a config on its own: only new names, to sit beside the COCO full config
# of a size in a `_base_` list (see ./patchsel_coco.py). The full and
# joint-token configs use mpii_train_pipeline / mpii_val_pipeline, a
# selection config its method's patchsel_<method>_{train,val}_pipeline.
#
# Guide. Training: the annotated keypoints with a light guide's errors
# (GenerateGTGuideKeypoints). Val/test: an offline guide file, mmpose's MPII
# LiteHRNet-18 on MPII val, written once by
#
#   python tools/dump_guide.py \
#       mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py \
#       https://download.openmmlab.com/mmpose/top_down/litehrnet/litehrnet18_mpii_256x256-cabd7984_20210623.pth \
#       --data-root data/mpii/ --ann-file annotations/mpii_val.json \
#       --img-prefix images/ --out data/mpii/guide/litehrnet-18_mpii_val_guide.json
#
# (the guide's 256x256 crops do not matter: the file holds image
# coordinates). Another file at test time, without editing a config:
#   --cfg-options test_dataloader.dataset.pipeline.2.guide_file=FILE
_base_ = ['./patchsel_selection.py']

mpii_train_dataset = dict(
    type='MpiiDataset',
    data_root='data/mpii/',
    data_mode='topdown',
    ann_file='annotations/mpii_train.json',
    data_prefix=dict(img='images/'))
mpii_val_dataset = dict(
    type='MpiiDataset',
    data_root='data/mpii/',
    data_mode='topdown',
    ann_file='annotations/mpii_val.json',
    headbox_file='data/mpii/annotations/mpii_gt_val.mat',
    # MPII has no detection file; None also replaces the ViTPose base's COCO
    # one when this dict is merged into its val dataset.
    bbox_file=None,
    data_prefix=dict(img='images/'),
    test_mode=True)

# mmpose ViTPose's codec, written out: a sibling base cannot read it.
vitpose_codec = dict(
    type='UDPHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)

# Without selection (full and joint-token models).
mpii_train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
    dict(type='GenerateTarget', encoder=vitpose_codec),
    dict(type='PackPoseInputs')
]
mpii_val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
    dict(type='PackPoseInputs')
]

# With selection.
train_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    # The annotation with a light guide's errors stands in for the guide.
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
train_post_selection = [
    dict(type='GenerateTarget', encoder=vitpose_codec),
    dict(type='PackPatchSelInputs'),
]
val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/mpii/guide/litehrnet-18_mpii_val_guide.json'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
val_post_selection = [dict(type='PackPatchSelInputs')]

patchsel_skeleton_train_pipeline = [
    *train_pre_selection, _base_.patchsel_skeleton_train,
    *train_post_selection
]
patchsel_skeleton_val_pipeline = [
    *val_pre_selection, _base_.patchsel_skeleton, *val_post_selection
]
patchsel_neighbour4_train_pipeline = [
    *train_pre_selection, _base_.patchsel_neighbour4_train,
    *train_post_selection
]
patchsel_neighbour4_val_pipeline = [
    *val_pre_selection, _base_.patchsel_neighbour4, *val_post_selection
]
