"""Generated Hong Kong customer chats with decoys, labelled: the HK synthetic target.

Faker (zh_TW, en_US) and privenance/demo.py's HK helpers write short chats in
Cantonese / Traditional Chinese, English and code-switched mixes (fixed seed, so the
same corpus every run with the same Faker). Personal data: Chinese names with and
without 先生/小姐/太太 in 我係… / 搵… / 佢… / 我老公…話 sentences, English,
Cantonese-romanized and transliterated (約翰·史密斯) names, also inside Chinese
sentences; HKIDs, HK phones, emails, cards and IPs, written plain, full-width
(Ａ１２３４５６（３）, ＠, ９１２３　４５６７), spaced out, with zero-width
characters, phones in Chinese numerals, emails obfuscated (name [at] gmail [dot] com).
Decoys that are not personal data: order ids (ORD-2025-034246), order numbers shaped
like phones (訂單 52118487), product and model names, prices (HK$12,721), the label
"HKID", card expiry (exp 12/27), passenger counts, greetings ("Hi, I'm").

Each record: {"id", "lang", "text", "spans": [{"entity", "start", "end", "value",
"form", "decoy", "kind"}], "sentences": [{"start", "end", "personal"}]}; a sentence is
one chat line, "personal": false when it holds no personal data at all.

Scores (each variant, same records): share of each identifier type surviving verbatim
(target 0 for HK_ID, PHONE_NUMBER, EMAIL_ADDRESS, CREDIT_CARD, IP_ADDRESS), also after
normalizing the output (NFKC, no zero-width characters or spaces: digits left with the
separators removed still count), names surviving, decoys kept, and the share of
non-personal sentences changed (target <= 10 %).

Usage: python benchmarks/hk_corpus.py [--records 500] [--seed 25] [--policy PATH]
                                      [--skip-vanilla]
Writes benchmarks/results/hk_corpus/{corpus,<variant>}.jsonl and
benchmarks/results/hk_corpus.json. Generated text: for benchmarks and tests only.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results"
IDENTIFIERS = ("HK_ID", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "IP_ADDRESS")
DECOYS = ("ORDER_ID", "ORDER_NUMBER", "PRODUCT", "PRICE", "LABEL", "CARD_EXPIRY",
          "PASSENGERS", "GREETING")
MAX_CHANGED = 0.10
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
ZH_DIGITS = dict(zip("0123456789", "零一二三四五六七八九"))
HK_SURNAMES_ZH = "陳黃李張梁林劉吳何鄭楊周謝曾"
TRANSLIT_GIVEN = ["約翰", "瑪莉", "大衛", "珍妮", "彼得", "莎拉", "湯姆", "艾美", "科瑞", "安娜"]
TRANSLIT_FAMILY = ["史密斯", "威爾遜", "布朗", "舒爾曼", "泰勒", "安德森", "湯普森", "米勒"]
PRODUCTS = ["Philips Airfryer XXL", "Dyson V15 Detect", "Samsung Galaxy S24 Ultra",
            "Apple iPhone 15 Pro Max", "Sony WH-1000XM5", "Xiaomi Redmi Note 13",
            "Panasonic NA-V10FC1", "LG OLED C3", "Nintendo Switch OLED", "Canon EOS R50",
            "Tefal Ingenio", "Dyson Airwrap", "Philips Sonicare 9900"]

# templates: {slot} is filled by _value(); PERSONAL_* hold personal data, PLAIN_* none
PERSONAL_YUE = [
    "我係{zh}，想查下我張單。", "我係{zh_t}，之前打過嚟。", "唔該搵{zh_t}。",
    "搵{zh}呀，佢今日返唔返工？", "佢叫{zh}，你可以打{phone}搵佢。",
    "我老公{zh}話張卡俾人盜用咗。", "我老婆{zh}話上個月已經俾咗錢。",
    "客戶{zh}嘅身份證號碼係{hkid}。", "我身份證係{hkid}。", "我嘅{HKID}係{hkid}，麻煩你幫我核對。",
    "我電話{phone}，有咩事WhatsApp我。", "可以打{phone}搵我。", "電話：{phone}",
    "電郵係{email}，唔該寄張單俾我。", "卡號{card}，到期日{expiry}。",
    "我屋企部機個IP係{ip}，成日斷線。", "{tr}先生話想改送貨地址。",
    "我同{zh}一齊訂嘅，佢電話係{phone}。", "{zh_t}話訂單{order_no}仲未收到。",
]
PLAIN_YUE = [
    "訂單 {order_no} 幾時會送到？", "訂單編號{order_id}已經出咗貨。", "{product}而家減價，只係{price}。",
    "請問{product}仲有冇貨？", "請提供你嘅{HKID}號碼作核實。", "多謝你嘅耐心等候。",
    "請問有咩可以幫到你？", "{pax_yue}，下星期三出發。", "運費{price}，兩至三個工作天送到。",
    "張卡到期日係{expiry}，唔使換卡住。", "好，我幫你跟進。",
]
PERSONAL_EN = [
    "{hi}{en}.", "{hi}{hk_en}, calling about my refund.", "This is {en}, order {order_id} never arrived.",
    "Please call me on {phone}.", "You can reach me at {phone} or {email}.", "My email is {email}.",
    "My {HKID} is {hkid}.", "Card number {card}, exp {expiry}.",
    "My router's IP is {ip} and it keeps dropping.", "Please pass this to Ms {en}.",
    "My husband {hk_en} placed the order for the {product}.", "WhatsApp {phone} if the courier is late.",
]
PLAIN_EN = [
    "Order number {order_no} was shipped yesterday.", "Your order {order_id} is ready for pickup.",
    "The {product} is {price} this week.", "Is the {product} still in stock?",
    "Please provide your {HKID} number for verification.", "Booking confirmed for {pax_en}.",
    "Thank you for contacting us, have a nice day!", "Please check the expiry date (exp {expiry}) on your card.",
    "Delivery is free for orders over {price}.", "Sorry for the wait, let me check.",
]
PERSONAL_MIX = [
    "我係{en}，想問下張order。", "我係{hk_en}，個refund搞成點？", "Hi，我係{zh}，想check下個order status。",
    "我個email係{email}，唔該send個invoice俾我。", "有咩call我{phone}，或者WhatsApp都得。",
    "我嘅{HKID}係{hkid}，麻煩你verify下。", "張credit card號碼係{card}，exp {expiry}。",
    "佢個name係{en}，phone係{phone}。", "個IP address係{ip}，成日disconnect。",
    "我老公{zh}話個{product}壞咗。", "Please搵{zh_t}，佢負責呢單case。",
]
PLAIN_MIX = [
    "個order {order_id} 幾時ship？", "Order number {order_no}，仲未收到貨。",
    "{product}而家做緊promotion，{price}。", "我想買{product}，有冇得分期？",
    "唔該俾個{HKID}號碼我verify下。", "OK，我幫你follow up。", "{pax_mix}，check in時間係幾點？",
]
TEMPLATES = {"yue": (PERSONAL_YUE, PLAIN_YUE, ("客戶：", "客服：")),
             "en": (PERSONAL_EN, PLAIN_EN, ("Customer: ", "Agent: ")),
             "mix": (PERSONAL_MIX, PLAIN_MIX, ("客戶：", "Agent: "))}


# -- written forms ------------------------------------------------------------

def fullwidth(s: str) -> str:
    """ASCII to full-width forms (the space to the ideographic space)."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def with_zero_width(s: str, rng: random.Random) -> str:
    i = rng.randint(1, len(s) - 1)
    return s[:i] + rng.choice(ZERO_WIDTH) + s[i:]


