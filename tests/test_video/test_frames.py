"""Frame readers: image folders (a corrupt file is a None frame), video
files, and errors that name the source."""
import cv2
import numpy as np
import pytest

from mmpose_patchsel.video import count_frames, iter_frames


def _frame(i):
    frame = np.zeros((64, 80, 3), np.uint8)
    cv2.circle(frame, (10 + 8 * i, 32), 6, (0, 200, 255), -1)
    return frame


def test_folder_with_a_corrupt_image_goes_on(tmp_path):
    for i in range(4):
        cv2.imwrite(str(tmp_path / f'{i:03d}.jpg'), _frame(i))
    (tmp_path / '002.jpg').write_bytes(b'not a jpeg at all')
    (tmp_path / 'notes.txt').write_text('ignored')
    frames = list(iter_frames(str(tmp_path)))
    assert [i for i, _ in frames] == [0, 1, 2, 3]
    assert frames[2][1] is None
    assert all(f.shape == (64, 80, 3) for i, f in frames if i != 2)
    assert count_frames(str(tmp_path)) == 4


def test_clip_folder_reads_its_frames(tmp_path):
    (tmp_path / 'frames').mkdir()
    for i in range(2):
        cv2.imwrite(str(tmp_path / 'frames' / f'{i:06d}.jpg'), _frame(i))
    assert len(list(iter_frames(str(tmp_path)))) == 2


def _write_video(path, count):
    for fourcc, suffix in (('mp4v', '.mp4'), ('MJPG', '.avi')):
        file = str(path / f'clip{suffix}')
        writer = cv2.VideoWriter(file, cv2.VideoWriter_fourcc(*fourcc), 10,
                                 (80, 64))
        if writer.isOpened():
            for i in range(count):
                writer.write(_frame(i))
            writer.release()
            return file
    pytest.skip('OpenCV here writes neither mp4v nor MJPG video')


def test_video_file_iterates_every_frame(tmp_path):
    video = _write_video(tmp_path, 7)
    frames = list(iter_frames(video))
    assert [i for i, _ in frames] == list(range(7))
    assert all(f is not None and f.shape == (64, 80, 3) for _, f in frames)
    # The dot moves right frame by frame, as written.
    xs = [np.nonzero(f[..., 2].max(0) > 128)[0].mean() for _, f in frames]
    assert np.all(np.diff(xs) > 4)
    assert count_frames(video) in (None, 7)


def test_missing_or_empty_sources_raise_naming_them(tmp_path):
    missing = str(tmp_path / 'missing.mp4')
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        next(iter_frames(missing))
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        count_frames(missing)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='empty'):
        next(iter_frames(str(empty)))
    not_video = tmp_path / 'junk.mp4'
    not_video.write_bytes(b'\x00' * 100)
    with pytest.raises(ValueError, match='junk.mp4'):
        list(iter_frames(str(not_video)))
