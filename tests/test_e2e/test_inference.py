"""A config using ``custom_imports`` builds through mmpose's own APIs."""
import json

import numpy as np
from mmengine.config import Config
from mmpose.apis import inference_topdown, init_model
from mmpose.structures import PoseDataSample

from mmpose_patchsel.models.backbones import PatchSelViT


def test_init_model_and_inference_topdown(tiny_coco_cfg, coco_root):
    model = init_model(str(tiny_coco_cfg), device='cpu')
    assert isinstance(model.backbone, PatchSelViT)

    ann = json.loads((coco_root / 'test_coco.json').read_text())
    image = ann['images'][0]
    boxes = np.array([a['bbox'] for a in ann['annotations']
                      if a['image_id'] == image['id']], dtype=np.float32)
    boxes[:, 2:] += boxes[:, :2]  # xywh -> xyxy

    results = inference_topdown(
        model, str(coco_root / image['file_name']), boxes, bbox_format='xyxy')

    assert len(results) == len(boxes)
    for result, box in zip(results, boxes):
        assert isinstance(result, PoseDataSample)
        kpts = result.pred_instances.keypoints
        assert kpts.shape == (1, 17, 2)
        assert np.isfinite(kpts).all()
        np.testing.assert_allclose(result.pred_instances.bboxes[0], box)
        # Decoding maps heatmaps back through the inverse warp, so with any
        # weights the predictions gather in the (1.25x padded) person box;
        # the median resists the few that DARK-UDP refinement of a random
        # heatmap throws far away.
        centre, half = (box[:2] + box[2:]) / 2, (box[2:] - box[:2]) / 2
        half = np.maximum(half, half[::-1] * [192 / 256, 256 / 192]) * 1.25
        assert np.all(np.abs(np.median(kpts[0], axis=0) - centre) <= half)


def test_inference_topdown_with_selection_pipeline(tiny_coco_cfg, coco_root,
                                                   coco_guide_file):
    """``inference_topdown`` samples carry no image id: the offline guide is
    matched by file name and box, and the selection reaches the ViT."""
    cfg = Config.fromfile(str(tiny_coco_cfg))
    meta_keys = ('img_path', 'ori_shape', 'img_shape', 'input_size',
                 'input_center', 'input_scale', 'flip_indices', 'patch_mask',
                 'patch_mask_flip')
    cfg.test_dataloader.dataset.pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='LoadGuideKeypoints', guide_file=str(coco_guide_file)),
        dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
        dict(type='SelectPatches', input_size=(192, 256), mode='skeleton'),
        dict(type='PackPoseInputs', meta_keys=meta_keys),
    ]
    model = init_model(cfg, device='cpu')
    ann = json.loads((coco_root / 'test_coco.json').read_text())
    image = ann['images'][0]
    boxes = np.array([a['bbox'] for a in ann['annotations']
                      if a['image_id'] == image['id']], dtype=np.float32)

    results = inference_topdown(
        model, str(coco_root / image['file_name']), boxes, bbox_format='xywh')

    assert len(results) == len(boxes)
    for result in results:
        kept = int(result.patch_mask.sum())
        assert 0 < kept < 192, 'no selection reached the model'

    # The same boxes without any selection give other predictions.
    cfg.test_dataloader.dataset.pipeline = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] not in ('LoadGuideKeypoints', 'SelectPatches')
    ]
    full_model = init_model(cfg, device='cpu')
    full_model.load_state_dict(model.state_dict())
    full = inference_topdown(
        full_model, str(coco_root / image['file_name']), boxes,
        bbox_format='xywh')
    assert 'patch_mask' not in full[0].metainfo
    assert not np.allclose(results[0].pred_instances.keypoints,
                           full[0].pred_instances.keypoints)
