"""Generate the demo corpus with Faker (fixed seed, so DVC sees identical bytes).

Three text sources in three formats with different licence and consent terms, free
text mixing English, Cantonese-romanized and Chinese names, emails, HK phone
numbers, HKIDs and addresses, plus non-personal figures (order numbers, prices,
dates, index levels) that must survive, and a few deliberately bad rows. A fourth
source is a folder of pictures: drawings, a public-domain photograph with a face
whose EXIF holds a GPS position, a serial number and an artist, a drawing whose XMP
says a trained model made it, and a file that is no picture.

The files go to data/demo/raw (never data/raw, which is the users'); they are
declared in data/demo/sources.yaml and treated under policies/demo.yaml.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

PHOTO = Path(__file__).parent / "demo_assets" / "astronaut.jpg"   # licenses/astronaut.txt
# the IPTC digital source type a generator writes into its pictures' XMP
XMP_GENERATED = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType='
    '"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
    '</rdf:RDF></x:xmpmeta>')

SURNAMES = ["Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Ho", "Leung", "Lam", "Tsang", "Yip",
            "Chow", "Tang", "Kwok", "Fung", "Yeung", "Mak", "Tse"]
GIVEN = ["Tai Man", "Siu Ming", "Ka Yan", "Wing Sze", "Chi Keung", "Mei Ling", "Ho Yin",
         "Ka Wai", "Suet Ying", "Kin Wah", "Hiu Tung", "Wai Lun"]
ZH_SURNAMES = "陳黃李張梁林劉吳何鄭"
ZH_GIVEN = ["大文", "小明", "嘉欣", "詠詩", "志強", "美玲", "浩賢", "家慧"]
DISTRICTS = ["Mong Kok", "Sha Tin", "Tsim Sha Tsui", "Causeway Bay", "Kwun Tong", "Tuen Mun"]


def hkid(rng: random.Random) -> str:
    """A syntactically valid HKID with a correct check digit."""
    letter = rng.choice("ACDEGHKMPRVYZ")
    digits = "".join(rng.choice("0123456789") for _ in range(6))
    total = 36 * 9 + (ord(letter) - 55) * 8 + sum(int(d) * w for d, w in zip(digits, range(7, 1, -1)))
    check = (11 - total % 11) % 11
    return f"{letter}{digits}({'A' if check == 10 else check})"


def hk_phone(rng: random.Random) -> str:
    number = rng.choice("569") + "".join(rng.choice("0123456789") for _ in range(7))
    fmt = rng.choice(["+852 {a} {b}", "{a}-{b}", "(852) {a}{b}", "{a} {b}"])
    return fmt.format(a=number[:4], b=number[4:])


def hk_name(rng: random.Random) -> str:
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
    return f"{given.replace(' ', '-')} {surname}" if rng.random() < 0.2 else f"{surname} {given}"


def _day(fake) -> str:
    # fixed range, not "this year": the corpus must not change with the calendar
    return fake.date_between_dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)).isoformat()


def _ticket_text(fake, rng) -> str:
    name = hk_name(rng) if rng.random() < 0.6 else fake.name()
    order, price = rng.randint(10000, 99999), rng.randint(100, 9999)
    templates = [
        "Hi, this is {name}. Order #{order} (HK${price}) arrived damaged on {date}. "
        "Call me on {phone} or email {email}.",
        "Customer {name}, HKID {hkid}, asks to change the delivery address to Flat {flat}, "
        "{floor}/F, {street}, {district}. Order #{order} total HK${price}.",
        "{name} reported that the Hang Seng Index widget showed {hsi} instead of the close "
        "on {date}. Contact: {email}, {phone}.",
        "客戶{zh}先生來電，電話{phone_plain}，查詢訂單{order}。",
    ]
    return rng.choice(templates).format(
        name=name, order=order, price=price, date=_day(fake),
        phone=hk_phone(rng), email=fake.free_email(), hkid=hkid(rng), flat=rng.randint(1, 30),
        floor=rng.randint(1, 40), street=fake.street_name(), district=rng.choice(DISTRICTS),
        hsi=f"{rng.uniform(15000, 25000):,.1f}", zh=rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN),
        phone_plain=hk_phone(rng).replace(" ", "").replace("-", "")[-8:])


def _drawing(rng: random.Random, size=(320, 240)):
    """Shapes in random colours on a flat background (a Pillow picture)."""
    from PIL import Image, ImageDraw
    picture = Image.new("RGB", size, tuple(rng.randint(200, 250) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(3, 6)):
        x, y = rng.randint(0, size[0] - 60), rng.randint(0, size[1] - 60)
        box = (x, y, x + rng.randint(30, 120), y + rng.randint(30, 120))
        colour = tuple(rng.randint(0, 200) for _ in range(3))
        rng.choice([draw.rectangle, draw.ellipse])(box, fill=colour)
    return picture


def _photo_with_exif(fake, rng: random.Random) -> bytes:
    """The public-domain photograph, its EXIF claiming a camera, its serial number, an
    artist and a GPS position in Hong Kong (the pipeline must strip all of them)."""
    import io

    from PIL import Image
    picture = Image.open(PHOTO)
    exif = Image.Exif()
    exif[0x013B] = fake.name()                       # Artist
    exif[0x010F], exif[0x0110] = "ExampleCam", "EC-1"  # Make, Model
    exif.get_ifd(0x8769)[0xA431] = f"SN-{rng.randint(10**7, 10**8 - 1)}"  # BodySerialNumber
    exif.get_ifd(0x8825).update({1: "N", 2: (22.0, 18.0, round(rng.uniform(0, 59), 1)),
                                 3: "E", 4: (114.0, 10.0, round(rng.uniform(0, 59), 1))})
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def photos(out: Path, fake, rng: random.Random, drawings: int = 4) -> int:
    """Write the picture source's files under ``out`` (a folder); the number written."""
    from PIL import PngImagePlugin
    out.mkdir(parents=True, exist_ok=True)
    for i in range(drawings):
        _drawing(rng).save(out / f"drawing-{i + 1:03d}.png")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP_GENERATED)
    _drawing(rng).save(out / "generated-001.png", pnginfo=info)
    (out / "photo-001.jpg").write_bytes(_photo_with_exif(fake, rng))
    (out / "scan-001.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a picture after all")
    return drawings + 3


