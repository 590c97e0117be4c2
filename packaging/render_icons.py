"""Render the application icon from its SVG source into the sizes each platform wants.

    .venv/bin/python packaging/render_icons.py          # rewrite the rendered files
    .venv/bin/python packaging/render_icons.py --check  # exit 1 if any is out of date

Source: resources/icons/countydatasync.svg. Written next to it:

- countydatasync-{16,32,48,64,128,256,512}.png: the window icon (Qt picks the
  nearest size), Linux's hicolor theme and the .desktop entry;
- countydatasync.ico: Windows (exe icon, installer, shortcuts): 16, 24, 32, 48,
  64 and 128 as 32-bit BMP with alpha, 256 as PNG, the layout Windows' own
  tools write;
- countydatasync.icns: macOS (the .app bundle): 16 to 1024 as PNG, with the
  @2x (Retina) entries.

Every size is rendered from the vectors with Qt's QSvgRenderer (PySide6, already
a dependency) rather than scaled down from one bitmap, so small sizes stay sharp.
Needs no display: it runs on Qt's offscreen platform.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageReader, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
SOURCE = ICON_DIR / "countydatasync.svg"
NAME = "countydatasync"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_PNG_FROM = 256  # entries this size and larger are stored as PNG, smaller ones as BMP
# macOS icon types (all PNG payloads) and their pixel sizes.
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
    (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),
)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The icon at `size` x `size` pixels, straight (not premultiplied) ARGB."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def bmp_icon_bytes(image: QImage) -> bytes:
    """An ICO entry as a DIB: BITMAPINFOHEADER, 32-bit BGRA rows bottom-up, then the 1-bit AND mask."""
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    mask_rows = []
    mask_stride = ((size + 31) // 32) * 4
    for y in range(size - 1, -1, -1):
        # Format_ARGB32 is 0xAARRGGBB per pixel in native order: little-endian memory is B, G, R, A.
        line = bytes(image.constScanLine(y))[: size * 4]
        if sys.byteorder != "little":
            line = b"".join(line[i:i + 4][::-1] for i in range(0, len(line), 4))
        rows.append(line)
        bits = bytearray(mask_stride)
        for x in range(size):
            if line[x * 4 + 3] == 0:  # fully transparent: set in the AND mask
                bits[x // 8] |= 0x80 >> (x % 8)
        mask_rows.append(bytes(bits))
    return header + b"".join(rows) + b"".join(mask_rows)


def ico_bytes(images: dict[int, QImage]) -> bytes:
    entries = []
    for size in ICO_SIZES:
        payload = png_bytes(images[size]) if size >= ICO_PNG_FROM else bmp_icon_bytes(images[size])
        entries.append((size, payload))
    offset = 6 + 16 * len(entries)
    directory = [struct.pack("<HHH", 0, 1, len(entries))]
    for size, payload in entries:
        directory.append(struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(payload), offset))
        offset += len(payload)
    return b"".join(directory) + b"".join(payload for _, payload in entries)


def icns_bytes(images: dict[int, QImage]) -> bytes:
    body = b""
    for kind, size in ICNS_TYPES:
        payload = png_bytes(images[size])
        body += kind + struct.pack(">I", 8 + len(payload)) + payload
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def rendered() -> dict[Path, tuple[bytes, list[QImage]]]:
    """Every derived file: its content and the images in it, rendered from the SVG."""
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not an SVG that Qt can draw")
    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    images = {size: render(renderer, size) for size in sizes}
    files = {ICON_DIR / f"{NAME}-{size}.png": (png_bytes(images[size]), [images[size]]) for size in PNG_SIZES}
    files[ICON_DIR / f"{NAME}.ico"] = (ico_bytes(images), [images[size] for size in ICO_SIZES])
    files[ICON_DIR / f"{NAME}.icns"] = (icns_bytes(images), [images[size] for _, size in ICNS_TYPES])
    return files


#: Largest difference per colour channel (0-255) still counted as the same rendering: Qt's raster
#: painter rounds antialiased edges by one level differently on different CPUs (SIMD paths).
PIXEL_TOLERANCE = 2


def _pixels(image: QImage) -> np.ndarray:
    """An image as a (height, width, 4) array of 8-bit ARGB values."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    rows = np.frombuffer(bytes(image.constBits()), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4)


def same_pixels(found: list[QImage], expected: list[QImage]) -> bool:
    """True if both lists hold images of the same sizes whose pixels differ by at most PIXEL_TOLERANCE."""
    by_size = lambda images: sorted(images, key=lambda i: (i.width(), i.height()))  # noqa: E731
    if len(found) != len(expected):
        return False
    pairs = list(zip(by_size(found), by_size(expected), strict=True))
    return all(
        a.size() == b.size()
        and int(np.abs(_pixels(a).astype(np.int16) - _pixels(b).astype(np.int16)).max(initial=0)) <= PIXEL_TOLERANCE
        for a, b in pairs
    )


def up_to_date(path: Path, expected: list[QImage]) -> bool:
    """True if `path` holds the same pixels as a fresh rendering (within PIXEL_TOLERANCE).

    Compared image by image after decoding (Qt's ICO and ICNS readers), not
    byte by byte, so a different zlib on another machine does not count as stale.
    """
    if not path.exists():
        return False
    reader = QImageReader(str(path))
    found = []
    for index in range(max(reader.imageCount(), 1)):
        if index and not reader.jumpToImage(index):
            return False
        image = reader.read()
        if image.isNull():
            return False
        found.append(image)
    return same_pixels(found, expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ from a fresh rendering")
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 - QPainter wants one
    stale = []
    for path, (content, images) in rendered().items():
        if args.check:
            if not up_to_date(path, images):
                stale.append(path)
            continue
        if path.exists() and path.read_bytes() == content:
            continue
        stale.append(path)
        path.write_bytes(content)
        print(f"wrote {path.relative_to(ICON_DIR.parent.parent)} ({len(content):,} bytes)")
    if args.check and stale:
        print("out of date (run packaging/render_icons.py): " + ", ".join(p.name for p in stale), file=sys.stderr)
        return 1
    if not stale:
        print("icons up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
