"""Faces found offline and pixelated beyond recognition.

Standard detectors search every picture and a face any of them finds is treated:
two of OpenCV's frontal-face Haar cascades (they ship inside the opencv-python-headless
4.x wheel, ``cv2.data``; 5.x wheels no longer carry them) and dlib's HOG frontal-face
detector (built into the dlib-bin wheel, no model file). They miss different faces: on
the astronaut photograph the cascades find her face and dlib also a face-like patch on
her suit. Nothing is downloaded; each is loaded once per process. A face's box,
widened by a margin, is reduced to a few blocks of colour and then blurred: no feature
of the face is left. The treated picture is searched again, and whatever a detector
still finds is pixelated too (``benchmarks/faces.py`` measures each detector).
"""
from __future__ import annotations

import functools

# the cascade most code uses, and the one with the best recall and no false alarm on
# scikit-image's sample pictures (benchmarks/faces.py)
CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml")
DETECT_SIDE = 1024   # pictures are searched at most this big (faster; boxes scaled back)
MIN_FACE = 24        # pixels, at search size: the cascade's own window
HOG_SMALL = 640      # dlib searches a picture up to this size doubled (faces from about
                     # 40 px; else from 80 px, which the cascades' 24 px window covers)
MARGIN = 0.25        # of the box's side, added on each side before pixelating
BLOCKS = 4           # a face becomes at most this many blocks across (6 left a blob
                     # dlib still took for a face once the JPEG was written)
SEARCHES = 3         # a treated picture is searched again at most this often

Box = tuple[int, int, int, int]   # left, top, right, bottom


class DetectorMissing(RuntimeError):
    """OpenCV's cascade or dlib is not installed (a setup problem, not the data's)."""


@functools.lru_cache(maxsize=1)
def _cascades() -> list:
    try:
        import cv2
    except ImportError:
        raise DetectorMissing("opencv-python-headless is not installed") from None
    cascades = []
    for name in CASCADES:
        cascade = cv2.CascadeClassifier(f"{cv2.data.haarcascades}{name}")
        if cascade.empty():
            raise DetectorMissing(f"OpenCV's {name} is missing (opencv 5 wheels lack it)")
        cascades.append(cascade)
    return cascades


@functools.lru_cache(maxsize=1)
def _hog():
    try:
        import dlib
    except ImportError:
        raise DetectorMissing("dlib (the dlib-bin wheel) is not installed") from None
    return dlib.get_frontal_face_detector()


def haar_faces(gray) -> list[Box]:
    """Boxes the Haar cascades find in a grey numpy array."""
    found = []
    for cascade in _cascades():
        boxes = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                         minSize=(MIN_FACE, MIN_FACE))
        found += [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in
                  (boxes if len(boxes) else [])]
    return found


def hog_faces(pixels) -> list[Box]:
    """Boxes dlib's HOG detector finds in a numpy array (its default threshold; colour
    gives it the strongest gradient of three channels, and it finds more than in grey)."""
    upsample = 1 if max(pixels.shape[:2]) <= HOG_SMALL else 0
    return [(r.left(), r.top(), r.right(), r.bottom()) for r in _hog()(pixels, upsample)]


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box: the two detectors frame a face differently."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / max(1, smaller)


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """One box per face: boxes that mostly overlap are the same face, merged."""
    faces: list[Box] = []
    for box in sorted(boxes):
        for i, face in enumerate(faces):
            if _overlap(box, face) > 0.5:
                faces[i] = (min(box[0], face[0]), min(box[1], face[1]),
                            max(box[2], face[2]), max(box[3], face[3]))
                break
        else:
            faces.append(box)
    return sorted(faces)


def find_faces(picture) -> list[Box]:
    """Boxes (left, top, right, bottom) of the frontal faces either detector finds in a
    Pillow picture, one per face."""
    import numpy as np
    colour = picture.convert("RGB")
    scale = max(colour.size) / DETECT_SIDE if max(colour.size) > DETECT_SIDE else 1.0
    if scale > 1:
        colour = colour.resize((round(colour.width / scale), round(colour.height / scale)))
    found = haar_faces(np.asarray(colour.convert("L"))) + hog_faces(np.asarray(colour))
    return merge_boxes([tuple(round(v * scale) for v in box) for box in found])


def pixelate(picture, box: Box) -> None:
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
    """Pixelate every face found in ``picture`` (in place), then search again and
    pixelate what is still found; the number of faces the first search found."""
    boxes = first = find_faces(picture)
    for _ in range(SEARCHES):
        if not boxes:
            break
        for box in boxes:
            pixelate(picture, box)
        boxes = find_faces(picture)
    return len(first)
