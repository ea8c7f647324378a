"""tools/benchmark_video.py --table: the committed results rendered
without a run, each block's timed frames read from the JSON and AP drops
signed full minus row."""
import json
import os.path as osp
import subprocess
import sys

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_table_of_a_results_json(tmp_path):
    results = {
        'data': 'SYNTHETIC pose data.', 'device': 'CPU, 2 threads',
        'blocks': [{
            'model': 'ViT-B (random weights: timing only), K=133',
            'model_only': {'batch': 2, 'tokens': 133.0, 'speedup': 1.3},
            'rows': {
                '(a) full': {
                    'AP': 0.4, 'AP_drop': 0.0, 'tokens': 192.0,
                    'frame_ms_median': 100.0, 'speedup': 1.0, 'frames': 7,
                    'fallbacks': 0,
                    'by_source': {'previous': 0, 'online': 0, 'full': 3}},
                '(c) previous frame': {
                    'AP': 0.35, 'AP_drop': 0.05, 'tokens': 133.0,
                    'frame_ms_median': 80.0, 'speedup': 1.25, 'frames': 7,
                    'fallbacks': 1, 'speedup_vs_model_only': 0.96,
                    'by_source': {'previous': 2, 'online': 1, 'full': 0}},
            }}]}
    path = tmp_path / 'video.json'
    path.write_text(json.dumps(results))
    done = subprocess.run(
        [sys.executable, osp.join(PROJECT, 'tools', 'benchmark_video.py'),
         '--table', str(path), '--work-dir', str(tmp_path / 'unused')],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '7 timed frames per row' in done.stdout
    assert ('| (c) previous frame | 0.350 | +0.050 | 133.0 | 80.0 | 1.25x '
            '| 0.96 | 2 / 1 / 0 | 1 |') in done.stdout
    assert not (tmp_path / 'unused').exists()  # nothing ran
