"""Check decks the way an old projector laptop shows them: LibreOffice, not python-pptx.

``python -m dashboard.exports.deck_check --sample --out DIR`` (``make check-decks``) builds the
national deck, every province's deck and the regencies with the longest names from the current
store, converts them with LibreOffice Impress (headless) to PDF, rasterises every page to PNG
with poppler's ``pdftoppm`` (look at them) and checks each slide:

- every text box, title and table keeps its text inside its frame (word boxes from
  ``pdftotext -bbox``, taken in drawing order, against the shape's rectangle);
- every picture of the slide is in the PDF page (``pdfimages -list``).

``python -m dashboard.exports.deck_check FILE.pptx ... --out DIR`` checks given decks. Exit
status 1 lists the problems.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

TOLERANCE_PT = 3.0
EMU_PER_PT = 12700
SAMPLE_REGENCIES = 4
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)
_PAGE = re.compile(r"<page ")


@dataclass(frozen=True)
class Frame:
    """A shape's rectangle in points and what it holds."""

    kind: str  # text | table | picture
    x0: float
    y0: float
    x1: float
    y1: float
    text: str = ""

    def holds(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        t = TOLERANCE_PT
        return x0 >= self.x0 - t and y0 >= self.y0 - t and x1 <= self.x1 + t and y1 <= self.y1 + t


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def slide_frames(pptx: Path) -> list[list[Frame]]:
    """Per slide, its shapes in drawing order (the order LibreOffice writes them)."""
    from pptx import Presentation

    frames = []
    for slide in Presentation(str(pptx)).slides:
        shapes = []
        for shape in slide.shapes:
            box = [v / EMU_PER_PT for v in (shape.left, shape.top, shape.width, shape.height)]
            rect = (box[0], box[1], box[0] + box[2], box[1] + box[3])
            if getattr(shape, "has_table", False) and shape.has_table:
                cells = [cell.text for row in shape.table.rows for cell in row.cells]
                shapes.append(Frame("table", *rect, " ".join(cells)))
            elif shape.has_text_frame:
                shapes.append(Frame("text", *rect, shape.text_frame.text))
            elif shape.shape_type == 13:  # MSO_SHAPE_TYPE.PICTURE
                shapes.append(Frame("picture", *rect))
        frames.append(shapes)
    return frames


def convert(decks: list[Path], out: Path) -> list[Path]:
    """PPTX → PDF with LibreOffice Impress, one headless run for all decks."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *map(str, decks),
            ],
            check=True,
            capture_output=True,
            timeout=60 + 20 * len(decks),
        )
    return [out / (deck.stem + ".pdf") for deck in decks]


def page_words(pdf: Path) -> list[list[Word]]:
    """Per page, the words with their boxes in content-stream (drawing) order."""
    text = subprocess.run(
        ["pdftotext", "-raw", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = _PAGE.split(text)[1:]
    return [
        [
            Word(_unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3]))
            for m in _WORD.findall(page)
        ]
        for page in pages
    ]


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def page_images(pdf: Path) -> dict[int, int]:
    """Page number (1-based) → number of images drawn on it (soft masks not counted)."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    counts: dict[int, int] = {}
    for line in listing.splitlines()[2:]:
        fields = line.split()
        if len(fields) > 2 and fields[2] == "image":
            counts[int(fields[0])] = counts.get(int(fields[0]), 0) + 1
    return counts


def check_deck(pptx: Path, pdf: Path) -> list[str]:
    """Problems found in one converted deck (empty: the deck survives LibreOffice)."""
    frames, words, images = slide_frames(pptx), page_words(pdf), page_images(pdf)
    if len(words) != len(frames):
        return [f"{pptx.name}: {len(frames)} slides but {len(words)} PDF pages"]
    problems = []
    for number, (shapes, found) in enumerate(zip(frames, words, strict=True), start=1):
        where = f"{pptx.name} slide {number}"
        problems += [f"{where}: {p}" for p in _text_problems(shapes, found)]
        pictures = sum(frame.kind == "picture" for frame in shapes)
        if images.get(number, 0) != pictures:
            problems.append(f"{where}: {pictures} pictures, {images.get(number, 0)} in the PDF")
    return problems


def _text_problems(shapes: list[Frame], words: list[Word]) -> list[str]:
    """Walk the shapes in drawing order, taking as many PDF words as each one's text has
    characters; every word taken must lie inside that shape's frame. Stops at the first
    problem: after it the words no longer line up with the shapes."""
    position = 0
    for frame in (f for f in shapes if f.kind != "picture"):
        wanted, taken = "".join(frame.text.split()), ""
        while len(taken) < len(wanted) and position < len(words):
            word = words[position]
            position += 1
            taken += word.text
            if not frame.holds(word.x0, word.y0, word.x1, word.y1):
                return [
                    f"{frame.kind} {frame.text[:40]!r} overflows its frame at {word.text!r} "
                    f"(word {word.y0:.0f}–{word.y1:.0f} pt, frame {frame.y0:.0f}–{frame.y1:.0f})"
                ]
        if taken != wanted:
            return [f"text of {frame.kind} {frame.text[:40]!r} not found in drawing order"]
    return []


def render_pages(pdfs: list[Path], out: Path, resolution: int = 60) -> list[Path]:
    """Every page as PNG, to look at."""
    for pdf in pdfs:
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(resolution), str(pdf), str(out / pdf.stem)], check=True
        )
    return sorted(out.glob("*.png"))


def sample_decks(out: Path) -> list[Path]:
    """The nation, every province, and the regencies with the longest names, from the store."""
    from dashboard.exports.batch import slug
    from dashboard.exports.deck import build_deck
    from geo.regions import provinces, regencies
    from queries.bootstrap import ensure_store
    from queries.filters import Filters
    from queries.metrics import data_period
    from queries.store import Store

    store = Store.open_current(ensure_store())
    filters = Filters(*data_period(store))
    table = regencies().assign(length=lambda d: d["name"].str.len())
    longest = table.sort_values("length", ascending=False).head(SAMPLE_REGENCIES)
    codes = [
        ("ID", "indonesia"),
        *zip(provinces()["code"], provinces()["name"], strict=True),
        *zip(longest["code"], longest["name"], strict=True),
    ]
    out.mkdir(parents=True, exist_ok=True)
    decks = []
    for code, name in codes:
        path = out / f"{code}-{slug(name)}.pptx"
        path.write_bytes(build_deck(store, filters, code))
        decks.append(path)
    store.close()
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.exports.deck_check")
    parser.add_argument("decks", nargs="*", type=Path, help="PPTX files to check")
    parser.add_argument("--sample", action="store_true", help="build the sample decks first")
    parser.add_argument("--out", type=Path, default=Path("artifacts/decks"))
    args = parser.parse_args(argv)
    decks = [*args.decks, *(sample_decks(args.out) if args.sample else [])]
    if not decks:
        parser.error("no decks: give PPTX files or --sample")
    pdfs = convert(decks, args.out / "pdf")
    pages = render_pages(pdfs, args.out / "pdf")
    problems = [p for pptx, pdf in zip(decks, pdfs, strict=True) for p in check_deck(pptx, pdf)]
    print(f"{len(decks)} decks, {len(pages)} pages as PNG in {args.out / 'pdf'}")
    for problem in problems:
        print("MASALAH:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
