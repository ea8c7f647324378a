# Pieces shared by the MPII configs.
#
# mmpose has no ViTPose config for MPII, so an MPII config inherits mmpose's
# ViTPose COCO config of its size (model, UDP codec, schedule, AdamW with
# layer decay) and swaps in MPII's data settings from mmpose's
# td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py: MpiiDataset, its pipeline
# (RandomFlip, RandomBBoxTransform without shift, no half-body), PCKh with
# MpiiPCKAccuracy, at ViTPose's 256x192 input; the head predicts 16 joints.
# Data as in mmpose's dataset zoo:
#   data/mpii/annotations/{mpii_train,mpii_val}.json, mpii_gt_val.mat
#   data/mpii/images/
#
# Not a config on its own: only new names, to sit beside mmpose's ViTPose
# config in a `_base_` list. A selection config puts its SelectPatches
# between the halves of each pipeline (see ./patchsel_coco.py); the full and
# joint-token configs use mpii_train_pipeline / mpii_val_pipeline.
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

# With selection: PackPoseInputs' default meta keys plus SelectPatches' keys.
patchsel_meta_keys = ('id', 'img_id', 'img_path', 'category_id',
                      'crowd_index', 'ori_shape', 'img_shape', 'input_size',
                      'input_center', 'input_scale', 'flip', 'flip_direction',
                      'flip_indices', 'raw_ann_info', 'dataset_name',
                      'patch_mask', 'patch_mask_flip')
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
    dict(type='PackPoseInputs', meta_keys=patchsel_meta_keys),
]
val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/mpii/guide/litehrnet-18_mpii_val_guide.json'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
val_post_selection = [
    dict(type='PackPoseInputs', meta_keys=patchsel_meta_keys),
]