def spaced(s: str) -> str:
    return " ".join(c for c in s if c != " ")


def hk_phone(rng: random.Random) -> tuple[str, str]:
    """(value, form) of a HK mobile or landline number in one of its written forms."""
    digits = rng.choice("5692") + "".join(rng.choice("0123456789") for _ in range(7))
    form = rng.choice(["plain", "plain", "grouped", "plus852", "fullwidth", "spaced",
                       "zero_width", "zh_numerals"])
    grouped = f"{digits[:4]} {digits[4:]}"
    value = {"plain": digits, "grouped": grouped, "plus852": f"+852 {grouped}",
             "fullwidth": fullwidth(grouped), "spaced": spaced(digits),
             "zero_width": with_zero_width(digits, rng),
             "zh_numerals": "".join(ZH_DIGITS[d] for d in digits)}[form]
    return value, form


def hkid_value(rng: random.Random) -> tuple[str, str]:
    from privenance.demo import hkid
    plain = hkid(rng)
    form = rng.choice(["plain", "plain", "fullwidth", "fullwidth_brackets", "spaced", "zero_width"])
    value = {"plain": plain, "fullwidth": fullwidth(plain),
             "fullwidth_brackets": plain.replace("(", "（").replace(")", "）"),
             "spaced": spaced(plain), "zero_width": with_zero_width(plain, rng)}[form]
    return value, form


