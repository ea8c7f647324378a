"""Video: the previous frame's poses as a free guide, measured on clips.

On clips with known ground truth (``tools/make_video_clips.py``: synthetic
sequences, and smooth pan/zoom/rotation over the bundled COCO photos), runs
:class:`~mmpose_patchsel.apis.PatchSelPoseTracker` frame by frame with the
accuracy benchmark's trained models (``tools/benchmark_accuracy.py``'s
work dir; the stages it needs are trained there if absent) in four ways:

(a) the full model;
(b) online-guide selection: the trained LiteHRNet guide on every crop;
(c) previous-frame selection: the previous frame's poses are the guide;
(d) (c) with the online guide every ``--refresh-interval`` frames;
and, as a diagnostic where there is ground truth, (c) guided by the
previous frame's ground-truth poses instead of its own predictions.

(b)-(d) use the neighbour model fine-tuned at one of the accuracy
benchmark's cost points (n=4 selection filled to its budget K, the paper's
cost and half the full GFLOPs) and the same selection settings; (c) and (d)
fall back to the online guide for a person without a usable previous
pose. Boxes come from the clip's ground-truth boxes every
``--det-interval`` frames (as the accuracy benchmark evaluates on ground-
truth boxes), in between from the previous keypoints. Per clip it reports
mmpose's CocoMetric AP over the clip's frames; per frame the CPU time of
``tracker.track`` (pipeline, guide and model), the four trackers taking
turns on each frame so load from elsewhere falls on all alike. The
model-only speed-up at (c)'s token count is timed on the same crops size in
rotation, so the end-to-end speed-up can be compared with it. The same
timing is repeated for the project's ViT-B config (random weights: timing
only, no AP), where the model dominates the per-frame cost.

Writes ``results.json`` and ``results.md`` to ``--work-dir`` and, with
``--results``, the JSON the README's table is generated from;
``--table FILE`` prints the table of such a JSON without running anything.

Example::

    python tools/benchmark_video.py --results docs/results/video_benchmark.json
    python tools/benchmark_video.py --table docs/results/video_benchmark.json
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.evaluation import CocoMetric

from mmpose_patchsel.analysis import median_times, output_to
from mmpose_patchsel.analysis.results_tables import video_table
from mmpose_patchsel.apis import PatchSelPoseTracker, bbox_iou
from mmpose_patchsel.models.pose_estimators.patchsel_topdown import \
    masks_to_keep_indices
from mmpose_patchsel.synthetic import DESCRIPTION, generate_sequence_clips
from mmpose_patchsel.utils.config import find_test_transform
from mmpose_patchsel.video import (load_box_file, load_clip,
                                   make_pan_zoom_clips)

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import benchmark_accuracy as accuracy  # noqa: E402

VITB_CFG = osp.join(
    PROJECT, 'configs', 'coco',
    'td-hm_patchsel-vit-base-neighbour4_8xb64-210e_coco-256x192.py')
ROWS = ('(a) full', '(b) online guide', '(c) previous frame',
        '(d) previous frame + refresh',
        '(c) on ground-truth previous poses (diagnostic)')
DIAGNOSTIC = ROWS[4]
PRESETS = {
    # The accuracy benchmark's --preset cpu models (first seed), at both
    # of its cost points.
    'cpu': dict(accuracy='cpu', budgets=('paper', 'half'), num_clips=4,
                frames=40, vitb_frames=6, repeats=20),
    # The test suite's: the code path on the accuracy benchmark's CI models.
    'ci': dict(accuracy='ci', budgets=('half', ), num_clips=1, frames=4,
               vitb_frames=0, repeats=2),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=sorted(PRESETS), default='cpu')
    parser.add_argument(
        '--accuracy-work-dir',
        help='the accuracy benchmark\'s work dir (default: its own for the '
        'preset, outputs/accuracy_<preset>)')
    parser.add_argument('--work-dir', default='outputs/video')
    parser.add_argument('--coco-root',
                        default='../shared/data/mmpose_testdata/coco')
    parser.add_argument('--seed', type=int, default=100)
    parser.add_argument('--det-interval', type=int, default=1)
    parser.add_argument('--refresh-interval', type=int, default=5)
    parser.add_argument('--results', help='also write the JSON here')
    parser.add_argument('--table', metavar='JSON',
                        help='print the table of this results JSON, no run')
    return parser.parse_args()


# ----------------------------------------------------------------- clips
def make_clips(out_dir: str, num_synthetic: int, frames: int, seed: int,
               clutter: float, coco_root: str) -> Dict[str, List[str]]:
    """Synthetic sequences and pan/zoom clips of the bundled COCO photos
    (none where the folder is absent), unless made with these settings."""
    stamp = dict(num_synthetic=num_synthetic, frames=frames, seed=seed,
                 clutter=clutter, coco_root=osp.abspath(coco_root))
    stamp_file = osp.join(out_dir, 'stamp.json')
    index_file = osp.join(out_dir, 'clips.json')
    if osp.isfile(stamp_file) and osp.isfile(index_file):
        with open(stamp_file) as f:
            if json.load(f) == stamp:
                with open(index_file) as f:
                    return json.load(f)
    clips = dict(
        synthetic=generate_sequence_clips(
            osp.join(out_dir, 'synthetic'), num_synthetic, frames, seed,
            clutter),
        coco=make_pan_zoom_clips(coco_root, osp.join(out_dir, 'coco'),
                                 frames)
        if osp.isfile(osp.join(coco_root, 'test_coco.json')) else [])
    with open(index_file, 'w') as f:
        json.dump(clips, f)
    with open(stamp_file, 'w') as f:
        json.dump(stamp, f)
    return clips


# ---------------------------------------------------------------- models
def trained_models(work_dir: str, preset: str,
                   budgets: Tuple[str, ...]) -> dict:
    """The accuracy benchmark's guide and full model, and its neighbour
    model at each cost point of ``budgets`` (first seed; trained there
    unless cached): configs and checkpoints."""
    exp = accuracy.Experiment(work_dir, dict(accuracy.PRESETS[preset]), 0)
    with exp.stage('models: the accuracy benchmark\'s (cached)'):
        accuracy.make_data(exp)
        guide, _ = accuracy.train_guide(exp)
        warm = accuracy.warm_start(exp)
        accuracy.set_budgets(exp, accuracy.selection_flops(exp))
        full = accuracy.fine_tune(exp, 'full', warm)
        neighbour = {
            point: accuracy.fine_tune(exp, 'neighbour', warm, budget=point)
            for point in budgets
        }
    return dict(guide=guide, full=full, neighbour=neighbour)


def selection_options(cfg: Config) -> dict:
    """The SelectPatches options of a config's test pipeline."""
    transform = find_test_transform(cfg, 'SelectPatches')
    if transform is None:
        raise KeyError('no SelectPatches in the test pipeline')
    return {k: v for k, v in transform.items()
            if k in ('mode', 'num_neighbours', 'num_keep', 'score_thr',
                     'skeleton_links', 'neighbour_radius', 'limb_radius')}


