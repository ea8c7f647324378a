"""Bad models, cards and inputs fail early with errors naming the wrong
thing."""
import json

import numpy as np
import pytest

from patchsel_runtime import ModelCardError, PatchSelPose, parse_model_card
from patchsel_runtime.metadata import read_model_card
from test_runtime.tiny_onnx import (constant_model, conv_heatmap_model,
                                    heatmap_codec, make_card, render_model)

IMAGE = np.zeros((40, 60, 3), np.uint8)  # width 60, height 40


@pytest.fixture
def full(tmp_path, load):
    return load(conv_heatmap_model(tmp_path / 'full.onnx', make_card('full')))


@pytest.fixture
def selected(tmp_path, load):
    return load(render_model(tmp_path / 'sel.onnx', make_card('selected')))


# -- model files and cards ----------------------------------------------------
def test_missing_model_file(tmp_path, load):
    path = tmp_path / 'nowhere' / 'model.onnx'
    with pytest.raises(FileNotFoundError, match='nowhere/model.onnx'):
        load(path)
    with pytest.raises(FileNotFoundError, match='nowhere/model.onnx'):
        read_model_card(str(path))


def test_model_without_card(tmp_path, load):
    path = conv_heatmap_model(tmp_path / 'plain.onnx', None)
    with pytest.raises(ModelCardError, match="no 'patchsel' model card"):
        load(path)


def test_not_an_onnx_file(tmp_path, load):
    path = tmp_path / 'junk.onnx'
    path.write_bytes(b'not a protobuf')
    with pytest.raises(ValueError, match='junk.onnx'):
        load(path)


@pytest.mark.parametrize('key,value,match', [
    ('format', 2, "'format' must be 1"),
    ('role', 'teacher', "'role' must be one of"),
    ('input_size', [192], "'input_size' must be two positive ints"),
    ('std', [1, 0, 1], "'std' must be three positive numbers"),
    ('bgr_to_rgb', 'yes', "'bgr_to_rgb' must be true or false"),
    ('bbox_padding', 0, "'bbox_padding' must be a number > 0"),
    ('num_keypoints', 0, "'num_keypoints' must be an int > 0"),
    ('inputs', ['input', 'keypoints'], "'inputs' must be"),
    ('outputs', ['simcc_x', 'simcc_y'], "'outputs' must be"),
    ('codec', dict(type='UDPHeatmap', input_size=[48, 32]),
     "'codec.input_size' must be the card's input_size"),
    ('flip_indices', [0, 1], "'flip_indices' must be 17 indices"),
])
def test_malformed_card_names_the_key(key, value, match):
    card = make_card('full')
    card[key] = value
    with pytest.raises(ModelCardError, match=match):
        parse_model_card(json.dumps(card), 'm.onnx')
    del card[key]
    if key == 'flip_indices':  # optional: the exporter may have none
        return
    with pytest.raises(ModelCardError, match=repr(key)):
        parse_model_card(card, 'm.onnx')


def test_card_without_dataset_meta_is_accepted():
    """The exporter writes None where the model has no dataset_meta."""
    card = make_card('full',
                     dataset_name=None,
                     flip_indices=None,
                     skeleton_links=None)
    parsed = parse_model_card(card)
    assert parsed.crop_hw == (64, 48) and parsed.flip_indices is None


def test_selected_card_needs_selection():
    card = make_card('selected')
    del card['selection']
    with pytest.raises(ModelCardError, match="'selection' must be a dict"):
        parse_model_card(card)


def test_unsupported_codec_is_named(tmp_path, load):
    card = make_card('full',
                     codec=dict(type='RegressionLabel', input_size=[48, 64]))
    with pytest.raises(NotImplementedError, match="'RegressionLabel'"):
        load(
            constant_model(tmp_path / 'r.onnx', card,
                           dict(heatmaps=np.zeros((17, 16, 12)))))
    card = make_card('full', codec=heatmap_codec(heatmap_type='combined'))
    with pytest.raises(NotImplementedError, match="heatmap_type='combined'"):
        load(conv_heatmap_model(tmp_path / 'c.onnx', card))


def test_graph_that_disagrees_with_its_card(tmp_path, load):
    card = make_card('full', outputs=['heatmaps', 'keep_indices'])
    with pytest.raises(ValueError, match="outputs.*'keep_indices'"):
        load(conv_heatmap_model(tmp_path / 'x.onnx', card))


# -- model inputs -------------------------------------------------------------
def test_wrong_crop_size_names_the_expected_size(full):
    with pytest.raises(ValueError, match=r'\(h, w\) = \(64, 48\)'):
        full(np.zeros((1, 3, 48, 64), np.float32))


