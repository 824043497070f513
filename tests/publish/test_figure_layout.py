"""The figures are laid out once (``figures.save``) yet look exactly as with pyplot.

``save`` skips the layout pass that ``fig.tight_layout(); fig.savefig()`` repeats inside
``savefig``; the PNG must not change by a single pixel for that.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipelines.publish.figures import banner, caption, mark_series_break, new_figure, save


def _draw(fig) -> None:
    ax, share = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax.plot([2007, 2008, 2009], [1.5, 2.5, 2.0], marker="o", label="a long legend label")
    ax.legend(loc="upper left")
    ax.set_ylabel("Own R&D, bn. kr., fixed 2024 prices")
    mark_series_break(ax, [2009])
    share.plot([2007, 2008, 2009], [40.0, 38.0, 35.0])
    share.set_ylabel("two lines of\ny label")
    caption(fig, "Data: a caption long enough to matter for the layout of the figure")


@pytest.mark.slow  # renders figures
def test_save_draws_the_same_pixels_as_pyplot_tight_layout_and_savefig(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reference = plt.figure(figsize=(10, 7.5), dpi=120)
    _draw(reference)
    top = banner(reference, "SYNTHETIC DEMO DATA " * 12)
    reference.tight_layout(rect=(0, 0.04, 1, top))
    reference.savefig(tmp_path / "reference.png")
    plt.close(reference)

    fig = new_figure(figsize=(10, 7.5), dpi=120)
    _draw(fig)
    top = banner(fig, "SYNTHETIC DEMO DATA " * 12)
    save(fig, tmp_path / "saved.png", rect=(0, 0.04, 1, top))

    expected = np.asarray(Image.open(tmp_path / "reference.png"))
    actual = np.asarray(Image.open(tmp_path / "saved.png"))
    assert actual.shape == expected.shape == (900, 1200, 4)
    assert np.array_equal(actual, expected)
    assert fig.get_layout_engine() is None  # savefig had no layout left to redo
