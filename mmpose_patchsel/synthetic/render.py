"""Draw posed figures into cluttered images, with honest visibility.

Every drawn surface writes three buffers: colour, an owner label (which
person, or -1 for clutter and occluders) and a depth (larger is nearer).
Limbs are tapered capsules, heads spheres, torsos thick polygons, all
shaded and textured, drawn far to near. A keypoint is visible (COCO v=2)
when the surface drawn at its pixel belongs to the same person and lies
at the keypoint's depth; otherwise it is occluded (v=1), or unlabelled
(v=0) outside the image.
"""
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .figure import JOINT, PROPORTIONS, RADII, Figure

CLUTTER = -1
NEAREST = np.float32(1e9)
# Depth tolerance (body units) between a keypoint and the visible surface.
SURFACE_TOLERANCE = 0.1
TORSO_HALF_DEPTH = 0.07
FACE_JOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear')


class Canvas:
    """Colour, owner label and depth buffers of one image."""

    def __init__(self, height: int, width: int) -> None:
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.zeros((height, width), np.int32)
        self.depth = np.full((height, width), -NEAREST, np.float32)

    @property
    def shape(self) -> Tuple[int, int]:
        return self.label.shape

    def roi(self, lo: np.ndarray, hi: np.ndarray):
        """Integer pixel window covering [lo, hi], clipped; None if empty."""
        h, w = self.shape
        x0, y0 = max(int(np.floor(lo[0])), 0), max(int(np.floor(lo[1])), 0)
        x1 = min(int(np.ceil(hi[0])) + 1, w)
        y1 = min(int(np.ceil(hi[1])) + 1, h)
        if x0 >= x1 or y0 >= y1:
            return None
        return slice(y0, y1), slice(x0, x1), np.mgrid[y0:y1, x0:x1]

    def paint(self, window, mask: np.ndarray, texture: np.ndarray,
              shade: np.ndarray, label: int, depth) -> None:
        ys, xs = window[:2]
        region = self.image[ys, xs]
        region[mask] = texture[ys, xs][mask] * shade[mask, None]
        self.label[ys, xs][mask] = label
        d = depth if np.isscalar(depth) else depth[mask]
        self.depth[ys, xs][mask] = d


def random_color(rng: np.random.Generator, lo: int = 0,
                 hi: int = 255) -> np.ndarray:
    return rng.uniform(lo, hi, 3).astype(np.float32)


def skin_color(rng: np.random.Generator) -> np.ndarray:
    """A skin tone (BGR) between dark brown and pale."""
    t = rng.uniform()
    dark, light = np.array([45, 65, 110]), np.array([170, 195, 235])
    return (dark + t * (light - dark) + rng.normal(0, 8, 3)).astype(
        np.float32)


