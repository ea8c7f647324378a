# Patch-selection pipelines of the COCO configs (and the training half of
# the OCHuman ones). Not a config on its own: it sits beside a full config
# in a `_base_` list, so it defines only new names (mmengine refuses a key
# that two bases both define). A selection config picks its method's:
#
#   _base_ = ['./td-hm_patchsel-vit-base-full_8xb64-210e_coco-256x192.py',
#             '../_base_/patchsel_coco.py']
#   train_pipeline = _base_.patchsel_skeleton_train_pipeline
#   val_pipeline = _base_.patchsel_skeleton_val_pipeline
#
# The transforms are mmpose's ViTPose ones (256x192 input, UDP) plus the
# guide right after GetBBoxCenterScale, the selection after TopdownAffine
# and PackPatchSelInputs (PackPoseInputs that also packs the patch masks).
#
# Guide. Training: the annotated keypoints with a light guide's errors
# (GenerateGTGuideKeypoints), no guide network. Val/test: an offline guide
# file, LiteHRNet-18's predictions on the detected person boxes of val2017
# (the boxes the ViTPose config evaluates on), written once by
#
#   python tools/dump_guide.py \
#       mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_litehrnet-18_8xb64-210e_coco-256x192.py \
#       https://download.openmmlab.com/mmpose/top_down/litehrnet/litehrnet18_coco_256x192-6bace359_20211230.pth \
#       --data-root data/coco/ --ann-file annotations/person_keypoints_val2017.json \
#       --img-prefix val2017/ \
#       --bbox-file data/coco/person_detection_results/COCO_val2017_detections_AP_H_56_person.json \
#       --out data/coco/guide/litehrnet-18_coco_val2017_det_AP_H_56_guide.json
#
# (any mmpose top-down COCO model can be the guide). Another file at test
# time, without editing a config:
#   --cfg-options test_dataloader.dataset.pipeline.2.guide_file=FILE
# (the guide is transform 2 of the val/test pipeline).
_base_ = ['./patchsel_selection.py']

train_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    # The annotation with a light guide's errors stands in for the guide.
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
train_post_selection = [
    # mmpose ViTPose's codec, written out: a sibling base cannot read it.
    dict(
        type='GenerateTarget',
        encoder=dict(
            type='UDPHeatmap',
            input_size=(192, 256),
            heatmap_size=(48, 64),
            sigma=2)),
    dict(type='PackPatchSelInputs'),
]
val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    # Offline guide predictions on the same person boxes (see above).
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/coco/guide/'
        'litehrnet-18_coco_val2017_det_AP_H_56_guide.json'),
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
