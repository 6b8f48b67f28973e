"""Recall of the image face detector (pipelines/images/faces.py) on public labelled
faces that ship in a PyPI package: scikit-image's ``lfw_subset`` (100 face crops from
Labeled Faces in the Wild and 100 non-face crops, 25x25 grey) and its ``astronaut``
photograph (one face). Each crop is enlarged 4x and framed with its edge pixels (the
detector searches windows, and a crop has no room around the face), then searched with
the settings the pipeline uses. Run: .venv/bin/python benchmarks/faces.py"""
from __future__ import annotations

import numpy as np
from PIL import Image
from skimage import data

from pipelines.images.faces import find_faces


def framed(crop: np.ndarray) -> Image.Image:
    grey = np.pad((crop * 255).astype(np.uint8), 6, mode="edge")
    return Image.fromarray(grey).resize((grey.shape[1] * 4, grey.shape[0] * 4),
                                        Image.Resampling.BICUBIC)


def main() -> None:
    crops = data.lfw_subset()
    faces, others = crops[:100], crops[100:]
    found = sum(bool(find_faces(framed(c))) for c in faces)
    false = sum(bool(find_faces(framed(c))) for c in others)
    astronaut = len(find_faces(Image.fromarray(data.astronaut())))
    print(f"lfw_subset: recall {found}/{len(faces)} = {found / len(faces):.2f}; "
          f"non-face crops flagged {false}/{len(others)}; astronaut: {astronaut} face(s) of 1")


if __name__ == "__main__":
    main()