def email_value(fake, rng: random.Random) -> tuple[str, str]:
    from privenance.demo import hk_name
    if rng.random() < 0.5:
        plain = fake.free_email()
    else:  # HK users often build it from the romanized name
        plain = hk_name(rng).lower().replace(" ", rng.choice([".", "", "_"])) + "@" + \
            rng.choice(["gmail.com", "yahoo.com.hk", "hotmail.com", "netvigator.com"])
    user, domain = plain.split("@")
    form = rng.choice(["plain", "plain", "fullwidth_at", "fullwidth", "obfuscated", "zero_width"])
    value = {"plain": plain, "fullwidth_at": f"{user}＠{domain}", "fullwidth": fullwidth(plain),
             "obfuscated": f"{user} [at] {domain.replace('.', ' [dot] ')}",
             "zero_width": with_zero_width(plain, rng)}[form]
    return value, form


def card_value(fake, rng: random.Random) -> tuple[str, str]:
    digits = fake.credit_card_number(card_type=rng.choice(["visa16", "mastercard"]))
    grouped = " ".join(digits[i:i + 4] for i in range(0, 16, 4))
    form = rng.choice(["plain", "grouped", "dashed", "fullwidth", "zero_width"])
    value = {"plain": digits, "grouped": grouped, "dashed": grouped.replace(" ", "-"),
             "fullwidth": fullwidth(grouped), "zero_width": with_zero_width(grouped, rng)}[form]
    return value, form


def ip_value(fake, rng: random.Random) -> tuple[str, str]:
    plain = fake.ipv4_public()
    form = rng.choice(["plain", "plain", "fullwidth", "zero_width"])
    return {"plain": plain, "fullwidth": fullwidth(plain),
            "zero_width": with_zero_width(plain, rng)}[form], form


# -- chats --------------------------------------------------------------------

def _value(slot: str, fake, fake_zh, rng: random.Random) -> list:
    """The pieces a slot becomes: plain strings and (entity, value, form, kind) spans."""
    from privenance.demo import SURNAMES, hk_name
    if slot in ("zh", "zh_t"):
        name = fake_zh.name() if rng.random() < 0.7 else rng.choice(HK_SURNAMES_ZH) + fake_zh.first_name()
        if slot == "zh":
            return [("PERSON", name, "plain", "zh")]
        return [("PERSON", name, "plain", "zh_title"), rng.choice(["先生", "小姐", "太太"])]
    if slot == "en":
        return [("PERSON", f"{fake.first_name()} {fake.last_name()}", "plain", "en")]
    if slot == "hk_en":
        name = hk_name(rng) if rng.random() < 0.6 else f"{fake.first_name()} {rng.choice(SURNAMES)}"
        return [("PERSON", name, "plain", "hk_romanized")]
    if slot == "tr":
        return [("PERSON", f"{rng.choice(TRANSLIT_GIVEN)}·{rng.choice(TRANSLIT_FAMILY)}", "plain",
                 "transliterated")]
    makers = {"hkid": ("HK_ID", lambda: hkid_value(rng)), "phone": ("PHONE_NUMBER", lambda: hk_phone(rng)),
              "email": ("EMAIL_ADDRESS", lambda: email_value(fake, rng)),
              "card": ("CREDIT_CARD", lambda: card_value(fake, rng)),
              "ip": ("IP_ADDRESS", lambda: ip_value(fake, rng))}
    if slot in makers:
        entity, make = makers[slot]
        value, form = make()
        return [(entity, value, form, "")]
    decoys = {
        "order_id": ("ORDER_ID", lambda: f"ORD-{rng.choice([2024, 2025])}-{rng.randint(0, 999999):06d}"),
        # shaped like a HK phone number on purpose: only the context says it is not one
        "order_no": ("ORDER_NUMBER", lambda: rng.choice("5698") + f"{rng.randint(0, 9999999):07d}"),
        "product": ("PRODUCT", lambda: rng.choice(PRODUCTS)),
        "price": ("PRICE", lambda: f"HK${rng.randint(30, 25000):,}"),
        "expiry": ("CARD_EXPIRY", lambda: f"{rng.randint(1, 12):02d}/{rng.randint(25, 31)}"),
        # with its unit: a lone digit would be found anywhere in the output
        "pax_yue": ("PASSENGERS", lambda: f"{rng.randint(2, 9)}位乘客"),
        "pax_en": ("PASSENGERS", lambda: f"{rng.randint(2, 9)} passengers"),
        "pax_mix": ("PASSENGERS", lambda: f"{rng.randint(2, 9)}個passengers"),
        "HKID": ("LABEL", lambda: "HKID"), "hi": ("GREETING", lambda: "Hi, I'm ")}
    entity, make = decoys[slot]
    value = make()
    if slot == "hi":  # the span is the greeting's words, the space after it is text
        return [(entity, value.rstrip(), "plain", "decoy"), " "]
    return [(entity, value, "plain", "decoy")]


