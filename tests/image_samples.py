"""Pictures made for the image tests (issue 36): a photograph-like JPEG with GPS, serial
numbers, artist and maker notes in its EXIF; a PNG with text chunks; a plain drawing;
a real face (scikit-image's astronaut, public domain, NASA); and a C2PA-signed picture
made with a test certificate chain generated here (never a key from the repository)."""
from __future__ import annotations

import datetime as dt
import io
import json

from privenance.demo import XMP_GENERATED  # the demo generator's, used here too

ARTIST = "Chan Tai Man"          # the values no written byte may hold
SERIAL = "SN-8837-4412-XQ"
LENS_SERIAL = "LENS-99-0071"
MAKER_NOTE = b"MAKERNOTE-SECRET-0042"
GPS = {1: "N", 2: (22.0, 16.0, 45.5), 3: "E", 4: (114.0, 9.0, 31.2)}


def drawing(size=(160, 120), fmt="PNG") -> bytes:
    """A plain drawing: shapes on a flat background, no metadata."""
    from PIL import Image, ImageDraw
    picture = Image.new("RGB", size, (240, 240, 230))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((10, 10, 70, 60), fill=(200, 30, 30))
    draw.ellipse((80, 30, 150, 100), fill=(30, 90, 200))
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def exif_jpeg(size=(200, 150)) -> bytes:
    """A JPEG whose EXIF holds a GPS position, serial numbers, an artist, a maker note."""
    from PIL import Image
    picture = Image.open(io.BytesIO(drawing(size, "PNG"))).convert("RGB")
    exif = Image.Exif()
    exif[0x013B] = ARTIST
    exif[0x0110] = "TestCam 1"
    sub = exif.get_ifd(0x8769)
    sub[0xA431] = SERIAL
    sub[0xA435] = LENS_SERIAL
    sub[0x927C] = MAKER_NOTE
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=f"by {ARTIST}".encode())
    return out.getvalue()


def text_png() -> bytes:
    """A PNG with an author in a tEXt chunk and XMP naming a trained-model source type."""
    from PIL import Image, PngImagePlugin
    picture = Image.open(io.BytesIO(drawing()))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", ARTIST)
    info.add_itxt("XML:com.adobe.xmp", XMP_GENERATED)
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=info)
    return out.getvalue()




def face_jpeg() -> bytes:
    """scikit-image's astronaut (Eileen Collins, NASA, public domain): one frontal face."""
    from PIL import Image
    from skimage import data
    out = io.BytesIO()
    Image.fromarray(data.astronaut()).save(out, "JPEG", quality=92)
    return out.getvalue()


def certificate_chain() -> tuple[bytes, bytes]:
    """(PEM chain: signer then CA, PEM private key of the signer): an ES256 chain made
    now, shaped as C2PA requires of a claim signer (not a CA, digitalSignature,
    emailProtection)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    now = dt.datetime.now(dt.timezone.utc)
    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "privenance tests")])
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("privenance test CA"))
          .issuer_name(name("privenance test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("privenance test signer"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return chain, pem_key


C2PA_MANIFEST = {
    "claim_generator_info": [{"name": "privenance-tests", "version": "0.1"}],
    "title": "generated.jpg",
    "assertions": [
        {"label": "c2pa.actions.v2", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/"
                                 "trainedAlgorithmicMedia"}]}},
        {"label": "cawg.training-mining", "data": {"entries": {
            "cawg.ai_training": {"use": "notAllowed"},
            "cawg.ai_generative_training": {"use": "notAllowed"},
            "cawg.data_mining": {"use": "allowed"}}}},
    ],
}


def c2pa_jpeg(training: str = "notAllowed", source_type: str = "trainedAlgorithmicMedia",
              size=(180, 140)) -> bytes:
    """A JPEG signed with a C2PA manifest: by default made by a trained model, AI training
    not allowed; ``training="allowed"``, ``source_type="digitalCapture"`` for a camera's
    picture whose maker allows training."""
    import copy

    import c2pa
    manifest = copy.deepcopy(C2PA_MANIFEST)
    actions, mining = manifest["assertions"][0]["data"], manifest["assertions"][1]["data"]
    actions["actions"][0]["digitalSourceType"] = (
        f"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}")
    for entry in ("cawg.ai_training", "cawg.ai_generative_training"):
        mining["entries"][entry]["use"] = training
    chain, key = certificate_chain()
    info = c2pa.C2paSignerInfo(b"es256", chain, key, None)
    source, dest = io.BytesIO(drawing(size, "JPEG")), io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, "image/jpeg", source, dest)
    return dest.getvalue()


def tampered(data: bytes) -> bytes:
    """``data`` with one byte of its pixels changed: a C2PA manifest's hash of the
    content no longer holds (the picture still decodes)."""
    changed = bytearray(data)
    changed[-200] ^= 0xFF
    return bytes(changed)