def test_wrong_dtype_and_ndim(full, selected):
    with pytest.raises(TypeError,
                       match='inputs must be float32, got '
                       'float64'):
        full(np.zeros((1, 3, 64, 48)))
    with pytest.raises(ValueError,
                       match=r'inputs must have 4 dims .* got '
                       r'shape \(3, 64, 48\)'):
        full(np.zeros((3, 64, 48), np.float32))
    crops = np.zeros((2, 3, 64, 48), np.float32)
    with pytest.raises(TypeError, match='keypoints must be float32'):
        selected(crops, np.zeros((2, 17, 2)), np.zeros((2, 17), np.float32))
    with pytest.raises(ValueError, match='keypoint_scores must have 2 dims'):
        selected(crops, np.zeros((2, 17, 2), np.float32),
                 np.zeros((2, 17, 1), np.float32))
    with pytest.raises(ValueError, match=r'keypoints must be \(2, 17, 2\)'):
        selected(crops, np.zeros((1, 17, 2), np.float32),
                 np.zeros((1, 17), np.float32))


def test_guide_with_another_keypoint_set(selected):
    crops = np.zeros((1, 3, 64, 48), np.float32)
    with pytest.raises(ValueError,
                       match='gives 16 keypoints.*'
                       'num_keypoints=17.*another keypoint set'):
        selected(crops, np.zeros((1, 16, 2), np.float32),
                 np.zeros((1, 16), np.float32))


def test_keypoints_only_for_selected_models(full, selected):
    crops = np.zeros((1, 3, 64, 48), np.float32)
    with pytest.raises(ValueError, match="role 'full' and takes no"):
        full(crops, np.zeros((1, 17, 2), np.float32),
             np.zeros((1, 17), np.float32))
    with pytest.raises(ValueError, match='needs the guide'):
        selected(crops)


# -- the pipeline -------------------------------------------------------------
@pytest.mark.parametrize('image,match', [
    (np.zeros((0, 60, 3), np.uint8), r'shape \(0, 60, 3\)'),
    (np.zeros((40, 60), np.uint8), r'shape \(40, 60\)'),
    (np.zeros((40, 60, 4), np.uint8), r'shape \(40, 60, 4\)'),
    (np.zeros((40, 60, 3), np.float32), 'dtype float32'),
    (None, 'got NoneType'),
])
def test_bad_image(full, image, match):
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8.*' + match):
        PatchSelPose(full)(image, [[0, 0, 10, 10]])


@pytest.mark.parametrize('boxes,match', [
    ([[0, 0, 10, 10, 0.9]], r'\(P, 4\).*\(1, 5\).*drop the score'),
    ([0, 0, 10, 10], r'\(P, 4\) xyxy, got shape \(4,\)'),
    ([[0, 0, 10, 10], [5, 5, 5, 9]], r'bboxes\[1\].*x2 > x1'),
    ([[0, 0, 10, 10], [5, 9, 8, 2]], r'bboxes\[1\].*y2 > y1'),
    ([[0, 0, 10, np.nan]], r'bboxes\[0\].*finite'),
    ([[0, 0, 10, 10], [1, 1, 9, 9], [60, 0, 90, 20]
      ], r'bboxes\[2\].*outside the image of width 60 and height 40'),
    ([[-30, -20, -1, 5]], r'bboxes\[0\].*outside.*width 60 and height 40'),
])
def test_bad_boxes_name_the_box(full, boxes, match):
    with pytest.raises(ValueError, match=match):
        PatchSelPose(full)(IMAGE, boxes)


def test_selected_needs_a_guide(selected):
    with pytest.raises(ValueError, match='give a guide model'):
        PatchSelPose(selected)(IMAGE, [[0, 0, 10, 10]])


def test_guide_keypoints_must_fit_the_boxes(selected):
    pose = PatchSelPose(selected)
    with pytest.raises(ValueError,
                       match=r'keypoints \(2, 17, 2\).*got '
                       r'\(1, 17, 2\)'):
        pose(IMAGE, [[0, 0, 10, 10], [5, 5, 20, 20]],
             guide_keypoints=(np.zeros((1, 17, 2)), np.zeros((1, 17))))
    with pytest.raises(ValueError, match='pair.*got ndarray'):
        pose(IMAGE, [[0, 0, 10, 10]], guide_keypoints=np.zeros((2, 17, 2)))


def test_full_model_takes_no_guide(full, selected):
    with pytest.raises(ValueError, match="role 'full'.*no guide"):
        PatchSelPose(full, guide=selected)
    with pytest.raises(ValueError, match='no guide_keypoints'):
        PatchSelPose(full)(IMAGE, [[0, 0, 10, 10]],
                           guide_keypoints=(np.zeros(
                               (1, 17, 2)), np.zeros((1, 17))))


def test_guide_model_with_another_keypoint_set(tmp_path, load, selected):
    card = make_card('guide', num_keypoints=16)
    guide = load(conv_heatmap_model(tmp_path / 'g16.onnx', card))
    with pytest.raises(ValueError,
                       match='predicts 16 keypoints.*'
                       'num_keypoints=17.*another keypoint set'):
        PatchSelPose(selected, guide)
    with pytest.raises(ValueError, match='itself a "selected" model'):
        PatchSelPose(selected, selected)
    card = make_card('guide', std=[1.0, 1.0, 1.0])
    guide = load(conv_heatmap_model(tmp_path / 'g1.onnx', card))
    with pytest.raises(ValueError,
                       match=r'normalises.*\(std \(1.0, 1.0, 1.0\) vs'):
        PatchSelPose(selected, guide)
