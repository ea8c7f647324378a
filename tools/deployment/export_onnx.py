"""Export a top-down pose model to ONNX and check it against PyTorch.

A patch-selected model (``--num-keep K``) is exported with its selection
inside the graph: inputs are the normalised crop (B, 3, h, w), the guide's
keypoints in crop pixels (B, J, 2) and their scores (B, J); outputs the
heatmaps and the K kept cells. Without ``--num-keep`` the plain model is
exported (the full ViT, or a guide with ``--role guide``: any mmpose
top-down model). The batch axis is dynamic, every other one static. The
file carries a model card (input size, normalisation, codec, keypoints,
selection) that ``patchsel_runtime`` reads.

    python tools/deployment/export_onnx.py \\
        configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py \\
        work_dirs/vit-b-skeleton/best.pth --num-keep 96 --out vit-b_k96.onnx
    python tools/deployment/export_onnx.py \\
        mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_litehrnet-18_8xb64-210e_coco-256x192.py \\
        litehrnet18_coco_256x192.pth --role guide --out litehrnet-18.onnx

The export is checked on the bundled COCO persons (``--check-data``): the
ONNX Runtime outputs must match PyTorch's within ``1e-3`` of their range,
the kept cells exactly and, with a checkpoint, the decoded keypoints within
0.5 px; otherwise the command fails and says by how much.
"""
import argparse
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_DATA = osp.join(ROOT, '..', 'shared', 'data', 'mmpose_testdata',
                        'coco')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config (mmpose:: paths work)')
    parser.add_argument('checkpoint',
                        nargs='?',
                        help='its weights; '
                        'without, random weights (for cost measurements)')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--role',
                        choices=('selected', 'full', 'guide'),
                        help='default: selected with --num-keep, else full')
    parser.add_argument('--num-keep',
                        type=int,
                        help='the budget K: patches '
                        'kept of every person (static in the graph)')
    parser.add_argument('--mode',
                        choices=('skeleton', 'neighbour'),
                        help="selection rule (default: the config's)")
    parser.add_argument('--num-neighbours', type=int)
    parser.add_argument('--score-thr', type=float)
    parser.add_argument('--check-data',
                        default=DEFAULT_DATA,
                        help='folder with test_coco.json and its images')
    parser.add_argument('--max-persons', type=int, default=None)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import mmpose_patchsel  # noqa: F401  (registers the modules)
    from mmpose_patchsel.deployment.exporter import export_pose_model
    check_data = args.check_data if osp.isdir(args.check_data) else None
    if check_data is None:
        print(
            f'[export] {args.check_data} not found: checking on random '
            'inputs',
            file=sys.stderr)
    result = export_pose_model(args.config,
                               args.checkpoint,
                               args.out,
                               role=args.role,
                               check_data=check_data,
                               max_persons=args.max_persons,
                               num_keep=args.num_keep,
                               mode=args.mode,
                               num_neighbours=args.num_neighbours,
                               score_thr=args.score_thr)
    print(json.dumps(dict(onnx=args.out, **result['check'])))
    return result


if __name__ == '__main__':
    main()
