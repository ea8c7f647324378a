"""tools/eval_joint_token_readout.py on the CI benchmark's joint-token model.

The reference row (each keypoint at its ground-truth cell's centre) checks
the whole mapping from the crop's cells back to image keypoints: it must
score far above a model trained for minutes, and the attention readouts
are scored through the same path."""
import json
import os.path as osp
import subprocess
import sys

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_readouts_are_scored_and_the_reference_is_near_perfect(
        ci_benchmark, tmp_path):
    work_dir, _ = ci_benchmark
    out = tmp_path / 'readout.json'
    done = subprocess.run(
        [sys.executable, 'tools/eval_joint_token_readout.py',
         str(work_dir / 'joint_tokens' / 'config.py'),
         (work_dir / 'joint_tokens' / 'last_checkpoint').read_text().strip(),
         '--out', str(out)],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    scores = json.loads(out.read_text())['scores']
    assert list(scores) == ['heatmap head', 'attention argmax',
                            'attention mean',
                            'ground-truth cell centre (reference)']
    assert all(0 <= s['AP'] <= 1 for s in scores.values())
    reference = scores['ground-truth cell centre (reference)']['AP']
    assert reference > 0.3
    assert reference > scores['heatmap head']['AP']
