# Skeleton patch selection (K = 768 of the 3072 patches) applied to the
# released Sapiens-0.3B COCO-WholeBody checkpoint with no training at all
# (Kinfu & Vidal, BMVC 2023). The guide runs online, a frozen RTMPose-m
# whole-body (133 joints) at its own 256x192 input inside the estimator, so no
# guide file is needed:
#
#   mim test mmpose configs/sapiens/td-hm_patchsel-sapiens-0.3b-skeleton-k768-testonly_coco-wholebody-1024x768.py \
#       --checkpoint https://huggingface.co/noahcao/sapiens-pose-coco/resolve/main/sapiens_host/pose/checkpoints/sapiens_0.3b/sapiens_0.3b_coco_wholebody_best_coco_wholebody_AP_620.pth
#
# (`load_from` below is the same file, for Runner.from_cfg(cfg).test(); the URL
# is Sapiens' README link with blob/ changed to resolve/.) PatchSelViT and
# SapiensHeatmapHead have Sapiens' parameter names, so the checkpoint loads as
# it is. The full config beside this one with --checkpoint is Sapiens' model
# itself; the skeleton config tests the same selection with the offline guide
# file.
_base_ = [
    './td-hm_patchsel-sapiens-0.3b-full_8xb64-210e_coco-wholebody-1024x768.py'
]

load_from = ('https://huggingface.co/noahcao/sapiens-pose-coco/resolve/main/'
             'sapiens_host/pose/checkpoints/sapiens_0.3b/'
             'sapiens_0.3b_coco_wholebody_best_coco_wholebody_AP_620.pth')
model = dict(
    # The checkpoint holds every weight: no MAE initialisation.
    backbone=dict(init_cfg=None),
    # The skeleton the online selection follows (mmpose's metainfo).
    metainfo=dict(from_file='configs/_base_/datasets/coco_wholebody.py'),
    guide=dict(
        config='mmpose::wholebody_2d_keypoint/rtmpose/coco-wholebody/'
        'rtmpose-m_8xb64-270e_coco-wholebody-256x192.py',
        checkpoint='https://download.openmmlab.com/mmpose/v1/projects/'
        'rtmposev1/rtmpose-m_simcc-coco-wholebody_pt-aic-coco_270e-'
        '256x192-cd5e845c_20230123.pth'),
    # As the pipeline's SelectPatches of the skeleton config.
    selection=dict(
        mode='skeleton',
        num_neighbours=0,
        num_keep=768,
        score_thr=0.3,
        use_udp=True))

# Test only: nothing to train with (mmengine wants all or none of these).
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
