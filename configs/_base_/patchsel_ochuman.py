# Pieces shared by the OCHuman configs: COCO training, OCHuman val/test.
#
# OCHuman (Zhang et al., CVPR 2019) has no training split: as in mmpose, a
# model is trained on COCO and its robustness to occlusion is measured on
# OCHuman's val and test files (COCO keypoints, OCHumanDataset + CocoMetric,
# ground-truth person boxes). So an OCHuman config is its COCO twin with
# other val/test sets, and any COCO checkpoint can be tested with it.
#
# Not a config on its own: only new names, to sit beside a COCO config in a
# `_base_` list. It extends ./patchsel_coco.py (training pipelines) with
# OCHuman's datasets, evaluators and val/test pipelines. Data as in mmpose's
# dataset zoo:
#   data/ochuman/annotations/ochuman_coco_format_{val,test}_range_0.00_1.00.json
#   data/ochuman/images/
#
# Guide (val/test): offline LiteHRNet-18 (COCO) predictions on the
# ground-truth boxes, one file per split, written once by
#
#   python tools/dump_guide.py \
#       mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_litehrnet-18_8xb64-210e_coco-256x192.py \
#       https://download.openmmlab.com/mmpose/top_down/litehrnet/litehrnet18_coco_256x192-6bace359_20211230.pth \
#       --data-root data/ochuman/ \
#       --ann-file annotations/ochuman_coco_format_val_range_0.00_1.00.json \
#       --img-prefix images/ --cfg-options test_dataloader.dataset.bbox_file=None \
#       --out data/ochuman/guide/litehrnet-18_ochuman_val_gt-bbox_guide.json
#
# and the same with `test` for `val` (bbox_file=None: the guide config would
# otherwise run on COCO's detection file). Training uses the COCO pieces.
_base_ = ['./patchsel_coco.py']

ochuman_val_dataset = dict(
    type='OCHumanDataset',
    data_root='data/ochuman/',
    data_mode='topdown',
    ann_file='annotations/ochuman_coco_format_val_range_0.00_1.00.json',
    # Ground-truth boxes; None also replaces the ViTPose base's COCO
    # detection file when this dict is merged into its val dataset.
    bbox_file=None,
    data_prefix=dict(img='images/'),
    test_mode=True)
ochuman_test_dataset = dict(
    ochuman_val_dataset,
    ann_file='annotations/ochuman_coco_format_test_range_0.00_1.00.json')
ochuman_val_evaluator = dict(
    type='CocoMetric',
    ann_file='data/ochuman/annotations/'
    'ochuman_coco_format_val_range_0.00_1.00.json')
ochuman_test_evaluator = dict(
    type='CocoMetric',
    ann_file='data/ochuman/annotations/'
    'ochuman_coco_format_test_range_0.00_1.00.json')

# The guide of each split (transform 2 of its pipeline); training is COCO's.
val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/ochuman/guide/'
        'litehrnet-18_ochuman_val_gt-bbox_guide.json'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
test_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/ochuman/guide/'
        'litehrnet-18_ochuman_test_gt-bbox_guide.json'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]

patchsel_skeleton_val_pipeline = [
    *val_pre_selection, _base_.patchsel_skeleton, *_base_.val_post_selection
]
patchsel_skeleton_test_pipeline = [
    *test_pre_selection, _base_.patchsel_skeleton, *_base_.val_post_selection
]
patchsel_neighbour4_val_pipeline = [
    *val_pre_selection, _base_.patchsel_neighbour4,
    *_base_.val_post_selection
]
patchsel_neighbour4_test_pipeline = [
    *test_pre_selection, _base_.patchsel_neighbour4,
    *_base_.val_post_selection
]
