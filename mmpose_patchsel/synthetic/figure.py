"""Articulated 3D stick figures with the 17 COCO joints.

A figure is a small kinematic tree in body units (height 1): pelvis, spine,
head, two arms and two legs with human limb proportions. Poses are sampled
within joint limits (standing, walking, crouching, reaching, arms crossed)
and seen from any yaw (front, side, back), then projected orthographically
so that depth stays available for drawing order and self-occlusion.

Body frame: x = the person's left, y = down, z = forward (towards the
camera when the person faces it). Image u = x, v = y, depth = z (larger is
nearer), so a person's left joints appear on the image right when facing
the camera, as in COCO.
"""
from dataclasses import dataclass, field
from typing import Dict, Tuple

import numpy as np

COCO_JOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
               'left_shoulder', 'right_shoulder', 'left_elbow',
               'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
               'right_hip', 'left_knee', 'right_knee', 'left_ankle',
               'right_ankle')
JOINT = {name: i for i, name in enumerate(COCO_JOINTS)}

# Segment lengths and radii as fractions of body height (anthropometric
# tables round to these: upper arm 0.17-0.19, forearm 0.15, thigh 0.245).
PROPORTIONS = dict(
    torso=0.29, neck=0.05, head_radius=0.062, shoulder_half=0.115,
    hip_half=0.09, upper_arm=0.17, forearm=0.15, thigh=0.245, shin=0.245)
RADII = dict(
    upper_arm=(0.026, 0.021), forearm=(0.021, 0.016), thigh=(0.042, 0.03),
    shin=(0.03, 0.021), neck=(0.022, 0.022), hand=0.018, foot=0.02)

POSE_MODES = ('stand', 'walk', 'crouch', 'reach', 'arms_crossed')


@dataclass
class Figure:
    """A posed, projected figure.

    Attributes:
        joints: (17, 3) COCO joints in body units after yaw and roll:
            x, y in the image plane, z = depth (larger is nearer).
        head: (3,) head centre; ``head_axes``: (3, 3) rows = head's left,
            down and forward directions (for face visibility).
        extras: named extra points (hands, feet, neck base, pelvis).
        mode: the pose mode it was sampled from.
    """
    joints: np.ndarray
    head: np.ndarray
    head_axes: np.ndarray
    extras: Dict[str, np.ndarray] = field(default_factory=dict)
    mode: str = 'stand'


def _rot_x(a: float) -> np.ndarray:
    """Rotation about x: positive turns down (+y) towards forward (+z)."""
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    """Yaw: positive turns forward (+z) towards the image right (+x)."""
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    """In-plane roll: positive turns +x towards +y."""
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _limb_direction(flex: float, abduct: float, side: int) -> np.ndarray:
    """Direction of a limb hanging from a joint: ``flex`` swings it from
    down to forward (to up at pi), ``abduct`` away from the body midline
    (negative: across the body)."""
    return _unit(np.array([
        side * np.sin(abduct),
        np.cos(abduct) * np.cos(flex),
        np.cos(abduct) * np.sin(flex)
    ]))


def _bend(direction: np.ndarray, towards: np.ndarray,
          angle: float) -> np.ndarray:
    """Rotate ``direction`` by ``angle`` in the plane it spans with
    ``towards`` (used for elbows and knees)."""
    perp = towards - towards.dot(direction) * direction
    if np.linalg.norm(perp) < 1e-6:
        perp = np.array([0.0, -1.0, 0.0])
        perp = perp - perp.dot(direction) * direction
    perp = _unit(perp)
    return np.cos(angle) * direction + np.sin(angle) * perp


def sample_pose_angles(rng: np.random.Generator) -> dict:
    """Joint angles (radians) within human limits, from one of
    :data:`POSE_MODES`."""
    d = np.deg2rad
    mode = rng.choice(POSE_MODES, p=[0.3, 0.25, 0.15, 0.15, 0.15])
    a = dict(mode=str(mode))
    a['lean'] = d(rng.uniform(-8, 20))
    a['side_bend'] = d(rng.uniform(-10, 10))
    a['head_yaw'] = d(rng.uniform(-45, 45))
    a['head_pitch'] = d(rng.uniform(-20, 25))
    for side in ('left', 'right'):
        a[f'{side}_shoulder_flex'] = d(rng.uniform(-40, 100))
        a[f'{side}_shoulder_abduct'] = d(rng.uniform(-10, 80))
        a[f'{side}_elbow'] = d(rng.uniform(0, 120))
        a[f'{side}_elbow_twist'] = d(rng.uniform(-60, 60))
        a[f'{side}_hip_flex'] = d(rng.uniform(-15, 35))
        a[f'{side}_hip_abduct'] = d(rng.uniform(-5, 25))
        a[f'{side}_knee'] = d(rng.uniform(0, 40))
    if mode == 'walk':
        swing = d(rng.uniform(15, 35))
        a['left_hip_flex'], a['right_hip_flex'] = swing, -swing * 0.7
        a['left_knee'] = d(rng.uniform(0, 20))
        a['right_knee'] = d(rng.uniform(20, 60))
        a['left_shoulder_flex'], a['right_shoulder_flex'] = -swing, swing
        for side in ('left', 'right'):
            a[f'{side}_shoulder_abduct'] = d(rng.uniform(0, 15))
    elif mode == 'crouch':
        a['lean'] = d(rng.uniform(15, 50))
        for side in ('left', 'right'):
            a[f'{side}_hip_flex'] = d(rng.uniform(60, 115))
            a[f'{side}_knee'] = d(rng.uniform(80, 140))
            a[f'{side}_hip_abduct'] = d(rng.uniform(5, 30))
    elif mode == 'reach':
        side = rng.choice(['left', 'right'])
        a[f'{side}_shoulder_flex'] = d(rng.uniform(100, 175))
        a[f'{side}_shoulder_abduct'] = d(rng.uniform(0, 60))
        a[f'{side}_elbow'] = d(rng.uniform(0, 40))
    elif mode == 'arms_crossed':
        for side in ('left', 'right'):
            a[f'{side}_shoulder_flex'] = d(rng.uniform(20, 55))
            a[f'{side}_shoulder_abduct'] = d(rng.uniform(-25, -5))
            a[f'{side}_elbow'] = d(rng.uniform(90, 130))
            a[f'{side}_elbow_twist'] = d(rng.uniform(50, 85))
    return a


