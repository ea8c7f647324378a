"""Track poses over a video, the previous frame's poses picking the patches.

Reads a video file or a folder of frames, runs
:class:`mmpose_patchsel.apis.PatchSelPoseTracker` frame by frame and writes
the video with each person's skeleton, track id, guide source and kept
patches (each kept cell of the crop drawn where it lies on the frame).
At the end it prints the frames, persons, per-frame latency (tracker alone
and with drawing) and how many persons fell back from the previous-frame
guide to the online guide or the full grid.

Boxes of new persons come from ``--box-file`` (a clip's ``annotations.json``
or ``{frame_index: [[x1, y1, x2, y2, score], ...]}``), from an mmdet
detector (``--det-config`` / ``--det-checkpoint``), or, with neither, the
whole frame is the box of one person.

Example::

    python tools/make_video_clips.py --out-dir data/video_clips
    python demo/patchsel_video_demo.py \\
        data/video_clips/pan_zoom_000000000785 CONFIG CHECKPOINT \\
        --box-file data/video_clips/pan_zoom_000000000785/annotations.json \\
        --gif outputs/video_demo/pan_zoom_000000000785.gif
"""
import argparse
import os
import os.path as osp
import time
from itertools import islice
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from mmpose.apis import init_model

import mmpose_patchsel  # noqa: F401  (registers the plugin's modules)
from mmpose_patchsel.apis import PatchSelPoseTracker
from mmpose_patchsel.video import count_frames, iter_frames, load_box_file
from mmpose_patchsel.visualization import (PatchSelLocalVisualizer,
                                           draw_tracked_frame)