def render(template: str, fake, fake_zh, rng: random.Random, offset: int) -> tuple[str, list[dict]]:
    """The template's text and its labelled spans (offsets from ``offset``)."""
    text, spans = "", []
    for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
        for part in ([piece] if i % 2 == 0 else _value(piece, fake, fake_zh, rng)):
            if isinstance(part, str):
                text += part
                continue
            entity, value, form, kind = part
            start = offset + len(text)
            spans.append({"entity": entity, "start": start, "end": start + len(value), "value": value,
                          "form": form, "decoy": kind == "decoy", "kind": "" if kind == "decoy" else kind})
            text += value
    return text, spans


def generate(n: int = 500, seed: int = 25) -> list[dict]:
    """``n`` chats of 2-4 lines each, the same for the same seed (and Faker version)."""
    from faker import Faker
    fake, fake_zh = Faker("en_US"), Faker("zh_TW")
    fake.seed_instance(seed)
    fake_zh.seed_instance(seed)
    rng = random.Random(seed)
    records = []
    for number in range(1, n + 1):
        lang = rng.choice(["yue", "yue", "en", "mix", "mix"])
        personal, plain, (customer, agent) = TEMPLATES[lang]
        text, spans, sentences, used = "", [], [], set()
        for turn in range(rng.randint(2, 4)):
            is_personal = rng.random() < 0.5
            speaker = customer if is_personal or rng.random() < 0.5 else agent
            start = len(text)
            template = rng.choice([t for t in (personal if is_personal else plain) if t not in used])
            used.add(template)
            body, found = render(template, fake, fake_zh, rng, start + len(speaker))
            text += speaker + body
            spans += found
            sentences.append({"start": start, "end": len(text), "personal": is_personal})
            text += "\n"
        records.append({"id": f"hk-chat-{number:04d}", "lang": lang, "text": text.rstrip("\n"),
                        "spans": spans, "sentences": sentences})
    return records


# -- scoring ------------------------------------------------------------------

def occurs(value: str, text: str) -> bool:
    """value is in text, not as part of a longer Latin word or number."""
    pattern = re.escape(value)
    if value[:1].isascii() and value[:1].isalnum():
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if value[-1:].isascii() and value[-1:].isalnum():
        pattern += r"(?![A-Za-z0-9])"
    return re.search(pattern, text) is not None


def normalize(s: str) -> str:
    """NFKC, lower case, no zero-width characters and no white space."""
    s = unicodedata.normalize("NFKC", s).lower()
    return re.sub(rf"[\s{ZERO_WIDTH}]+", "", s)


def _share(counts: list) -> float | None:
    return round(counts[0] / counts[1], 4) if counts[1] else None


def score(records: list[dict], outputs: dict) -> dict:
    """Survival of personal data, decoys kept and plain sentences changed, for the
    records present in ``outputs`` (id -> anonymized text)."""
    ids = {e: [0, 0] for e in IDENTIFIERS}
    ids_norm = {e: [0, 0] for e in IDENTIFIERS}
    forms: dict = {}
    names: dict = {}
    decoys = {e: [0, 0] for e in DECOYS}
    plain = [0, 0]
    for record in records:
        out = outputs.get(record["id"])
        if out is None:
            continue
        for s in record["spans"]:
            survived = occurs(s["value"], out)
            if s["decoy"]:
                bucket = decoys[s["entity"]]
            elif s["entity"] == "PERSON":
                bucket = names.setdefault(s["kind"], [0, 0])
            else:
                bucket = ids[s["entity"]]
                form = forms.setdefault(s["entity"], {}).setdefault(s["form"], [0, 0])
                form[0] += survived
                form[1] += 1
                norm = ids_norm[s["entity"]]
                norm[0] += survived or normalize(s["value"]) in normalize(out)
                norm[1] += 1
            bucket[0] += survived
            bucket[1] += 1
        for sentence in record["sentences"]:
            if not sentence["personal"]:
                plain[0] += record["text"][sentence["start"]:sentence["end"]] not in out
                plain[1] += 1
    all_names = [sum(v[0] for v in names.values()), sum(v[1] for v in names.values())]
    report = {
        "identifier_survival": {e: _share(v) for e, v in ids.items()},
        "identifier_survival_normalized": {e: _share(v) for e, v in ids_norm.items()},
        "identifier_counts": ids, "forms": forms,
        "name_survival": _share(all_names), "names": all_names,
        "name_survival_by_kind": {k: _share(v) for k, v in sorted(names.items())},
        "name_counts_by_kind": dict(sorted(names.items())),
        "decoys_kept": {e: _share(v) for e, v in decoys.items()}, "decoy_counts": decoys,
        "plain_sentences_changed": _share(plain), "plain_sentences": plain}
    report["targets_met"] = (all(v[0] == 0 for v in ids.values())
                             and (report["plain_sentences_changed"] or 0) <= MAX_CHANGED)
    return report


