"""An image's metadata, inventoried and removed: the picture is decoded and its pixels
written again in a fresh image of the same format, so nothing but pixels survives
(EXIF with its GPS position, serial numbers, owner and maker notes, the embedded
thumbnail, XMP, IPTC, PNG text chunks, comments, colour profiles, C2PA manifests).

The encoders are given fixed settings, so the same input gives the same bytes.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
           "WEBP": ("webp", "image/webp")}
DEFAULT_MAX_PIXELS = 50_000_000  # larger pictures are refused before they are decoded

# EXIF tags by what they say of a person (tag numbers from the EXIF 2.32 standard)
GPS_IFD, EXIF_IFD, THUMBNAIL_IFD = 0x8825, 0x8769, 1
SERIAL_TAGS = {0xA431, 0xA435, 0xA420}          # body and lens serial, image unique id
OWNER_TAGS = {0x013B, 0x8298, 0xA430, 0x9C9D}   # artist, copyright, camera owner, XPAuthor
MAKER_NOTE = 0x927C


class ImageUnreadable(ValueError):
    """Not a JPEG, PNG or WebP picture that can be decoded within the limits."""


@dataclass
class CleanImage:
    data: bytes
    format: str                 # JPEG | PNG | WEBP
    size: tuple[int, int]
    removed: list[str] = field(default_factory=list)  # kinds of metadata removed, sorted

    @property
    def path(self) -> str:
        """A neutral name: the digest of the written bytes, never the file's name."""
        return f"image-{hashlib.sha256(self.data).hexdigest()[:16]}.{FORMATS[self.format][0]}"


def open_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS):
    """The decoded picture (Pillow), or ImageUnreadable: an unknown format, a broken
    file, or more than ``max_pixels`` pixels (checked from the header, before decoding)."""
    from PIL import Image
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise ImageUnreadable("not a JPEG, PNG or WebP picture") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageUnreadable(f"picture has more than {max_pixels:,} pixels; not decoded")
    try:
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise ImageUnreadable("picture cannot be decoded") from None
    return image


def metadata_kinds(image) -> list[str]:
    """The kinds of metadata a decoded picture carries (before it is cleaned)."""
    return sorted(_exif_kinds(image.getexif()) | _other_kinds(image))


def _exif_kinds(exif) -> set[str]:
    """What the EXIF holds: location, serial numbers, owner, maker note, thumbnail, other."""
    if not len(exif):
        return set()
    kinds = set()
    sub = exif.get_ifd(EXIF_IFD)
    tags = set(exif) | set(sub)
    if exif.get_ifd(GPS_IFD) or GPS_IFD in exif:
        kinds.add("exif_gps")
    if tags & SERIAL_TAGS:
        kinds.add("exif_serial")
    if tags & OWNER_TAGS:
        kinds.add("exif_owner")
    if MAKER_NOTE in sub:
        kinds.add("exif_maker_note")
    if exif.get_ifd(THUMBNAIL_IFD):
        kinds.add("exif_thumbnail")
    if tags - SERIAL_TAGS - OWNER_TAGS - {MAKER_NOTE, GPS_IFD, EXIF_IFD}:
        kinds.add("exif_other")
    return kinds


def _other_kinds(image) -> set[str]:
    """The metadata beside the EXIF: XMP, IPTC, C2PA, PNG text, comment, ICC profile."""
    kinds = set()
    info = image.info
    if info.get("xmp") or info.get("XML:com.adobe.xmp"):
        kinds.add("xmp")
    if any(marker == "APP13" for marker, _ in getattr(image, "applist", ())):
        kinds.add("iptc")
    if any(marker == "APP11" for marker, _ in getattr(image, "applist", ())):
        kinds.add("c2pa")
    if [k for k in getattr(image, "text", {}) or {} if k != "XML:com.adobe.xmp"]:
        kinds.add("png_text")
    if info.get("comment"):
        kinds.add("comment")
    if info.get("icc_profile"):
        kinds.add("icc_profile")
    return kinds


def pixels_only(image):
    """A fresh picture holding only ``image``'s pixels, turned upright first (the EXIF
    orientation goes with the EXIF), in a mode its format can write."""
    from PIL import Image, ImageOps
    upright = ImageOps.exif_transpose(image)
    keep_alpha = image.format != "JPEG" and (
        "A" in upright.getbands() or "transparency" in upright.info)
    if upright.mode not in ("RGB", "L", "RGBA", "LA") or (upright.mode in ("RGBA", "LA")
                                                          and not keep_alpha):
        upright = upright.convert("RGBA" if keep_alpha else "RGB")
    return Image.frombytes(upright.mode, upright.size, upright.tobytes())


def encode(picture, fmt: str) -> bytes:
    """``picture`` in ``fmt`` with fixed settings and no metadata."""
    out = io.BytesIO()
    if fmt == "JPEG":
        picture.save(out, "JPEG", quality=92, subsampling=0, optimize=False, progressive=False)
    elif fmt == "PNG":
        picture.save(out, "PNG", compress_level=6)
    else:
        picture.save(out, "WEBP", quality=92, method=4, exact=False)
    return out.getvalue()


def strip(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, treat=None) -> CleanImage:
    """``data`` without its metadata (``treat``: a function of the fresh picture that
    changes it in place first, such as blurring faces). Raises ImageUnreadable."""
    image = open_image(data, max_pixels)
    fmt, removed = image.format, metadata_kinds(image)
    picture = pixels_only(image)
    if treat is not None:
        treat(picture)
    return CleanImage(encode(picture, fmt), fmt, picture.size, removed)
