# The two guide-driven selections of Kinfu & Vidal (BMVC 2023), shared by
# every dataset's pieces (./patchsel_<dataset>.py put them between the halves
# of their pipelines). Input 256x192 as ViTPose; the 16x12 patch grid with
# padding 2 and UDP follow from it. Only new names: see ./patchsel_coco.py.

# Skeleton: the cells crossed by the limbs of the dataset's skeleton between
# confident guide keypoints (the sample's own `skeleton_links`).
patchsel_skeleton = dict(
    type='SelectPatches',
    input_size=(192, 256),
    mode='skeleton',
    num_neighbours=0,
    num_keep=None,
    score_thr=0.3,
    use_udp=True)
# Neighbour, n = 4: the cells of the confident guide keypoints and their 4
# nearest neighbours each (about a quarter of the 192 patches on COCO, see
# the selection table of docs/selection.md).
patchsel_neighbour4 = dict(
    patchsel_skeleton, mode='neighbour', num_neighbours=4)
# Training variants: the flipped-image mask is read by flip test only, so
# training pipelines do not compute it.
patchsel_skeleton_train = dict(patchsel_skeleton, with_flip_mask=False)
patchsel_neighbour4_train = dict(patchsel_neighbour4, with_flip_mask=False)
