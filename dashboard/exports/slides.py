"""A tiny slide model and its two renderers: PowerPoint (python-pptx) and PDF (matplotlib for
text and tables, the pictures' own PNG data embedded by :mod:`pdf_pictures`).

The deck's content is built once as :class:`Slide` objects with boxes in inches on a 16:9
page, so the PPTX and the PDF show exactly the same text, pictures and tables. In the PPTX all
text stays editable (text boxes and native tables); charts and maps are pictures.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from PIL import Image, ImageFont

if TYPE_CHECKING:  # python-pptx and patches are imported where a file is built
    from matplotlib.patches import Rectangle
    from matplotlib.typing import RcKeyType
    from pptx.presentation import Presentation as PptxPresentation
    from pptx.slide import Slide as PptxSlide

PAGE_W, PAGE_H = 13.333, 7.5
MARGIN = 0.5
TITLE_SIZE = 32
MIN_SIZE = 12
THEME_FONT = "Arial"
"""The decks' theme font. Arial is on every Windows and macOS laptop, and LibreOffice draws it
with Liberation Sans (open, installed by ``.ci/services.sh``), which has the same metrics, so
text breaks into the same lines everywhere. Sizes are fitted with Liberation Sans' metrics."""
METRIC_FONT = "Liberation Sans"
LINE_HEIGHT = 1.2  # em per line: PowerPoint's single spacing for Arial; LibreOffice's is less
INSET_W, INSET_H = 0.2, 0.1  # a text box's default left+right and top+bottom insets (inches)
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


SlideItem = Text | Picture | Table


@dataclass
class Slide:
    title: str
    items: list[SlideItem] = field(default_factory=list)
    notes: str = ""


# --- geometry ---------------------------------------------------------------------------------


def fit(picture: Picture) -> tuple[float, float, float, float]:
    """(x, y, w, h) in inches of the picture inside its box."""
    with Image.open(io.BytesIO(picture.png)) as image:
        width, height = image.size
    scale = min(picture.w / width, picture.h / height)
    w, h = width * scale, height * scale
    return picture.x + (picture.w - w) / 2, picture.y, w, h


def opaque_png(figure: Figure, dpi: float) -> bytes:
    """A slide picture as an 8-bit RGB PNG: what ``savefig(format="png")`` draws, without its
    alpha channel (the figure's background is opaque), so that the PDF deck embeds the PNG's
    data as it is (:mod:`pdf_pictures`) instead of flattening it."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas, original = FigureCanvasAgg(figure), figure.dpi
    figure.dpi = dpi  # as savefig(dpi=...) draws it
    try:
        canvas.draw()
        image = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    finally:
        figure.dpi = original
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


@cache
def metric_font(bold: bool) -> ImageFont.FreeTypeFont:
    """Liberation Sans at 100 pt (DejaVu Sans, which is wider, when it is not installed)."""
    weight = "bold" if bold else "normal"
    path = font_manager.findfont(
        font_manager.FontProperties(family=[METRIC_FONT, "DejaVu Sans"], weight=weight)
    )
    return ImageFont.truetype(path, 100)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in inches of ``text`` set in the theme font at ``size`` points."""
    return metric_font(bold).getlength(text) * size / 100 / 72


def wrap_lines(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap the way a text box breaks lines (a word wider than the box stays whole
    on its own line, as in PowerPoint)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, bold) > width_in:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def fitted(item: Text) -> Text:
    """``item`` with its font size lowered (not below :data:`MIN_SIZE`) until its wrapped
    lines fit the box, so no text box or title overflows on any laptop."""
    width, height = item.w - INSET_W, item.h - INSET_H
    for size in range(item.size, MIN_SIZE - 1, -1):
        lines = wrap_lines(item.text, width, size, item.bold)
        if len(lines) * size * LINE_HEIGHT / 72 <= height and all(
            text_width(line, size, item.bold) <= width for line in lines
        ):
            return replace(item, size=size)
    return replace(item, size=MIN_SIZE)


def title_box(title: str) -> Text:
    """The slide title as a fitted text box (the same in PPTX and PDF)."""
    return fitted(Text(MARGIN, 0.3, PAGE_W - 2 * MARGIN, 0.9, title, TITLE_SIZE, bold=True))


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue


# --- PowerPoint -------------------------------------------------------------------------------


