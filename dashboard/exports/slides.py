"""A tiny slide model and its two renderers: PowerPoint (python-pptx) and PDF (matplotlib).

The deck's content is built once as :class:`Slide` objects with boxes in inches on a 16:9
page, so the PPTX and the PDF show exactly the same text, pictures and tables. In the PPTX all
text stays editable (text boxes and native tables); charts and maps are pictures.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from PIL import Image

PAGE_W, PAGE_H = 13.333, 7.5
MARGIN = 0.5
TITLE_SIZE = 32
DARK, GREY, RED = "222222", "555555", "C00000"


@dataclass(frozen=True)
class Text:
    """A text box; ``\\n`` separates paragraphs."""

    x: float
    y: float
    w: float
    h: float
    text: str
    size: int = 18
    bold: bool = False
    color: str = DARK
    align: str = "left"


@dataclass(frozen=True)
class Picture:
    """A PNG fitted inside its box, keeping its aspect ratio, centred horizontally."""

    x: float
    y: float
    w: float
    h: float
    png: bytes


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``widths`` are column shares of ``w``."""

    x: float
    y: float
    w: float
    header: list[str]
    rows: list[list[str]]
    widths: list[float]
    size: int = 16
    row_h: float = 0.45


@dataclass
class Slide:
    title: str
    items: list[Text | Picture | Table] = field(default_factory=list)
    notes: str = ""


# --- geometry ---------------------------------------------------------------------------------


def fit(picture: Picture) -> tuple[float, float, float, float]:
    """(x, y, w, h) in inches of the picture inside its box."""
    with Image.open(io.BytesIO(picture.png)) as image:
        width, height = image.size
    scale = min(picture.w / width, picture.h / height)
    w, h = width * scale, height * scale
    return picture.x + (picture.w - w) / 2, picture.y, w, h


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4))


# --- PowerPoint -------------------------------------------------------------------------------


def to_pptx(slides: list[Slide]) -> bytes:
    """A 16:9 PPTX; slide titles are real title placeholders (outline view, screen readers)."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(PAGE_W), Inches(PAGE_H)
    layout = deck.slide_layouts[5]  # "Title Only"
    for spec in slides:
        slide = deck.slides.add_slide(layout)
        _pptx_title(slide, spec.title)
        for item in spec.items:
            if isinstance(item, Text):
                _pptx_text(slide, item)
            elif isinstance(item, Picture):
                x, y, w, h = fit(item)
                slide.shapes.add_picture(
                    io.BytesIO(item.png), Inches(x), Inches(y), Inches(w), Inches(h)
                )
            else:
                _pptx_table(slide, item)
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _pptx_title(slide, title: str) -> None:
    from pptx.util import Inches, Pt

    shape = slide.shapes.title
    shape.left, shape.top = Inches(MARGIN), Inches(0.3)
    shape.width, shape.height = Inches(PAGE_W - 2 * MARGIN), Inches(0.9)
    shape.text = title
    paragraph = shape.text_frame.paragraphs[0]
    paragraph.alignment = 1  # left
    for run in paragraph.runs:
        run.font.size, run.font.bold = Pt(TITLE_SIZE), True


def _pptx_text(slide, item: Text) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(item.x), Inches(item.y), Inches(item.w), Inches(item.h))
    frame = box.text_frame
    frame.word_wrap = True
    align = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}
    for index, line in enumerate(item.text.split("\n")):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.alignment = align[item.align]
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold = Pt(item.size), item.bold
        run.font.color.rgb = RGBColor.from_string(item.color)


def _pptx_table(slide, item: Table) -> None:
    from pptx.util import Inches, Pt

    rows, cols = len(item.rows) + 1, len(item.header)
    height = Inches(item.row_h * rows)
    shape = slide.shapes.add_table(
        rows, cols, Inches(item.x), Inches(item.y), Inches(item.w), height
    )
    table = shape.table
    for index, share in enumerate(item.widths):
        table.columns[index].width = Inches(item.w * share)
    for r, values in enumerate([item.header, *item.rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.text = value
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size, run.font.bold = Pt(item.size), r == 0


# --- PDF --------------------------------------------------------------------------------------


def to_pdf(slides: list[Slide]) -> bytes:
    """One PDF page per slide with the same layout; TrueType fonts keep the text extractable."""
    buffer = io.BytesIO()
    settings = {"pdf.fonttype": 42, "font.family": "DejaVu Sans"}
    with rc_context(settings), PdfPages(buffer) as pdf:
        for spec in slides:
            pdf.savefig(_pdf_page(spec))
    return buffer.getvalue()


def _pdf_page(spec: Slide) -> Figure:
    figure = Figure(figsize=(PAGE_W, PAGE_H))
    title = Text(MARGIN, 0.35, PAGE_W - 2 * MARGIN, 0.9, spec.title, TITLE_SIZE, bold=True)
    _pdf_text(figure, title)
    for item in spec.items:
        if isinstance(item, Text):
            _pdf_text(figure, item)
        elif isinstance(item, Picture):
            _pdf_picture(figure, item)
        else:
            _pdf_table(figure, item)
    return figure


def _wrap(text: str, width_in: float, size: int) -> str:
    """Wrap like a text box would: about 0.52 em per character in DejaVu Sans."""
    chars = max(8, int(width_in * 72 / (size * 0.56)))
    return "\n".join(textwrap.fill(line, chars) if line else "" for line in text.split("\n"))


def _pdf_text(figure: Figure, item: Text) -> None:
    x = {"left": item.x, "center": item.x + item.w / 2, "right": item.x + item.w}[item.align]
    figure.text(
        x / PAGE_W,
        1 - (item.y + 0.08) / PAGE_H,
        _wrap(item.text, item.w, item.size),
        fontsize=item.size,
        weight="bold" if item.bold else "normal",
        color=_rgb(item.color),
        ha=item.align,
        va="top",
        linespacing=1.3,
    )


def _pdf_picture(figure: Figure, item: Picture) -> None:
    x, y, w, h = fit(item)
    axes = figure.add_axes((x / PAGE_W, 1 - (y + h) / PAGE_H, w / PAGE_W, h / PAGE_H))
    axes.set_axis_off()
    with Image.open(io.BytesIO(item.png)) as image:
        axes.imshow(image.convert("RGB"), interpolation="lanczos")


def _pdf_table(figure: Figure, item: Table) -> None:
    """Rows of text with rules between them (no cell wrapping: cells are kept short)."""
    lefts = [item.x + item.w * sum(item.widths[:i]) for i in range(len(item.widths))]
    for r, values in enumerate([item.header, *item.rows]):
        top = item.y + r * item.row_h
        if r == 0:
            figure.patches.append(_band(figure, item, top))
        for c, value in enumerate(values):
            width = item.w * item.widths[c] - 0.1
            figure.text(
                (lefts[c] + 0.08) / PAGE_W,
                1 - (top + item.row_h / 2) / PAGE_H,
                _wrap(value, width, item.size),
                fontsize=item.size,
                weight="bold" if r == 0 else "normal",
                color=(1, 1, 1) if r == 0 else _rgb(DARK),
                va="center",
            )


def _band(figure: Figure, item: Table, top: float):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (item.x / PAGE_W, 1 - (top + item.row_h) / PAGE_H),
        item.w / PAGE_W,
        item.row_h / PAGE_H,
        transform=figure.transFigure,
        facecolor=_rgb("2C7FB8"),
        edgecolor="none",
    )
