"""Recall of the image face detectors (pipelines/images/faces.py) on public labelled
faces that ship in a PyPI package: scikit-image's ``lfw_subset`` (100 face crops from
Labeled Faces in the Wild and 100 non-face crops, 25x25 grey) and its ``astronaut``
photograph (one face). Each crop is enlarged 4x and framed with its edge pixels (the
detectors search windows, and a crop has no room around the face), then searched with
the settings the pipeline uses: each detector alone, and both (what the pipeline
treats). Run: .venv/bin/python benchmarks/faces.py"""
from __future__ import annotations

import numpy as np
from PIL import Image
from skimage import data

from pipelines.images.faces import find_faces, haar_faces, hog_faces, merge_boxes


def framed(crop: np.ndarray) -> Image.Image:
    grey = np.pad((crop * 255).astype(np.uint8), 6, mode="edge")
    return Image.fromarray(grey).resize((grey.shape[1] * 4, grey.shape[0] * 4),
                                        Image.Resampling.BICUBIC)


def main() -> None:
    crops = data.lfw_subset()
    faces, others = [framed(c) for c in crops[:100]], [framed(c) for c in crops[100:]]
    astronaut = Image.fromarray(data.astronaut())
    detectors = {"Haar cascades (OpenCV)":
                 lambda p: merge_boxes(haar_faces(np.asarray(p.convert("L")))),
                 "HOG (dlib)": lambda p: merge_boxes(hog_faces(np.asarray(p.convert("RGB")))),
                 "both (the pipeline)": find_faces}
    for label, detect in detectors.items():
        found = sum(bool(detect(p)) for p in faces)
        false = sum(bool(detect(p)) for p in others)
        print(f"{label}: lfw_subset recall {found}/{len(faces)} = {found / len(faces):.2f}; "
              f"non-face crops flagged {false}/{len(others)}; astronaut: "
              f"{len(detect(astronaut))} face(s) found")


if __name__ == "__main__":
    main()
