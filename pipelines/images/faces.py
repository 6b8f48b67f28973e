"""Faces found offline and pixelated beyond recognition.

The detector is OpenCV's frontal-face Haar cascade, which ships inside the
opencv-python-headless 4.x wheel (``cv2.data``; 5.x wheels no longer carry it):
nothing is downloaded. It is loaded once per process. A face's box, widened by a
margin, is reduced to a few blocks of colour and then blurred: no feature of the
face is left, and the detector no longer finds one there.
"""
from __future__ import annotations

import functools

CASCADE = "haarcascade_frontalface_default.xml"
DETECT_SIDE = 1024   # pictures are searched at most this big (faster; boxes scaled back)
MIN_FACE = 24        # pixels, at search size: the cascade's own window
MARGIN = 0.25        # of the box's side, added on each side before pixelating
BLOCKS = 6           # a face becomes at most this many blocks across


class DetectorMissing(RuntimeError):
    """OpenCV or its Haar cascade is not installed (a setup problem, not the data's)."""


@functools.lru_cache(maxsize=1)
def _cascade():
    try:
        import cv2
    except ImportError:
        raise DetectorMissing("opencv-python-headless is not installed") from None
    path = f"{cv2.data.haarcascades}{CASCADE}"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise DetectorMissing(f"OpenCV's {CASCADE} is missing (opencv 5 wheels lack it)")
    return cascade


def find_faces(picture) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of the frontal faces in a Pillow picture."""
    import numpy as np
    gray = picture.convert("L")
    scale = max(gray.size) / DETECT_SIDE if max(gray.size) > DETECT_SIDE else 1.0
    if scale > 1:
        gray = gray.resize((round(gray.width / scale), round(gray.height / scale)))
    boxes = _cascade().detectMultiScale(np.asarray(gray), scaleFactor=1.1, minNeighbors=5,
                                        minSize=(MIN_FACE, MIN_FACE))
    found = [(round(x * scale), round(y * scale), round((x + w) * scale), round((y + h) * scale))
             for x, y, w, h in (boxes if len(boxes) else [])]
    return sorted(found)


def pixelate(picture, box: tuple[int, int, int, int]) -> None:
    """Make the face in ``box`` unrecognisable, in place: a few blocks, then blurred."""
    from PIL import Image, ImageFilter
    left, top, right, bottom = box
    dx, dy = round((right - left) * MARGIN), round((bottom - top) * MARGIN)
    area = (max(0, left - dx), max(0, top - dy),
            min(picture.width, right + dx), min(picture.height, bottom + dy))
    width, height = area[2] - area[0], area[3] - area[1]
    if width < 2 or height < 2:
        return
    region = picture.crop(area)
    blocks = region.resize((min(BLOCKS, width), min(BLOCKS, height)), Image.Resampling.BOX)
    region = blocks.resize((width, height), Image.Resampling.NEAREST)
    region = region.filter(ImageFilter.GaussianBlur(radius=max(1, min(width, height) // 12)))
    picture.paste(region, area[:2])


def blur_faces(picture) -> int:
    """Pixelate every face found in ``picture`` (in place); the number found."""
    boxes = find_faces(picture)
    for box in boxes:
        pixelate(picture, box)
    return len(boxes)
