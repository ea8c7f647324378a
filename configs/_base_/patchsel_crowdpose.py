# Pieces shared by the CrowdPose configs.
#
# mmpose has no ViTPose config for CrowdPose, so a CrowdPose config inherits
# our COCO full config of its size (mmpose's ViTPose config: model, UDP
# codec, schedule, AdamW with layer decay, ViTPose's augmentation) and swaps
# in CrowdPose's data settings from mmpose's
# td-hm_res50_8xb64-210e_crowdpose-256x192.py: CrowdPoseDataset (14 joints,
# its own skeleton and flip pairs), trained on trainval, validated and
# tested on test with the detected person boxes, CocoMetric with
# CrowdPose's crowd OKS (use_area=False, iou_type='keypoints_crowd', metrics
# prefixed 'crowdpose/', best checkpoint by crowdpose/AP); the head predicts
# 14 joints. Data as in mmpose's dataset zoo:
#   data/crowdpose/annotations/mmpose_crowdpose_{trainval,test}.json,
#       det_for_crowd_test_0.1_0.5.json
#   data/crowdpose/images/
#
# Not a config on its own: only new names, to sit beside the COCO full config
# of a size in a `_base_` list (see ./patchsel_coco.py, whose training
# pipelines it keeps: ViTPose's augmentation is the one mmpose trains
# CrowdPose with). A selection config picks its method's
# patchsel_<method>_{train,val}_pipeline.
#
# Guide. Training: the annotated keypoints with a light guide's errors
# (GenerateGTGuideKeypoints). Val/test: an offline guide file, mmpose's
# CrowdPose SimpleBaseline ResNet-50 (mmpose has no LiteHRNet for CrowdPose)
# on the same detected boxes, written once by
#
#   python tools/dump_guide.py \
#       mmpose::body_2d_keypoint/topdown_heatmap/crowdpose/td-hm_res50_8xb64-210e_crowdpose-256x192.py \
#       https://download.openmmlab.com/mmpose/top_down/resnet/res50_crowdpose_256x192-c6a526b6_20201227.pth \
#       --data-root data/crowdpose/ --ann-file annotations/mmpose_crowdpose_test.json \
#       --img-prefix images/ \
#       --bbox-file data/crowdpose/annotations/det_for_crowd_test_0.1_0.5.json \
#       --out data/crowdpose/guide/res50_crowdpose_test_det_guide.json
#
# (any mmpose top-down CrowdPose model can be the guide). Another file at
# test time, without editing a config:
#   --cfg-options test_dataloader.dataset.pipeline.2.guide_file=FILE
_base_ = ['./patchsel_coco.py']

crowdpose_train_dataset = dict(
    type='CrowdPoseDataset',
    data_root='data/crowdpose/',
    data_mode='topdown',
    ann_file='annotations/mmpose_crowdpose_trainval.json',
    data_prefix=dict(img='images/'))
crowdpose_test_dataset = dict(
    type='CrowdPoseDataset',
    data_root='data/crowdpose/',
    data_mode='topdown',
    ann_file='annotations/mmpose_crowdpose_test.json',
    bbox_file='data/crowdpose/annotations/det_for_crowd_test_0.1_0.5.json',
    data_prefix=dict(img='images/'),
    test_mode=True)
crowdpose_evaluator = dict(
    type='CocoMetric',
    ann_file='data/crowdpose/annotations/mmpose_crowdpose_test.json',
    use_area=False,
    iou_type='keypoints_crowd',
    prefix='crowdpose')

# The val/test guide (transform 2 of the pipeline); training is COCO's.
val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/crowdpose/guide/'
        'res50_crowdpose_test_det_guide.json'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
patchsel_skeleton_val_pipeline = [
    *val_pre_selection, _base_.patchsel_skeleton, *_base_.val_post_selection
]
patchsel_neighbour4_val_pipeline = [
    *val_pre_selection, _base_.patchsel_neighbour4,
    *_base_.val_post_selection
]