# -- the run ------------------------------------------------------------------

def _pct(x) -> str:
    return "  -" if x is None else f"{100 * x:.1f} %"


def print_table(report: dict) -> None:
    variants = report["variants"]
    names = list(variants)
    first = variants[names[0]]["score"]
    print(f"HK chats: {report['records']} records, seed {report['seed']},"
          f" {first['plain_sentences'][1]} lines without personal data")
    print(f"{'':38}" + "".join(f"{n:>16}" for n in names))

    def row(label, pick):
        print(f"{label:38}" + "".join(f"{pick(variants[n]['score']):>16}" for n in names))
    for e in IDENTIFIERS:
        row(f"{e} surviving (of {first['identifier_counts'][e][1]})",
            lambda s, e=e: _pct(s["identifier_survival"][e]))
        row("  normalized", lambda s, e=e: _pct(s["identifier_survival_normalized"][e]))
        for form, counts in sorted(first["forms"].get(e, {}).items()):
            row(f"  {form} (of {counts[1]})", lambda s, e=e, f=form: _pct(_share(s["forms"][e][f])))
    row(f"names surviving (of {first['names'][1]})", lambda s: _pct(s["name_survival"]))
    for kind, counts in first["name_counts_by_kind"].items():
        row(f"  {kind} (of {counts[1]})", lambda s, k=kind: _pct(s["name_survival_by_kind"][k]))
    for e in DECOYS:
        row(f"decoy {e} kept (of {first['decoy_counts'][e][1]})", lambda s, e=e: _pct(s["decoys_kept"][e]))
    row("lines without personal data changed", lambda s: _pct(s["plain_sentences_changed"]))
    print(f"{'records/s':38}" + "".join(f"{variants[n]['records_per_s']:>16}" for n in names))
    row("targets (no identifier, <= 10 % lines)", lambda s: "met" if s["targets_met"] else "NOT met")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--policy", type=Path, default=REPO / "policies" / "default.yaml")
    parser.add_argument("--skip-vanilla", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from benchmarks.real_text import (
        DEFAULT_POLICY,
        privenance_engine,
        run_engine,
        vanilla_engine,
        write_output,
    )
    from privenance import versions
    from privenance.errors import ConfigError
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    go_offline()
    try:
        policy = load_policy(args.policy)
    except (ConfigError, OSError) as exc:
        parser.exit(2, f"error: policy {args.policy}: {exc}\n")
    records = generate(args.records, args.seed)
    out_dir = args.results / "hk_corpus"
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "corpus.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    ours = "privenance" if args.policy.resolve() == DEFAULT_POLICY else f"privenance-{args.policy.stem}"
    builders = {} if args.skip_vanilla else {"vanilla": vanilla_engine}
    builders[ours] = lambda: privenance_engine(policy)
    report = {"records": len(records), "seed": args.seed, "code": versions.code(),
              "engines": versions.engines(policy.anonymization.nlp_model,
                                                policy.anonymization.names_model),
              "policy": {"path": str(args.policy), "name": policy.name, "sha256": policy.sha256},
              "variants": {}}
    for name, build in builders.items():
        t0 = time.perf_counter()
        run = build()
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        texts, failed = run_engine(run, records, f"hk {name}")
        seconds = time.perf_counter() - t0
        write_output(out_dir / f"{name}.jsonl", [r["id"] for r in records], texts)
        outputs = {r["id"]: t for r, t in zip(records, texts) if t is not None}
        report["variants"][name] = {"setup_seconds": round(setup, 1), "seconds": round(seconds, 1),
                                    "records_per_s": round(len(records) / seconds, 1),
                                    "failed": failed, "score": score(records, outputs)}
    print_table(report)
    (args.results / "hk_corpus.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
