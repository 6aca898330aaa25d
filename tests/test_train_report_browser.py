"""The report of `ember train` (index.html, ember/apps/report.py) as a person sees it: opened in
headless Chromium, the screenshot must show the pictures (matplotlib's first two line colours,
tab:blue and tab:orange, and the decision regions). Where no Chromium is installed (`apt-get
install chromium`) the test is skipped; the page's content is checked without a browser in
tests/test_cli.py."""
import os
import shutil
import subprocess

import numpy as np
import pytest

from ember import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _pixels_near(img, rgb, tol=0.06):
    return int((np.abs(img[..., :3] - np.array(rgb) / 255.0).max(axis=-1) < tol).sum())


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)")
def test_the_report_shows_its_pictures_in_a_browser(tmp_path, capsys):
    import matplotlib.image

    out = tmp_path / "run"
    assert cli.main(["train", "--epochs", "5", "--out", str(out), "--no-progress"]) == 0
    shot = tmp_path / "shot.png"
    # The browser is not under test: no sanitizer runtime preloaded into it (tools/sanitize.sh sets one).
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                                             "TSAN_OPTIONS", "PYTHONMALLOC")}
    try:
        proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               f"--screenshot={shot}", "--window-size=1100,1800", (out / "index.html").as_uri()],
                              capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        pytest.skip("Chromium did not finish in 120 s (a browser that cannot start here; a page that does not "
                    "render still gives a screenshot, which the checks below would fail)")
    assert shot.exists(), proc.stderr[-2000:]
    img = matplotlib.image.imread(str(shot))
    assert _pixels_near(img, (31, 119, 180)) > 200   # the train curves (tab:blue)
    assert _pixels_near(img, (255, 127, 14)) > 200   # the test curves (tab:orange)
    # Without the pictures the page is black text on white: few pixels of any colour.
    colourful = (img[..., :3].max(axis=-1) - img[..., :3].min(axis=-1)) > 0.2
    assert colourful.mean() > 0.02
