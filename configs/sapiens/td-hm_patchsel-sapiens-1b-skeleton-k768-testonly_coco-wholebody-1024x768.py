# Skeleton patch selection (K = 768 of the 3072 patches) applied to the
# released Sapiens-1B COCO-WholeBody checkpoint with no training at all: the
# 0.3B config beside this one (online RTMPose-m whole-body guide, the
# selection, test only) with the 1B model of
# td-hm_patchsel-sapiens-1b-full_8xb64-210e_coco-wholebody-1024x768.py:
#
#   mim test mmpose configs/sapiens/td-hm_patchsel-sapiens-1b-skeleton-k768-testonly_coco-wholebody-1024x768.py \
#       --checkpoint https://huggingface.co/noahcao/sapiens-pose-coco/resolve/main/sapiens_host/pose/checkpoints/sapiens_1b/sapiens_1b_coco_wholebody_best_coco_wholebody_AP_727.pth
_base_ = [
    './td-hm_patchsel-sapiens-0.3b-skeleton-k768-testonly_coco-wholebody-1024x768.py'
]

load_from = ('https://huggingface.co/noahcao/sapiens-pose-coco/resolve/main/'
             'sapiens_host/pose/checkpoints/sapiens_1b/'
             'sapiens_1b_coco_wholebody_best_coco_wholebody_AP_727.pth')
model = dict(backbone=dict(arch='sapiens_1b'), head=dict(in_channels=1536))
# As the 1B full config (no effect: nothing is trained).
auto_scale_lr = dict(enable=True)