def to_pptx(slides: list[Slide]) -> bytes:
    """A 16:9 PPTX; slide titles are real title placeholders (outline view, screen readers)."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    _set_theme_font(deck)
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


def _set_theme_font(deck: PptxPresentation) -> None:
    """Make :data:`THEME_FONT` the theme's heading and body font (python-pptx's default
    template says Calibri, which LibreOffice replaces by a wider font where it is missing)."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE

    part = deck.slide_master.part.part_related_by(RELATIONSHIP_TYPE.THEME)
    theme = etree.fromstring(part.blob)
    namespace = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    for latin in theme.iterfind(".//a:fontScheme/*/a:latin", namespace):
        latin.set("typeface", THEME_FONT)
    part._blob = etree.tostring(theme, xml_declaration=True, encoding="UTF-8", standalone=True)


def _pptx_title(slide: PptxSlide, title: str) -> None:
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    box = title_box(title)
    shape = slide.shapes.title
    assert shape is not None  # the title-only layout has a title placeholder
    shape.left, shape.top = Inches(box.x), Inches(box.y)
    shape.width, shape.height = Inches(box.w), Inches(box.h)
    shape.text = title
    frame = shape.text_frame
    frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    paragraph = frame.paragraphs[0]
    paragraph.alignment = 1  # left
    for run in paragraph.runs:
        run.font.size, run.font.bold = Pt(box.size), True


def _pptx_text(slide: PptxSlide, item: Text) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Inches, Pt

    item = fitted(item)
    box = slide.shapes.add_textbox(Inches(item.x), Inches(item.y), Inches(item.w), Inches(item.h))
    frame = box.text_frame
    frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
    align = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}
    for index, line in enumerate(item.text.split("\n")):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.alignment = align[item.align]
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold = Pt(item.size), item.bold
        run.font.color.rgb = RGBColor.from_string(item.color)


def _pptx_table(slide: PptxSlide, item: Table) -> None:
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
    """One PDF page per slide with the same layout; TrueType fonts keep the text extractable.
    Text and tables are drawn by matplotlib; the pictures go in afterwards as their own PNG
    data (:mod:`pdf_pictures`), never decoded and compressed again."""
    from dashboard.exports import pdf_pictures

    buffer = io.BytesIO()
    settings: dict[RcKeyType, Any] = {
        "pdf.fonttype": 42,
        "font.family": [METRIC_FONT, "DejaVu Sans"],
    }
    pictures: list[pdf_pictures.Placed] = []
    with rc_context(settings), PdfPages(buffer) as pdf:
        for index, spec in enumerate(slides):
            pdf.savefig(_pdf_page(spec))
            for item in spec.items:
                if isinstance(item, Picture):
                    pictures.append(pdf_pictures.Placed(index, fit(item), item.png))
    if not pictures:
        return buffer.getvalue()
    return pdf_pictures.embed(buffer.getvalue(), pictures, PAGE_H)


def _pdf_page(spec: Slide) -> Figure:
    """The page's text and tables (its pictures are added by :func:`to_pdf`)."""
    figure = Figure(figsize=(PAGE_W, PAGE_H))
    _pdf_text(figure, title_box(spec.title))
    for item in spec.items:
        if isinstance(item, Text):
            _pdf_text(figure, item)
        elif isinstance(item, Table):
            _pdf_table(figure, item)
    return figure


def _wrap(text: str, width_in: float, size: int, bold: bool = False) -> str:
    """Break lines where the PPTX text box would."""
    return "\n".join(wrap_lines(text, width_in, size, bold))


def _pdf_text(figure: Figure, item: Text) -> None:
    item = fitted(item)
    inset = INSET_W / 2
    x = {"left": item.x + inset, "center": item.x + item.w / 2, "right": item.x + item.w - inset}[
        item.align
    ]
    figure.text(
        x / PAGE_W,
        1 - (item.y + 0.08) / PAGE_H,
        _wrap(item.text, item.w - INSET_W, item.size, item.bold),
        fontsize=item.size,
        weight="bold" if item.bold else "normal",
        color=_rgb(item.color),
        ha=item.align,
        va="top",
        linespacing=1.3,
    )


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


def _band(figure: Figure, item: Table, top: float) -> Rectangle:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (item.x / PAGE_W, 1 - (top + item.row_h) / PAGE_H),
        item.w / PAGE_W,
        item.row_h / PAGE_H,
        transform=figure.transFigure,
        facecolor=_rgb("2C7FB8"),
        edgecolor="none",
    )
