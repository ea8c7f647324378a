# Patch-selection pipelines of the Sapiens COCO-WholeBody configs:
# ./patchsel_sapiens.py with the offline guide of the val/test set. Only new
# names (see ./patchsel_coco.py). The skeleton selection follows the 133
# joints' skeleton of mmpose's COCO-WholeBody metainfo (body, feet, face
# and hand links), which the samples carry.
#
# Guide: RTMPose-m whole-body (133 joints) at its own 256x192 input, on the
# person boxes Sapiens evaluates on (AP_H_70, see
# ./sapiens_coco_wholebody.py), written once by
#
#   python tools/dump_guide.py \
#       mmpose::wholebody_2d_keypoint/rtmpose/coco-wholebody/rtmpose-m_8xb64-270e_coco-wholebody-256x192.py \
#       https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/rtmpose-m_simcc-coco-wholebody_pt-aic-coco_270e-256x192-cd5e845c_20230123.pth \
#       --data-root data/coco/ --ann-file annotations/coco_wholebody_val_v1.0.json \
#       --img-prefix val2017/ \
#       --bbox-file data/coco/person_detection_results/COCO_val2017_detections_AP_H_70_person.json \
#       --out data/coco/guide/rtmpose-m_coco-wholebody_val2017_det_AP_H_70_guide.json
#
# Another file at test time:
#   --cfg-options test_dataloader.dataset.pipeline.2.guide_file=FILE
_base_ = ['./patchsel_sapiens.py']

sapiens_wholebody_val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/coco/guide/'
        'rtmpose-m_coco-wholebody_val2017_det_AP_H_70_guide.json'),
    dict(type='TopdownAffine', input_size=(768, 1024), use_udp=True),
]

sapiens_skeleton_train_pipeline = [
    *_base_.sapiens_train_pre_selection, _base_.sapiens_skeleton_train,
    *_base_.sapiens_train_post_selection
]
sapiens_skeleton_val_pipeline = [
    *sapiens_wholebody_val_pre_selection, _base_.sapiens_skeleton,
    *_base_.sapiens_val_post_selection
]
sapiens_neighbour40_train_pipeline = [
    *_base_.sapiens_train_pre_selection, _base_.sapiens_neighbour40_train,
    *_base_.sapiens_train_post_selection
]
sapiens_neighbour40_val_pipeline = [
    *sapiens_wholebody_val_pre_selection, _base_.sapiens_neighbour40,
    *_base_.sapiens_val_post_selection
]
