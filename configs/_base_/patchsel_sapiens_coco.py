# Patch-selection pipelines of the Sapiens COCO configs: ./patchsel_sapiens.py
# with the offline guide of the val/test set. Only new names: a selection
# config puts it beside its full config and picks its method's pipelines
# (see ./patchsel_coco.py).
#
# Guide: LiteHRNet-18 at its own 256x192 input, on the person boxes Sapiens
# evaluates on (AP_H_70, see ./sapiens_coco.py), written once by
#
#   python tools/dump_guide.py \
#       mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_litehrnet-18_8xb64-210e_coco-256x192.py \
#       https://download.openmmlab.com/mmpose/top_down/litehrnet/litehrnet18_coco_256x192-6bace359_20211230.pth \
#       --data-root data/coco/ --ann-file annotations/person_keypoints_val2017.json \
#       --img-prefix val2017/ \
#       --bbox-file data/coco/person_detection_results/COCO_val2017_detections_AP_H_70_person.json \
#       --out data/coco/guide/litehrnet-18_coco_val2017_det_AP_H_70_guide.json
#
# Another file at test time:
#   --cfg-options test_dataloader.dataset.pipeline.2.guide_file=FILE
_base_ = ['./patchsel_sapiens.py']

sapiens_coco_val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/coco/guide/'
        'litehrnet-18_coco_val2017_det_AP_H_70_guide.json'),
    dict(type='TopdownAffine', input_size=(768, 1024), use_udp=True),
]

sapiens_skeleton_train_pipeline = [
    *_base_.sapiens_train_pre_selection, _base_.sapiens_skeleton_train,
    *_base_.sapiens_train_post_selection
]
sapiens_skeleton_val_pipeline = [
    *sapiens_coco_val_pre_selection, _base_.sapiens_skeleton,
    *_base_.sapiens_val_post_selection
]
sapiens_neighbour40_train_pipeline = [
    *_base_.sapiens_train_pre_selection, _base_.sapiens_neighbour40_train,
    *_base_.sapiens_train_post_selection
]
sapiens_neighbour40_val_pipeline = [
    *sapiens_coco_val_pre_selection, _base_.sapiens_neighbour40,
    *_base_.sapiens_val_post_selection
]
