"""Every setting the code declares is listed in the README, with its default."""

from pathlib import Path

from dashboard.settings import DISPLAY_SETTINGS
from dashboard.subscriptions.settings import SETTINGS as SUBSCRIPTION_SETTINGS
from outreach.storage import SETTINGS as OUTREACH_SETTINGS
from queries.settings import ALL_SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    for setting in (*ALL_SETTINGS, *DISPLAY_SETTINGS, *OUTREACH_SETTINGS, *SUBSCRIPTION_SETTINGS):
        row = next((line for line in README.splitlines() if f"`{setting.env}`" in line), None)
        assert row is not None, setting.env
        if setting.env != "PRAKERJA_DATA_DIR":  # its default is a per-user folder
            assert f"`{setting.default}`" in row or setting.default == "", setting.env
