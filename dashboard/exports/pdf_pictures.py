"""The PDF deck's pictures, embedded as their own PNG data.

A slide picture is already a PNG. Drawn through matplotlib (``imshow``), every picture was
decoded, turned into an RGBA array, analysed for a palette and PNG-encoded again by the PDF
backend: more than half of a PDF deck's CPU (``to_pdf`` 0.99 → 0.41 s per deck, measured on 5
decks; docs/PERFORMANCE.md, "Report e-mails"), for the 552 weekly e-mails' decks. PDF reads
PNG's compressed rows as they are (``FlateDecode`` with the PNG predictors), so the IDAT chunks
go into an image XObject unchanged and a ``cm … Do`` places it in the picture's box. Only an
8-bit, non-interlaced RGB, grey or palette PNG without transparency can go in unchanged; any
other is first flattened on white (one re-encode).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    NameObject,
    NumberObject,
)

POINTS_PER_INCH = 72
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOURS = {0: ("/DeviceGray", 1), 2: ("/DeviceRGB", 3), 3: ("/Indexed", 1)}


@dataclass(frozen=True)
class Placed:
    """A picture on a page: its box (x, y, width, height) in inches from the page's top left
    corner, as :func:`slides.fit` gives it."""

    page: int
    box: tuple[float, float, float, float]
    png: bytes


@dataclass(frozen=True)
class _Png:
    width: int
    height: int
    colour_type: int
    palette: bytes
    data: bytes  # the concatenated IDAT chunks: zlib data with one filter byte per row


def _parse(png: bytes) -> _Png | None:
    """The PNG's parts when PDF can take its data as it is; None otherwise."""
    if not png.startswith(_SIGNATURE):
        return None
    position, header, palette, chunks = len(_SIGNATURE), b"", b"", []
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"tRNS":
            return None  # transparency: PDF would need a separate mask
        elif kind == b"IEND":
            break
    if len(header) != 13:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or interlace or colour not in _COLOURS or (colour == 3 and not palette):
        return None
    return _Png(width, height, colour, palette, b"".join(chunks))


def _flattened(png: bytes) -> _Png:
    """Any other PNG (alpha, 16-bit, interlaced) on white, as 8-bit RGB."""
    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    white = Image.new("RGB", rgba.size, "white")
    white.paste(rgba, mask=rgba.getchannel("A"))
    buffer = io.BytesIO()
    white.save(buffer, format="PNG")
    parsed = _parse(buffer.getvalue())
    assert parsed is not None  # Pillow writes 8-bit non-interlaced RGB
    return parsed


def _image_object(png: bytes) -> EncodedStreamObject:
    parsed = _parse(png) or _flattened(png)
    space, colours = _COLOURS[parsed.colour_type]
    colour_space: NameObject | ArrayObject = NameObject(space)
    if parsed.colour_type == 3:
        entries = len(parsed.palette) // 3
        colour_space = ArrayObject(
            [
                NameObject("/Indexed"),
                NameObject("/DeviceRGB"),
                NumberObject(entries - 1),
                ByteStringObject(parsed.palette),
            ]
        )
    image = EncodedStreamObject()
    image._data = parsed.data  # already Flate-compressed: written as it is
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(parsed.width),
            NameObject("/Height"): NumberObject(parsed.height),
            NameObject("/ColorSpace"): colour_space,
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/FlateDecode"),
            NameObject("/DecodeParms"): DictionaryObject(
                {
                    NameObject("/Predictor"): NumberObject(15),  # PNG filters, per row
                    NameObject("/Colors"): NumberObject(colours),
                    NameObject("/BitsPerComponent"): NumberObject(8),
                    NameObject("/Columns"): NumberObject(parsed.width),
                }
            ),
        }
    )
    return image


def embed(pdf: bytes, pictures: list[Placed], page_height: float) -> bytes:
    """``pdf`` with every picture drawn on top of its page's content."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    by_page: dict[int, list[Placed]] = {}
    for picture in pictures:
        by_page.setdefault(picture.page, []).append(picture)
    k = POINTS_PER_INCH
    for index, placed in by_page.items():
        page = writer.pages[index]
        resources = page[NameObject("/Resources")].get_object()
        assert isinstance(resources, DictionaryObject)  # matplotlib writes one per page
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        objects = resources["/XObject"].get_object()
        assert isinstance(objects, DictionaryObject)
        drawn = []
        for number, picture in enumerate(placed):
            name = f"/Pic{index}x{number}"  # matplotlib's pages share one XObject dictionary
            objects[NameObject(name)] = writer._add_object(_image_object(picture.png))
            x, y, w, h = (value * k for value in picture.box)
            bottom = page_height * k - y - h
            drawn.append(f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {bottom:.3f} cm {name} Do Q")
        contents = page.get_contents()
        before = contents.get_data() if contents is not None else b""
        stream = DecodedStreamObject()
        stream.set_data(before + ("\n" + "\n".join(drawn) + "\n").encode())
        page.replace_contents(stream.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
