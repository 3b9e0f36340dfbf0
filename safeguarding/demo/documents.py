"""The content of the demo's invented documents: a one-page PDF, a scanned-looking PNG."""

from __future__ import annotations

import random
import struct
import textwrap
import zlib
from collections.abc import Sequence

# The PDF's built-in font speaks ASCII: typographic quotes and dashes become plain ones.
_ASCII = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a3": "GBP ",
    }
)


def demo_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A small, valid one-page PDF with a title and lines of text (Helvetica, ASCII only)."""

    def literal(words: str) -> str:
        plain = words.translate(_ASCII).encode("ascii", "replace").decode()
        return "(" + plain.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    ops = ["BT", "/F1 15 Tf", "56 780 Td", f"{literal(title)} Tj", "/F1 10 Tf", "0 -28 Td"]
    for line in lines:
        for part in textwrap.wrap(line, 95) or [""]:
            ops += [f"{literal(part)} Tj", "0 -15 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def demo_png(seed: int, width: int = 320, height: int = 220) -> bytes:
    """A small greyscale PNG that looks like a scanned, handwritten, ruled form."""
    rng = random.Random(seed)  # noqa: S311 - pen strokes, not secrets
    pixels = [bytearray([236] * width) for _ in range(height)]
    for y in range(30, height - 10, 22):
        pixels[y][20 : width - 20] = bytes([170] * (width - 40))  # a ruled line
        x = 24 + rng.randint(0, 20)
        while x < width - 40:  # "words": short wiggly pen strokes above the line
            for _ in range(rng.randint(12, 40)):
                pen = y - 3 - rng.randint(0, 9)
                pixels[pen][x] = pixels[pen][x + 1] = 40
                x += 1
            x += rng.randint(6, 12)
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
