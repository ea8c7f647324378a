# Skeleton patch selection applied to mmpose's trained ViTPose-B with no
# training at all (Kinfu & Vidal, BMVC 2023): the COCO ViT-B skeleton
# config, test only. PatchSelViT has the parameter names of mmpretrain's
# VisionTransformer that mmpose's ViTPose configs build, so mmpose's ViTPose
# checkpoints load as they are (backbone and head):
#
#   mim test mmpose configs/coco/td-hm_patchsel-vit-base-skeleton-testonly_coco-256x192.py \
#       --checkpoint https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/td-hm_ViTPose-base_8xb64-210e_coco-256x192-216eae50_20230314.pth
#
# (`mim test` needs --checkpoint; `load_from` below is the same file, for
# Runner.from_cfg(cfg).test()). The guide is the offline LiteHRNet-18 file of
# configs/_base_/patchsel_coco.py (how to write it is there). Any other
# selection config works the same way with a checkpoint of its size, e.g. on
# OCHuman, which only tests COCO models anyway; mmpose's other ViTPose
# checkpoints (their configs' vitpose_coco.yml):
#   S: .../td-hm_ViTPose-small_8xb64-210e_coco-256x192-62d7a712_20230314.pth
#   L: .../td-hm_ViTPose-large_8xb64-210e_coco-256x192-53609f55_20230314.pth
#   H: .../td-hm_ViTPose-huge_8xb64-210e_coco-256x192-e32adcd4_20230314.pth
_base_ = ['./td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py']

load_from = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/'
             'topdown_heatmap/coco/td-hm_ViTPose-base_8xb64-210e_coco-256x192'
             '-216eae50_20230314.pth')
# The checkpoint holds every weight: no MAE initialisation.
model = dict(backbone=dict(init_cfg=None))

# Test only: nothing to train with (mmengine wants all or none of these).
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