TAG = '[video demo]'
#: without a detector the whole frame is the box; in between, boxes follow
#: the keypoints, which fit the person better.
WHOLE_FRAME_DET_INTERVAL = 30


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='video file or folder of frames')
    parser.add_argument('config', help='pose model config')
    parser.add_argument('checkpoint', help='pose model checkpoint')
    parser.add_argument(
        '--out', help='output video (default '
        'outputs/video_demo/<source name>.mp4)')
    parser.add_argument(
        '--guide', default='previous', choices=('previous', 'online', 'full'),
        help="'previous': previous-frame poses select the patches; "
        "'online': the model's online guide every frame; 'full': no "
        'selection')
    parser.add_argument(
        '--det-interval', type=int, help='run the detector (box file) every '
        'N frames, boxes from the keypoints in between (default 1 with a '
        f'detector or box file, {WHOLE_FRAME_DET_INTERVAL} without)')
    parser.add_argument(
        '--box-file', help="detections: a clip's annotations.json (COCO, "
        'images with frame_index) or {frame_index: [[x1,y1,x2,y2,score],...]}')
    parser.add_argument('--det-config', help='mmdet detector config')
    parser.add_argument('--det-checkpoint', help='mmdet detector checkpoint')
    parser.add_argument('--det-score-thr', type=float, default=0.5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--max-frames', type=int, help='stop after N frames')
    parser.add_argument(
        '--refresh-interval', type=int, default=0,
        help='every N frames all persons get the online guide (or the full '
        'grid), against drift; 0: never')
    parser.add_argument(
        '--min-pose-score', type=float, default=0.3,
        help='a previous pose with a lower mean keypoint score is no guide')
    parser.add_argument('--match-thr', type=float, default=0.3,
                        help='least IoU of a detection and a track')
    parser.add_argument('--kpt-thr', type=float, default=0.3,
                        help='keypoints drawn and used for boxes above this')
    parser.add_argument('--fps', type=float,
                        help="output fps (default: the video's, or 10)")
    parser.add_argument('--gif', help='also write a small animated GIF here')
    parser.add_argument('--gif-fps', type=float, default=5)
    parser.add_argument('--gif-width', type=int, default=320)
    args = parser.parse_args(argv)
    if bool(args.det_config) != bool(args.det_checkpoint):
        parser.error('--det-config and --det-checkpoint go together')
    if args.det_config and args.box_file:
        parser.error('give --box-file or a detector, not both')
    for name in ('max_frames', 'gif_width'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{value}')
    return args


def source_name(source: str) -> str:
    """``clip`` for ``.../clip``, ``.../clip/frames`` or ``.../clip.mp4``."""
    path = osp.normpath(osp.abspath(source))
    if osp.basename(path) == 'frames':
        path = osp.dirname(path)
    return osp.splitext(osp.basename(path))[0]


def build_detector(args: argparse.Namespace):
    """The box file, an mmdet detector, or None (whole frame)."""
    if args.box_file:
        return load_box_file(args.box_file)
    if args.det_config:
        from mmdet.apis import init_detector
        return init_detector(args.det_config, args.det_checkpoint,
                             device=args.device)
    return None


def uses_udp(model) -> bool:
    """Whether the model's test pipeline crops with UDP."""
    for step in model.cfg.test_dataloader.dataset.pipeline:
        if str(step.get('type', '')).endswith('TopdownAffine'):
            return bool(step.get('use_udp', False))
    raise ValueError('the test pipeline has no TopdownAffine')


class FrameWriter:
    """cv2.VideoWriter with mp4v, falling back to MJPG .avi.

    The size is the first frame's, rounded down to even numbers (codecs
    want them; the last row or column is dropped); frames of another size
    are resized, unreadable ones written black.
    """

    def __init__(self, path: str, fps: float) -> None:
        self.path, self.fps = path, fps
        self.writer = None
        self.size: Optional[Tuple[int, int]] = None
        self.pending = 0  # unreadable frames before the size was known
        self.written = 0

    def _open(self, size: Tuple[int, int]) -> None:
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*'mp4v'),
                                 self.fps, size)
        if not writer.isOpened():
            avi = osp.splitext(self.path)[0] + '.avi'
            print(f'{TAG} mp4v could not open {self.path}; writing MJPG '
                  f'{avi} instead')
            writer = cv2.VideoWriter(avi, cv2.VideoWriter_fourcc(*'MJPG'),
                                     self.fps, size)
            if not writer.isOpened():
                raise RuntimeError(f'OpenCV can open neither {self.path} '
                                   f'(mp4v) nor {avi} (MJPG) for writing')
            self.path = avi
        self.writer, self.size = writer, size

    def write(self, image: Optional[np.ndarray]) -> None:
        if image is None:
            if self.writer is None:
                self.pending += 1
            else:
                self._put(self._blank())
            return
        h, w = image.shape[:2]
        if self.writer is None:
            self._open((w - w % 2, h - h % 2))
            for _ in range(self.pending):
                self._put(self._blank())
        width, height = self.size
        if w - width in (0, 1) and h - height in (0, 1):
            image = image[:height, :width]
        else:
            image = cv2.resize(image, self.size)
        self._put(np.ascontiguousarray(image))

    def _put(self, image: np.ndarray) -> None:
        self.writer.write(image)
        self.written += 1

    def _blank(self) -> np.ndarray:
        blank = np.zeros((self.size[1], self.size[0], 3), np.uint8)
        cv2.putText(blank, 'unreadable frame', (10, 30),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        return blank

    def close(self) -> None:
        if self.writer is None:
            raise ValueError('no frame could be read: no video written')
        self.writer.release()


def write_gif(frames: List[np.ndarray], path: str, fps: float) -> None:
    """An animated GIF of BGR frames (PIL)."""
    from PIL import Image
    if not frames:
        raise ValueError(f'no frame to write to {path}')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    images = [Image.fromarray(f[..., ::-1].copy()) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=int(round(1000 / fps)), loop=0, optimize=True)


def video_fps(source: str) -> Optional[float]:
    if osp.isdir(source):
        return None
    cap = cv2.VideoCapture(source)
    fps = cap.get(cv2.CAP_PROP_FPS) if cap.isOpened() else 0
    cap.release()
    return fps if fps and fps > 0 else None


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out = args.out or osp.join('outputs', 'video_demo',
                               source_name(args.source) + '.mp4')
    total = count_frames(args.source)  # also: a missing source fails here
    if args.max_frames:
        total = min(total, args.max_frames) if total else args.max_frames
    fps = args.fps or video_fps(args.source) or 10.0

    model = init_model(args.config, args.checkpoint, device=args.device)
    detector = build_detector(args)
    det_interval = args.det_interval or (
        1 if detector is not None else WHOLE_FRAME_DET_INTERVAL)
    tracker = PatchSelPoseTracker(
        model,
        detector=detector,
        det_interval=det_interval,
        guide=args.guide,
        refresh_interval=args.refresh_interval,
        min_pose_score=args.min_pose_score,
        kpt_thr=args.kpt_thr,
        match_thr=args.match_thr,
        det_score_thr=args.det_score_thr)
    grid, udp = model.patch_grid(), uses_udp(model)
    visualizer = PatchSelLocalVisualizer(radius=3, line_width=2)
    visualizer.set_dataset_meta(model.dataset_meta)

    writer = FrameWriter(out, fps)
    gif_frames, gif_step = [], max(1, int(round(fps / args.gif_fps)))
    track_ms, total_ms = [], []
    progress = ProgressBar(total or 0)
    frames = islice(iter_frames(args.source), args.max_frames)
    for count, (index, frame) in enumerate(frames):
        start = time.perf_counter()
        samples = tracker.track(frame, index)
        tracked = time.perf_counter()
        drawn = None
        if frame is not None:
            drawn = draw_tracked_frame(
                visualizer, frame, samples, grid, udp, kpt_thr=args.kpt_thr,
                label=f'frame {index}  {args.guide} guide')
        done = time.perf_counter()
        track_ms.append((tracked - start) * 1e3)
        total_ms.append((done - start) * 1e3)
        writer.write(drawn)
        if args.gif and drawn is not None and count % gif_step == 0:
            scale = min(1.0, args.gif_width / drawn.shape[1])
            gif_frames.append(
                cv2.resize(drawn, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_AREA))
        progress.update()
    writer.close()
    if args.gif:
        write_gif(gif_frames, args.gif, args.gif_fps)

    stats = tracker.stats
    by_source = ', '.join(f'{k} {v}' for k, v in stats.by_source.items())
    print()
    print(f'{TAG} frames: {stats.frames} (unreadable {stats.bad_frames}, '
          f'without persons {stats.empty_frames})')
    print(f'{TAG} persons: {stats.persons} ({by_source})')
    print(f'{TAG} fallbacks: {stats.fallbacks} (wanted the previous-frame '
          f'guide, got online/full); detector calls: {stats.detector_calls}')
    print(f'{TAG} latency per frame: tracker median '
          f'{np.median(track_ms):.1f} ms, mean {np.mean(track_ms):.1f} ms; '
          f'with drawing median {np.median(total_ms):.1f} ms, mean '
          f'{np.mean(total_ms):.1f} ms')
    print(f'{TAG} video: {writer.written} frames -> {writer.path}')
    if args.gif:
        print(f'{TAG} gif: {len(gif_frames)} frames -> {args.gif}')


if __name__ == '__main__':
    main()