def with_online_guide(cfg: Config, guide_cfg: str, guide_ckpt: str,
                      selection: dict) -> Config:
    cfg = copy.deepcopy(cfg)
    cfg.model.guide = dict(config=guide_cfg, checkpoint=guide_ckpt)
    cfg.model.selection = dict(selection)
    return cfg


def build_trackers(full, selected, guided, selection: dict, boxes: dict,
                   args, with_diagnostic: bool, **options) -> dict:
    """The four rows' trackers on the box file ``boxes``; ``guided`` is
    ``selected`` with its online guide (``None``: no online rows);
    ``options``: more tracker arguments. The diagnostic row is (c) guided
    by the previous frame's ground truth instead of its own poses: what
    (c) would reach with perfect previous poses."""
    common = dict(detector=boxes, det_interval=args.det_interval, **options)
    # (c) and (d) fall back to the online guide where there is one.
    fallback = selected if guided is None else guided
    trackers = {
        ROWS[0]: PatchSelPoseTracker(full, guide='full', **common),
        ROWS[2]: PatchSelPoseTracker(fallback, guide='previous',
                                     selection=selection, **common),
    }
    if guided is not None:
        trackers[ROWS[1]] = PatchSelPoseTracker(guided, guide='online',
                                                **common)
        trackers[ROWS[3]] = PatchSelPoseTracker(
            guided, guide='previous', selection=selection,
            refresh_interval=args.refresh_interval, **common)
    if with_diagnostic:
        trackers[DIAGNOSTIC] = PatchSelPoseTracker(
            fallback, guide='previous', selection=selection, **common)
    return {row: trackers[row] for row in ROWS if row in trackers}


# ------------------------------------------------------------------ runs
def run_clip(clip, trackers: dict, max_frames: int = None) -> dict:
    """Every tracker over the clip, taking turns per frame: predictions,
    per-frame seconds, kept tokens and stats per row."""
    out = {row: dict(samples=[], seconds=[], kept=[]) for row in trackers}
    images = {im['frame_index']: im for im in clip.annotations['images']}
    frames = clip.frame_files[:max_frames]
    for index, path in enumerate(frames):
        frame = _read(path)
        for row, tracker in trackers.items():
            start = time.perf_counter()
            samples = tracker.track(frame, index)
            out[row]['seconds'].append(time.perf_counter() - start)
            if row == DIAGNOSTIC:
                guide_with_ground_truth(tracker, samples, clip, index)
            for sample in samples:
                mask = sample.metainfo.get('patch_mask')
                out[row]['kept'].append(
                    int(np.sum(mask)) if mask is not None else None)
                sample.set_metainfo(
                    dict(img_id=images[index]['id'],
                         id=len(out[row]['samples'])))
                out[row]['samples'].append(sample)
    for row, tracker in trackers.items():
        out[row]['stats'] = tracker.stats
    return out


