"""Charts of a plan's progress: current against target, one PNG per indicator.

Text from plans and data is drawn with matplotlib's math mode off
(:func:`geoplan.render.maps.mpl_text`) and a CJK font when the system has one; each
file name from an indicator id is made safe and kept inside the folder given;
each PNG is written atomically.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd

from geoplan.io._atomic import atomic_write_bytes
from geoplan.io._guard import inside, safe_filename


def write_charts(
    progress: pd.DataFrame, folder: Path, *, names: dict[str, str]
) -> list[Path]:
    """
    Draw current against target per county for each indicator evaluated.

    Parameters
    ----------
    progress
        As from :func:`geoplan.planning.plans.evaluate`.
    folder
        Where the PNGs go (one per indicator).
    names
        Scope code -> display name (e.g. county names).

    Returns
    -------
    list of pathlib.Path
        The charts written.
    """
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from geoplan.render.maps import cjk_font, mpl_text

    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    computed = progress[progress["current"].notna()]
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for indicator, rows in computed.groupby("indicator", sort=False):
        target = pd.to_numeric(rows["target"].str.lstrip("≥>+"), errors="coerce")
        labels = [mpl_text(names.get(s, s) if font else s) for s in rows["scope"]]
        fig, ax = plt.subplots(figsize=(max(4, 0.9 * len(rows) + 2), 3.2))
        ax.bar(labels, rows["current"], color="#3182bd", label="current")
        if target.notna().any() and rows["unit"].iloc[0] == "%":
            ax.axhline(
                float(target.iloc[0]),
                color="#d73027",
                linestyle="--",
                label=f"target {target.iloc[0]:g}",
            )
        title = rows["text_zh"].iloc[0] if font else indicator
        ax.set_title(mpl_text(f"{indicator}: {title}"[:60]), fontsize=9)
        ax.legend(fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        path = inside(folder, f"{safe_filename(indicator)}.png")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(atomic_write_bytes(path, buffer.getvalue()))
    return written
