# Patch selection for the Sapiens configs at 1024x768 (64x48 = 3072 patch
# tokens: 16x16 patches, padding 2, UDP), the pieces shared by COCO and
# COCO-WholeBody; ./patchsel_sapiens_coco.py and
# ./patchsel_sapiens_coco_wholebody.py add each dataset's guide file and
# assemble the pipelines. Only new names: see ./patchsel_coco.py.
#
# Budgets. A 64x48 cell is 16 px of a 1024-px crop, a quarter (per side) of
# a 256x192 cell's share of the person, so the 256x192 settings keep much
# less of the body here: every selection keeps a fixed budget of K = 768
# cells, a quarter of the grid, filled in the documented order of
# mmpose_patchsel/selection/budget.py (keypoint cells, the selection's
# other cells, then the nearest remaining cells). Another K at test time:
#   --cfg-options test_dataloader.dataset.pipeline.4.num_keep=1536
# (SelectPatches is transform 4 of the val/test pipeline).

# Skeleton: the cells crossed by the limbs of the dataset's skeleton between
# confident guide keypoints, then the nearest cells up to K.
sapiens_skeleton = dict(
    type='SelectPatches',
    input_size=(768, 1024),
    mode='skeleton',
    num_neighbours=0,
    num_keep=768,
    score_thr=0.3,
    use_udp=True)
# Neighbour, n = 40: the 40 nearest cells of each confident keypoint's cell
# (a diamond of radius 4 cells, 64 px of the 1024-px crop: the reach of
# n = 4, radius 1 cell of 16 px, at 256x192), then the nearest cells up to
# K.
sapiens_neighbour40 = dict(
    sapiens_skeleton, mode='neighbour', num_neighbours=40)
# Training variants: only flip test reads the flipped-image mask.
sapiens_skeleton_train = dict(sapiens_skeleton, with_flip_mask=False)
sapiens_neighbour40_train = dict(sapiens_neighbour40, with_flip_mask=False)

sapiens_train_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    # The annotation with a light guide's errors stands in for the guide.
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=(768, 1024), use_udp=True),
]
sapiens_train_post_selection = [
    dict(type='PhotometricDistortion'),
    # ./sapiens_pose.py's codec, written out: a sibling base cannot read it.
    dict(
        type='GenerateTarget',
        encoder=dict(
            type='UDPHeatmap',
            input_size=(768, 1024),
            heatmap_size=(192, 256),
            sigma=6)),
    dict(type='PackPatchSelInputs'),
]
sapiens_val_post_selection = [dict(type='PackPatchSelInputs')]
