"""Chart images (PNG, SVG) and tables (CSV, XLSX) that say what they show.

Images get the export context as their title's subtitle lines; tables get it as a header
block. Suppressed cells (NA in an integer column) are written as ``<N``, never as a number.
"""

from __future__ import annotations

import copy
import csv
import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd
import vl_convert

from dashboard.charts import METRIC_LABELS, SHARE_METRICS, Spec
from dashboard.exports.context import SYNTHETIC_LABEL, ExportContext
from dashboard.exports.protect import protect_counts
from dashboard.settings import suppression_threshold
from queries.suppression import suppressed_label

if TYPE_CHECKING:  # openpyxl is imported where a workbook is built
    from openpyxl.worksheet.worksheet import Worksheet

COLUMN_LABELS = {
    **METRIC_LABELS,
    "code": "Kode wilayah",
    "name": "Wilayah",
    "region_name": "Wilayah",
    "province_code": "Kode provinsi",
    "regency_code": "Kode kabupaten/kota",
    "population": "Penduduk",
    "week_start": "Awal minggu",
    "value": "Nilai",
    "label": "Kategori",
    "stage": "Tahap (kode)",
    "people": "Orang",
    "share_of_previous": "Bagian dari tahap sebelumnya",
    "gap_score": "Skor kesenjangan",
    "reason": "Alasan",
    "source_code": "Kode sumber",
}
PERCENT_COLUMNS = SHARE_METRICS | {"share_of_previous"}


# --- images -----------------------------------------------------------------------------------


def vega_spec(chart: Spec) -> Spec:
    """The chart as JSON for vl-convert: its frames as records, and Altair's default theme
    (the continuous view sizes), exactly as ``to_dict()`` of the Altair chart gave it."""
    theme = alt.theme.get()  # Altair's active theme, which to_dict() applied
    defaults: dict[str, Any] = copy.deepcopy(dict(theme().get("config", {}))) if theme else {}
    config = alt.utils.update_nested(defaults, chart["config"])
    datasets = {name: alt.to_values(frame)["values"] for name, frame in chart["datasets"].items()}
    return {**chart, "config": config, "datasets": datasets}


def with_context(chart: Spec, context: ExportContext) -> Spec:
    """The chart with its title kept (or the context's) and the context lines as subtitle."""
    current = chart.get("title")
    text, subtitle = context.title, []
    if isinstance(current, str):
        text = current
    elif isinstance(current, dict):
        text = current.get("text", text)
        existing = current.get("subtitle") or []
        subtitle = [existing] if isinstance(existing, str) else list(existing)
    title = {"text": text, "subtitle": [*subtitle, *context.lines()], "subtitleColor": "#333333"}
    return {**chart, "title": title}


def chart_png(chart: Spec, scale: float = 2, context: ExportContext | None = None) -> bytes:
    """PNG at ``scale``× the chart's pixel size (2× stays sharp on a projector)."""
    spec = vega_spec(with_context(chart, context) if context else chart)
    return vl_convert.vegalite_to_png(spec, scale=scale)


def chart_svg(chart: Spec, context: ExportContext | None = None) -> str:
    """SVG text (editable in Inkscape or PowerPoint)."""
    spec = vega_spec(with_context(chart, context) if context else chart)
    return vl_convert.vegalite_to_svg(spec)


# --- tables -----------------------------------------------------------------------------------


def export_frame(frame: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """The frame as exported: small counts suppressed, Indonesian column headers."""
    out = protect_counts(frame, threshold or suppression_threshold())
    return out.rename(columns=lambda c: COLUMN_LABELS.get(c, c))


def _cell(value: object, integer_column: bool, label: str) -> object:
    """One cell for CSV/XLSX: numbers stay numbers, suppressed counts become ``<N``."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return label if integer_column else None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _rows(frame: pd.DataFrame, label: str) -> list[list[object]]:
    integer = [pd.api.types.is_integer_dtype(frame[c]) for c in frame.columns]
    return [
        [_cell(v, integer[i], label) for i, v in enumerate(row)]
        for row in frame.itertuples(index=False, name=None)
    ]


def table_csv(
    frame: pd.DataFrame,
    context: ExportContext | None = None,
    suppressed_threshold: int | None = None,
) -> bytes:
    """UTF-8 CSV (with BOM, so Excel shows accents) with Indonesian headers; the context comes
    first as ``#`` comment lines (``pandas.read_csv(..., comment="#")`` skips them)."""
    limit = suppressed_threshold or suppression_threshold()
    table = export_frame(frame, limit)
    buffer = io.StringIO()
    if context is not None:
        for line in [context.title, *context.lines()]:
            buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(table.columns))
    for row in _rows(table, suppressed_label(limit)):
        writer.writerow(["" if v is None else _csv_text(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_text(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def table_xlsx(
    frame: pd.DataFrame, context: ExportContext, suppressed_threshold: int | None = None
) -> bytes:
    """An Excel workbook: a header block (title, filters, as-of, source, synthetic label), then
    the table with numbers as numbers and Indonesian headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    limit = suppressed_threshold or suppression_threshold()
    table = export_frame(frame, limit)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "Data"
    header = [context.title, f"Wilayah: {context.region_name}", f"Filter: {context.filters_text}"]
    header += [context.as_of_text, context.source_line]
    for line in header:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    if context.synthetic:
        sheet.append([SYNTHETIC_LABEL])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, color="C00000")
    sheet.append([f'Angka di bawah {limit} ditulis "<{limit}" (beserta sel pelengkapnya).'])
    if context.quality_note:
        sheet.append([context.quality_note])
    sheet.append([])
    sheet.append(list(table.columns))
    first_data_row = sheet.max_row + 1
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in _rows(table, suppressed_label(limit)):
        sheet.append(row)
    _number_formats(sheet, frame, first_data_row)
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(column) + 4))
    sheet.freeze_panes = f"A{first_data_row}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number_formats(sheet: Worksheet, frame: pd.DataFrame, first_row: int) -> None:
    """Thousands separators for counts, percentages for shares, dates as dates (Excel shows
    them in the reader's own locale, e.g. ``849.921`` in Indonesian Excel)."""
    for index, column in enumerate(frame.columns, start=1):
        if column in PERCENT_COLUMNS:
            fmt = "0.0%"
        elif pd.api.types.is_integer_dtype(frame[column]):
            fmt = "#,##0"
        elif pd.api.types.is_float_dtype(frame[column]):
            fmt = "#,##0.0"
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            fmt = "yyyy-mm-dd"
        else:
            continue
        for (cell,) in sheet.iter_rows(min_row=first_row, min_col=index, max_col=index):
            if isinstance(cell.value, int | float | date):
                cell.number_format = fmt