def _read(path: str) -> np.ndarray:
    frame = cv2.imread(path)
    if frame is None:
        raise FileNotFoundError(f'cannot read frame {path}')
    return frame


def guide_with_ground_truth(tracker, samples: list, clip,
                            index: int) -> None:
    """Each tracked person's next guide: the ground-truth pose of the
    annotation its box overlaps most (IoU >= 0.5), visible keypoints
    scored 1."""
    anns = clip.persons(index)
    if not samples or not anns:
        return
    boxes = np.stack([s.pred_instances.bboxes[0] for s in samples])
    iou = bbox_iou(boxes, clip.gt_boxes(index))
    for sample, row in zip(samples, iou):
        if row.max() >= 0.5:
            kpts = np.asarray(anns[int(row.argmax())]['keypoints'],
                              np.float32).reshape(-1, 3)
            tracker.set_guide_pose(sample.track_id, kpts[:, :2],
                                   (kpts[:, 2] > 0).astype(np.float32))


def clip_ap(clip, samples: list, dataset_meta: dict) -> dict:
    """mmpose's CocoMetric over a clip's frames."""
    metric = CocoMetric(
        ann_file=osp.join(clip.folder, 'annotations.json'))
    metric.dataset_meta = dataset_meta
    metric.process([], [s.to_dict() for s in samples])
    result = metric.evaluate(size=len(samples))
    return dict(AP=result['coco/AP'], AR=result['coco/AR'])


def model_only_times(model, full, tokens: float, batch: int,
                     repeats: int) -> Dict[str, float]:
    """Backbone + head seconds for ``batch`` crops: all patches (full)
    against ``tokens`` kept, in rotation."""
    w, h = model.cfg.codec.input_size
    num = model.patch_grid().num_patches
    inputs = torch.rand(batch, 3, h, w)
    masks = torch.zeros(batch, num, dtype=torch.bool)
    masks[:, :max(1, round(tokens))] = True
    keep, padding = masks_to_keep_indices(masks)

    def selected():
        model.head.forward(model.extract_feat(inputs, keep, padding))

    def everything():
        full.head.forward(full.extract_feat(inputs))

    return median_times(dict(full=everything, selected=selected), repeats)


def summarise(clips: list, runs: List[dict], dataset_meta: dict,
              with_ap: bool, num_patches: int) -> Dict[str, dict]:
    rows = {}
    for row in runs[0]:
        seconds = [s for run in runs for s in run[row]['seconds']]
        # A person without a mask ran on the full grid.
        kept = [num_patches if k is None else k
                for run in runs for k in run[row]['kept']]
        stats = [run[row]['stats'] for run in runs]
        aps = [clip_ap(c, run[row]['samples'], dataset_meta)
               for c, run in zip(clips, runs)] if with_ap else []
        num = float(np.mean(kept)) if kept else None
        rows[row] = dict(
            AP_per_clip=[a['AP'] for a in aps],
            AP=float(np.mean([a['AP'] for a in aps])) if aps else None,
            AR=float(np.mean([a['AR'] for a in aps])) if aps else None,
            tokens=num,
            frame_ms_median=1e3 * statistics.median(seconds),
            frame_ms_mean=1e3 * statistics.mean(seconds),
            frames=len(seconds),
            persons=sum(s.persons for s in stats),
            by_source={
                k: sum(s.by_source.get(k, 0) for s in stats)
                for k in ('previous', 'online', 'full')
            },
            fallbacks=sum(s.fallbacks for s in stats))
    full = rows[ROWS[0]]
    for row in rows.values():
        row['speedup'] = full['frame_ms_median'] / row['frame_ms_median']
        if row['AP'] is not None:
            row['AP_drop'] = full['AP'] - row['AP']
    return rows