def pose_figure(angles: dict, yaw: float, roll: float) -> Figure:
    """Forward kinematics: joint angles + view -> projected figure."""
    p = PROPORTIONS
    pelvis = np.zeros(3)
    upper = _rot_z(angles['side_bend']) @ _rot_x(angles['lean'])
    up = upper @ np.array([0.0, -1.0, 0.0])
    neck_base = pelvis + p['torso'] * up
    points = {}
    for side, sign in (('left', 1), ('right', -1)):
        shoulder = neck_base + upper @ np.array(
            [sign * p['shoulder_half'], 0.03, 0.0])
        elbow_dir = upper @ _limb_direction(
            angles[f'{side}_shoulder_flex'],
            angles[f'{side}_shoulder_abduct'], sign)
        elbow = shoulder + p['upper_arm'] * elbow_dir
        twist = angles[f'{side}_elbow_twist']
        towards = upper @ np.array(
            [-sign * np.sin(twist), 0.0, np.cos(twist)])
        wrist_dir = _bend(elbow_dir, towards, angles[f'{side}_elbow'])
        wrist = elbow + p['forearm'] * wrist_dir
        hip = pelvis + np.array([sign * p['hip_half'], 0.0, 0.0])
        knee_dir = _limb_direction(angles[f'{side}_hip_flex'],
                                   angles[f'{side}_hip_abduct'], sign)
        knee = hip + p['thigh'] * knee_dir
        ankle_dir = _bend(knee_dir, np.array([0.0, 0.0, -1.0]),
                          angles[f'{side}_knee'])
        ankle = knee + p['shin'] * ankle_dir
        foot = ankle + 0.06 * _unit(np.array([0.0, 0.3, 1.0]))
        hand = wrist + 0.04 * wrist_dir
        points.update({
            f'{side}_shoulder': shoulder, f'{side}_elbow': elbow,
            f'{side}_wrist': wrist, f'{side}_hip': hip,
            f'{side}_knee': knee, f'{side}_ankle': ankle,
            f'{side}_hand': hand, f'{side}_foot': foot
        })
    head_rot = upper @ _rot_y(angles['head_yaw']) @ _rot_x(
        -angles['head_pitch'])
    head = neck_base + up * (p['neck'] + p['head_radius'] * 1.1)
    axes = head_rot.T  # rows: head left, down, forward
    r = p['head_radius']
    face = {
        'nose': head + r * (0.15 * axes[1] + 1.05 * axes[2]),
        'left_eye': head + r * (0.38 * axes[0] - 0.2 * axes[1] +
                                0.85 * axes[2]),
        'right_eye': head + r * (-0.38 * axes[0] - 0.2 * axes[1] +
                                 0.85 * axes[2]),
        'left_ear': head + r * (1.0 * axes[0] - 0.05 * axes[2]),
        'right_ear': head + r * (-1.0 * axes[0] - 0.05 * axes[2]),
    }
    points.update(face)
    points['neck_base'] = neck_base
    points['pelvis'] = pelvis
    points['head'] = head
    view = _rot_z(roll) @ _rot_y(yaw)
    moved = {k: view @ v for k, v in points.items()}
    joints = np.stack([moved[name] for name in COCO_JOINTS])
    extras = {
        k: moved[k]
        for k in ('neck_base', 'pelvis', 'left_hand', 'right_hand',
                  'left_foot', 'right_foot')
    }
    return Figure(
        joints=joints,
        head=moved['head'],
        head_axes=(view @ axes.T).T,
        extras=extras,
        mode=angles['mode'])


def sample_view(rng: np.random.Generator) -> Tuple[float, float]:
    """Yaw and roll (radians): mostly facing the camera (as people in
    photos mostly do), also from the back and the side; roll mostly
    small."""
    view = rng.random()
    if view < 0.6:
        yaw = np.deg2rad(rng.normal(0, 30))
    elif view < 0.8:
        yaw = np.deg2rad(rng.choice([-90, 90]) + rng.normal(0, 15))
    else:
        yaw = np.deg2rad(180 + rng.normal(0, 30))
    return yaw, np.deg2rad(rng.normal(0, 8))


def sample_figure(rng: np.random.Generator) -> Figure:
    """A random pose from a random view (:func:`sample_view`)."""
    yaw, roll = sample_view(rng)
    return pose_figure(sample_pose_angles(rng), yaw, roll)


def figure_extent(figure: Figure) -> Tuple[np.ndarray, np.ndarray]:
    """(min, max) of the figure's x, y in body units, head included."""
    pts = np.concatenate([
        figure.joints[:, :2], figure.head[None, :2],
        np.stack(list(figure.extras.values()))[:, :2]
    ])
    r = PROPORTIONS['head_radius']
    return pts.min(0) - r, pts.max(0) + r