def make_texture(rng: np.random.Generator, shape: Tuple[int, int],
                 color: Optional[np.ndarray] = None) -> np.ndarray:
    """A full-image texture: noisy solid, stripes, checks or blotches.

    Drawn at half resolution and upsampled (texture generation is most of
    the generator's time)."""
    h, w = shape
    hh, hw = (h + 1) // 2, (w + 1) // 2
    base = random_color(rng, 20, 235) if color is None else color
    kind = rng.choice(['solid', 'stripes', 'checks', 'blotches'])
    tex = np.broadcast_to(base, (hh, hw, 3)).astype(np.float32)
    if kind != 'solid':
        other = random_color(rng, 20, 235)
        yy, xx = np.mgrid[0:hh, 0:hw].astype(np.float32)
        if kind == 'stripes':
            angle = rng.uniform(0, np.pi)
            period = rng.uniform(2, 7)
            proj = xx * np.cos(angle) + yy * np.sin(angle)
            pattern = (np.sin(proj * 2 * np.pi / period) > 0)
        elif kind == 'checks':
            size = rng.uniform(2, 6)
            pattern = ((xx // size + yy // size) % 2) == 0
        else:
            noise = rng.standard_normal(
                (hh // 4 + 2, hw // 4 + 2), dtype=np.float32)
            noise = cv2.resize(noise, (hw, hh), interpolation=cv2.INTER_CUBIC)
            pattern = noise > 0.3
        tex = np.where(pattern[..., None], other, tex)
    tex = tex + rng.standard_normal(
        (hh, hw, 1), dtype=np.float32) * rng.uniform(2, 10)
    tex = cv2.resize(tex, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.clip(tex, 0, 255)


def draw_capsule(canvas: Canvas, p0: np.ndarray, p1: np.ndarray, r0: float,
                 r1: float, texture: np.ndarray, label: int) -> None:
    """A tapered, shaded limb from ``p0`` to ``p1`` (x, y, depth), radii in
    pixels; depth of the surface rises towards the axis (a cylinder)."""
    r = max(r0, r1)
    window = canvas.roi(np.minimum(p0, p1)[:2] - r,
                        np.maximum(p0, p1)[:2] + r)
    if window is None:
        return
    yy, xx = window[2]
    seg = p1[:2] - p0[:2]
    length2 = max(float(seg @ seg), 1e-9)
    t = ((xx - p0[0]) * seg[0] + (yy - p0[1]) * seg[1]) / length2
    t = np.clip(t, 0.0, 1.0)
    dx = xx - (p0[0] + t * seg[0])
    dy = yy - (p0[1] + t * seg[1])
    dist = np.sqrt(dx * dx + dy * dy)
    radius = r0 + t * (r1 - r0)
    mask = dist <= radius
    if not mask.any():
        return
    rel = np.clip(dist / np.maximum(radius, 1e-6), 0, 1)
    bulge = np.sqrt(1 - rel**2)
    # Light from the upper left: brighter on the side facing it.
    side = (dx * -0.6 + dy * -0.8) / np.maximum(radius, 1e-6)
    shade = 0.55 + 0.35 * bulge + 0.15 * side
    depth = p0[2] + t * (p1[2] - p0[2]) + bulge * radius
    canvas.paint(window, mask, texture, shade, label, depth)


def draw_sphere(canvas: Canvas, center: np.ndarray, radius: float,
                texture: np.ndarray, label: int,
                squash: float = 1.15) -> None:
    """A shaded head-like ellipsoid (taller than wide by ``squash``)."""
    half = np.array([radius, radius * squash])
    window = canvas.roi(center[:2] - half, center[:2] + half)
    if window is None:
        return
    yy, xx = window[2]
    dx = (xx - center[0]) / radius
    dy = (yy - center[1]) / (radius * squash)
    rel2 = dx * dx + dy * dy
    mask = rel2 <= 1
    if not mask.any():
        return
    bulge = np.sqrt(np.clip(1 - rel2, 0, 1))
    shade = 0.6 + 0.3 * bulge + 0.12 * (-0.6 * dx - 0.8 * dy)
    canvas.paint(window, mask, texture, shade, label,
                 center[2] + bulge * radius)


def draw_polygon(canvas: Canvas, corners: np.ndarray, depth: float,
                 texture: np.ndarray, label: int) -> None:
    """A flat, shaded polygon (the torso) at one depth."""
    window = canvas.roi(corners[:, :2].min(0), corners[:, :2].max(0))
    if window is None:
        return
    ys, xs, (yy, xx) = window
    mask = np.zeros(yy.shape, np.uint8)
    pts = np.round(corners[:, :2] - [xs.start, ys.start]).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    mask = mask.astype(bool)
    if not mask.any():
        return
    centre = corners[:, :2].mean(0)
    spread = max(float(np.ptp(corners[:, 0])), 1.0)
    shade = 0.95 - 0.35 * np.abs(xx - centre[0]) / spread - 0.1 * (
        yy - centre[1]) / spread
    canvas.paint(window, mask, texture, shade, label, depth)


class PersonStyle:
    """Colours and textures of one person's skin, clothes and hair."""

    def __init__(self, rng: np.random.Generator, shape: Tuple[int, int]):
        self.skin = make_texture(rng, shape, skin_color(rng))
        self.top = make_texture(rng, shape)
        self.bottom = make_texture(rng, shape)
        self.shoes = make_texture(rng, shape, random_color(rng, 10, 120))
        self.hair = make_texture(rng, shape, random_color(rng, 5, 90))
        self.long_sleeves = rng.random() < 0.5
        self.shorts = rng.random() < 0.3
        self.thickness = rng.uniform(0.75, 1.4)


def draw_person(canvas: Canvas, figure: Figure, style: PersonStyle,
                scale: float, offset: np.ndarray, label: int) -> np.ndarray:
    """Draw ``figure`` at ``scale`` px per body unit; returns its 17
    keypoints in pixels (x, y, depth), depth in body units + offset."""

    def px(point: np.ndarray) -> np.ndarray:
        return np.array([
            point[0] * scale + offset[0], point[1] * scale + offset[1],
            point[2] * scale + offset[2] * scale
        ])

    j = {name: px(figure.joints[i]) for name, i in JOINT.items()}
    e = {name: px(p) for name, p in figure.extras.items()}
    head = px(figure.head)
    k = style.thickness * scale
    parts = []  # (depth, callable)
    for side in ('left', 'right'):
        sh, el, wr = (j[f'{side}_shoulder'], j[f'{side}_elbow'],
                      j[f'{side}_wrist'])
        hip, kn, an = j[f'{side}_hip'], j[f'{side}_knee'], j[f'{side}_ankle']
        fore = style.top if style.long_sleeves else style.skin
        shin = style.skin if style.shorts else style.bottom
        for a, b, radii, tex in (
                (sh, el, RADII['upper_arm'], style.top),
                (el, wr, RADII['forearm'], fore),
                (hip, kn, RADII['thigh'], style.bottom),
                (kn, an, RADII['shin'], shin)):
            parts.append(((a[2] + b[2]) / 2, 'capsule',
                          (a, b, radii[0] * k, radii[1] * k, tex)))
        hand, foot = e[f'{side}_hand'], e[f'{side}_foot']
        parts.append((hand[2], 'capsule',
                      (wr, hand, RADII['hand'] * k, RADII['hand'] * k,
                       style.skin)))
        parts.append((foot[2], 'capsule',
                      (an, foot, RADII['foot'] * k, RADII['foot'] * k * 0.8,
                       style.shoes)))
    neck, pelvis = e['neck_base'], e['pelvis']
    parts.append((neck[2], 'capsule',
                  (neck, head, RADII['neck'][0] * k, RADII['neck'][1] * k,
                   style.skin)))
    corners = np.stack([
        j['left_shoulder'], j['right_shoulder'], j['right_hip'],
        j['left_hip']
    ])
    torso_depth = float(corners[:, 2].mean()) + TORSO_HALF_DEPTH * scale
    parts.append((float(corners[:, 2].mean()), 'torso',
                  (corners, torso_depth, style.top)))
    # A thick spine keeps side views solid where the corners collapse.
    parts.append((float(corners[:, 2].mean()) - 1e-3, 'capsule',
                  (neck, pelvis, 0.07 * k, 0.075 * k, style.top)))
    r = PROPORTIONS['head_radius'] * scale
    fwd, down = figure.head_axes[2], figure.head_axes[1]
    hair_centre = px(figure.head + PROPORTIONS['head_radius'] *
                     (-0.35 * fwd - 0.3 * down))
    parts.append((head[2], 'head', (head, r)))
    parts.append((hair_centre[2], 'hair', (hair_centre, 0.95 * r)))
    for _, kind, args in sorted(parts, key=lambda p: p[0]):
        if kind == 'capsule':
            draw_capsule(canvas, *args, label=label)
        elif kind == 'torso':
            draw_polygon(canvas, *args, label=label)
        elif kind == 'head':
            draw_sphere(canvas, *args, style.skin, label)
        else:
            draw_sphere(canvas, *args, style.hair, label, squash=1.0)
    keypoints = np.stack([j[name] for name in JOINT])
    for name in ('left_eye', 'right_eye'):
        i = JOINT[name]
        if figure.head_axes[2][2] > 0.2:  # the face looks at the camera
            cv2.circle(canvas.image, tuple(int(v) for v in keypoints[i, :2]),
                       max(1, int(round(0.012 * scale))), (20, 20, 20), -1)
    return keypoints


def keypoint_visibility(canvas: Canvas, keypoints: np.ndarray,
                        figure: Figure, label: int,
                        scale: float) -> np.ndarray:
    """COCO flags for one person: 2 visible, 1 occluded, 0 outside."""
    h, w = canvas.shape
    flags = np.zeros(len(keypoints), np.int64)
    for i, (x, y, z) in enumerate(keypoints):
        if not (0 <= x <= w - 1 and 0 <= y <= h - 1):
            continue  # outside the pixel centres: not labelled
        col, row = int(round(x)), int(round(y))
        on_surface = (canvas.label[row, col] == label and
                      canvas.depth[row, col] - z <=
                      SURFACE_TOLERANCE * scale)
        name = list(JOINT)[i]
        if name in FACE_JOINTS:
            normal = (figure.joints[i] - figure.head)
            on_surface &= normal[2] / np.linalg.norm(normal) > -0.15
        flags[i] = 2 if on_surface else 1
    return flags


def draw_background(canvas: Canvas, rng: np.random.Generator,
                    clutter: float = 1.0) -> None:
    """Gradient, textured shapes and lines: clutter with edges and colour
    statistics that resemble clothing, so the figure is not trivial to
    segment."""
    h, w = canvas.shape
    a, b = random_color(rng), random_color(rng)
    ramp = np.linspace(0, 1, h if rng.random() < 0.5 else w, dtype=np.float32)
    ramp = ramp[:, None] if len(ramp) == h else ramp[None, :]
    canvas.image[:] = (a + (b - a) * ramp[..., None])
    for _ in range(rng.integers(0, 1 + round(10 * clutter))):
        tex = make_texture(rng, (h, w))
        kind = rng.choice(['rect', 'circle', 'line', 'poly'])
        mask = np.zeros((h, w), np.uint8)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        size = rng.uniform(5, 0.45 * max(h, w))
        if kind == 'rect':
            pts = cv2.boxPoints(((cx, cy), (size, rng.uniform(0.2, 1) * size),
                                 rng.uniform(0, 180)))
            cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
        elif kind == 'circle':
            cv2.circle(mask, (int(cx), int(cy)), int(size / 2), 1, -1)
        elif kind == 'line':
            end = (int(cx + rng.normal(0, size)), int(cy + rng.normal(
                0, size)))
            cv2.line(mask, (int(cx), int(cy)), end, 1,
                     int(rng.integers(1, 9)))
        else:
            pts = np.stack([cx + rng.normal(0, size / 2, 5),
                            cy + rng.normal(0, size / 2, 5)], 1)
            cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
        mask = mask.astype(bool)
        canvas.image[mask] = tex[mask]
    canvas.label[:] = 0


def draw_distractors(canvas: Canvas, rng: np.random.Generator,
                     scale_range: Tuple[float, float],
                     clutter: float = 1.0) -> None:
    """Loose body parts that belong to no annotated person: limbs in
    clothing textures and heads in skin tones."""
    h, w = canvas.shape
    for _ in range(rng.integers(0, 1 + round(3 * clutter))):
        scale = rng.uniform(*scale_range)
        start = np.array([rng.uniform(0, w), rng.uniform(0, h), -5.0])
        if rng.random() < 0.35:
            draw_sphere(canvas, start,
                        PROPORTIONS['head_radius'] * scale,
                        make_texture(rng, (h, w), skin_color(rng)), CLUTTER)
            continue
        angle = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(0.15, 0.3) * scale
        end = start + [length * np.cos(angle), length * np.sin(angle), 0]
        radius = rng.uniform(0.02, 0.045) * scale
        draw_capsule(canvas, start, end, radius, radius * 0.8,
                     make_texture(rng, (h, w)), CLUTTER)


def draw_occluder(canvas: Canvas, rng: np.random.Generator,
                  box: np.ndarray, person_height: float) -> None:
    """A textured box or disc in front of part of ``box`` (x0, y0, x1,
    y1)."""
    h, w = canvas.shape
    cx = rng.uniform(box[0], box[2])
    cy = rng.uniform(box[1], box[3])
    size = rng.uniform(0.1, 0.3) * person_height
    mask = np.zeros((h, w), np.uint8)
    if rng.random() < 0.6:
        pts = cv2.boxPoints(((cx, cy), (size, rng.uniform(0.3, 1.2) * size),
                             rng.uniform(0, 180)))
        cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
    else:
        cv2.ellipse(mask, (int(cx), int(cy)),
                    (int(size / 2), int(size * rng.uniform(0.2, 0.6))),
                    rng.uniform(0, 180), 0, 360, 1, -1)
    mask = mask.astype(bool)
    tex = make_texture(rng, (h, w))
    canvas.image[mask] = tex[mask]
    canvas.label[mask] = CLUTTER
    canvas.depth[mask] = NEAREST


def person_box(canvas: Canvas, label: int,
               keypoints: np.ndarray) -> Optional[List[float]]:
    """COCO box (x, y, w, h) around a person's visible pixels and its
    labelled (visible or occluded) ``keypoints``, and the visible pixel
    area; None when nothing of it is visible."""
    ys, xs = np.nonzero(canvas.label == label)
    if len(xs) == 0:
        return None
    px = np.concatenate([xs, xs + 1, keypoints[:, 0]])
    py = np.concatenate([ys, ys + 1, keypoints[:, 1]])
    x0, y0 = float(px.min()), float(py.min())
    return [x0, y0, float(px.max()) - x0, float(py.max()) - y0,
            float(len(xs))]