def generate(out: Path | str, seed: int = 42, tickets: int = 150, interviews: int = 40,
             posts: int = 50) -> dict[str, int]:
    """Write tickets.jsonl, interviews.parquet, forum.csv and the photos/ folder under
    ``out``."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    # 1. support tickets (JSONL): consented for model training, CC-BY-4.0
    lines = []
    for i in range(tickets):
        row = {"ticket_id": f"T{i + 1:05d}", "customer_email": fake.free_email(), "hkid": hkid(rng),
               "body": _ticket_text(fake, rng), "product": rng.choice(["router", "phone", "plan"]),
               "amount": round(rng.uniform(50, 5000), 2), "created": _day(fake),
               "internal_notes": f"agent {fake.first_name()} handled it"}
        if i % 19 == 3:   # consented to support only: not to model training
            row["consent"] = {"basis": "consent", "purposes": ["customer-support"],
                              "reference": "form-2023-11"}
        if i % 31 == 7:   # retention ended
            row["retain_until"] = "2021-12-31"
        if i % 37 == 5:   # no key
            row["ticket_id"] = None
        lines.append(json.dumps(row, ensure_ascii=False))
    lines.insert(60, '{"ticket_id": "T-BROKEN", "body": "unterminated')   # malformed JSON
    lines.insert(90, '["not", "an", "object"]')
    (out / "tickets.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # 2. research interviews (Parquet): CC-BY-NC-4.0, refused by a commercial policy
    rows = [{"interview_id": i + 1, "transcript": f"Interviewer spoke with {hk_name(rng)} "
             f"({fake.free_email()}) about {fake.bs()}.", "age_band": rng.choice(["20-29", "30-39"]),
             "district": rng.choice(DISTRICTS)} for i in range(interviews)]
    pq.write_table(pa.Table.from_pylist(rows), out / "interviews.parquet")

    # 3. forum posts (CSV): per-row licences, some missing or invalid
    with open(out / "forum.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["post_id", "author_handle", "text", "licence", "posted"])
        for i in range(posts):
            licence = ("" if i % 5 == 1 else "not-a-licence" if i % 23 == 4
                       else "CC-BY-SA-4.0" if i % 7 == 0 else "CC0-1.0")
            text = (f"{hk_name(rng)} wrote: \"selling my old {fake.word()}, WhatsApp "
                    f"{hk_phone(rng)}\"\nprice HK${rng.randint(50, 900)}, meet in "
                    f"{rng.choice(DISTRICTS)}")
            w.writerow([f"P{i + 1:04d}", fake.user_name(), text, licence,
                        _day(fake)])
    # 4. a photo archive (a folder of pictures): public domain
    pictures = photos(out / "photos", fake, rng)
    return {"support-tickets": len(lines), "research-interviews": interviews,
            "forum-posts": posts, "photo-archive": pictures}
