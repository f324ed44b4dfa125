"""First impressions that are honest (issue 23): the synthetic banner says the demo is a
sample of the calibrated size, on the real app (AppTest) and for each scale."""

from __future__ import annotations

from conftest import TEST_SCALE
from test_app_screens import run

from dashboard.components.header import synthetic_banner


def test_banner_says_the_demo_is_a_sample_of_the_calibrated_size(app_env) -> None:
    at = run("nasional")
    banner = at.warning[0].value
    assert TEST_SCALE == 0.005  # the session's replica
    assert "sampel 0,5% dari ukuran program" in banner, banner
    assert "15,9 juta pendaftar" in banner and "sekitar 79,5 ribu pendaftar" in banner


def test_banner_words_per_scale() -> None:
    assert "sampel 5% dari ukuran program" in synthetic_banner(0.05)
    assert "sekitar 795 ribu pendaftar" in synthetic_banner(0.05)
    assert "sampel" not in synthetic_banner(1.0)
    assert "(15,9 juta pendaftar)" in synthetic_banner(1.0)