def timing_block(name: str, clips: list, full, selected, guided,
                 selection: dict, args, frames: int, repeats: int,
                 dataset_meta: dict, with_ap: bool, **options) -> dict:
    """One model size: the rows over the clips, and the model-only times
    at (c)'s token count."""
    runs = [
        run_clip(
            c,
            build_trackers(
                full, selected, guided, selection,
                load_box_file(osp.join(c.folder, 'annotations.json')), args,
                with_ap, **options), frames) for c in clips
    ]
    rows = summarise(clips, runs, dataset_meta, with_ap,
                     selected.patch_grid().num_patches)
    c = rows[ROWS[2]]
    batch = max(1, round(c['persons'] / max(c['frames'], 1)))
    model_only = model_only_times(selected, full, c['tokens'], batch,
                                  repeats)
    ratio = model_only['full'] / model_only['selected']
    for row in ROWS[2:4]:
        if row in rows:
            rows[row]['speedup_vs_model_only'] = rows[row]['speedup'] / ratio
    return dict(model=name, rows=rows, model_only=dict(
        batch=batch, tokens=c['tokens'],
        full_ms=1e3 * model_only['full'],
        selected_ms=1e3 * model_only['selected'], speedup=ratio))


def main():
    args = parse_args()
    if args.table:
        with open(args.table) as f:
            print(video_table(json.load(f)))
        return
    log_file = osp.join(args.work_dir, 'benchmark_video.log')
    print(f'[video] logs (training, COCO evaluation) -> {log_file}')
    with output_to(log_file) as console:
        table, results = run(args)
    print('\n' + table, file=console)
    print(f"[video] total wall time {results['wall_seconds'] / 60:.1f} min "
          f'-> {args.work_dir}/results.md, results.json')


def run(args) -> Tuple[str, dict]:
    """The whole benchmark: the table and the results."""
    preset = PRESETS[args.preset]
    total = time.perf_counter()
    accuracy_dir = args.accuracy_work_dir or \
        accuracy.default_work_dir(preset['accuracy'])
    models = trained_models(accuracy_dir, preset['accuracy'],
                            preset['budgets'])
    clip_dirs = make_clips(
        osp.join(args.work_dir, 'clips'), num_synthetic=preset['num_clips'],
        frames=preset['frames'], seed=args.seed,
        clutter=accuracy.PRESETS[preset['accuracy']]['clutter'],
        coco_root=args.coco_root)
    clips = {kind: [load_clip(d) for d in dirs]
             for kind, dirs in clip_dirs.items()}

    guide = models['guide']
    # The online guide's config, from the training's own (a cached guide
    # folder need not hold one).
    guide_cfg = osp.join(args.work_dir, 'guide_config.py')
    guide.cfg.dump(guide_cfg)
    full = init_model(models['full'].cfg, models['full'].ckpt, device='cpu')
    meta = full.dataset_meta
    blocks, selections = [], {}
    if preset['vitb_frames']:  # the same random ViT-B at every budget
        vitb_cfg = Config.fromfile(VITB_CFG)
        vit_b = init_model(vitb_cfg, device='cpu')
    for point, neighbour in models['neighbour'].items():
        selection = selection_options(neighbour.cfg)
        selections[point] = selection
        budget = f"K={selection['num_keep']}"
        selected = init_model(neighbour.cfg, neighbour.ckpt, device='cpu')
        guided = init_model(
            with_online_guide(neighbour.cfg, guide_cfg, guide.ckpt,
                              selection), neighbour.ckpt, device='cpu')
        for kind, kind_clips in clips.items():
            if kind_clips:
                blocks.append(timing_block(
                    f'ViT-Tiny (trained on synthetic), {budget}, {kind} '
                    'clips', kind_clips, full, selected, guided, selection,
                    args, None, preset['repeats'], meta, with_ap=True))
        if preset['vitb_frames']:
            # Random weights score every keypoint low: count them all (the
            # previous poses too), so the rows select as a trained model
            # would rather than fall back to the full grid.
            lenient = dict(selection, score_thr=-1e6)
            vit_b_guided = init_model(
                with_online_guide(vitb_cfg, guide_cfg, guide.ckpt, lenient),
                device='cpu')
            vit_b_guided.load_state_dict(vit_b.state_dict())
            blocks.append(timing_block(
                f'ViT-B (random weights: timing only), {budget}',
                clips['synthetic'][:1], vit_b, vit_b, vit_b_guided, lenient,
                args, preset['vitb_frames'], max(3, preset['repeats'] // 4),
                meta, with_ap=False, min_pose_score=0.0))
    results = dict(
        data=DESCRIPTION, preset=args.preset, seed=args.seed,
        det_interval=args.det_interval,
        refresh_interval=args.refresh_interval, selection=selections,
        clips={k: [c.name for c in v] for k, v in clips.items()},
        frames_per_clip=preset['frames'],
        device=f'CPU, {torch.get_num_threads()} threads', blocks=blocks,
        wall_seconds=time.perf_counter() - total)
    table = video_table(results)
    os.makedirs(args.work_dir, exist_ok=True)
    for path in [osp.join(args.work_dir, 'results.json')] + (
            [args.results] if args.results else []):
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(results, f, indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(table)
    return table, results


if __name__ == '__main__':
    main()
