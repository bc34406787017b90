"""Myanmar ID Card OCR (seed 004): field checks and a card that is a function of the image."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours import _cards
from aiocloudocr.emulator._behaviours._fields import optional_bool
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "TIFF"}), min_side=15, max_side=8192, max_bytes=10 * MB
)
FLAGS = ("convert_unicode", "return_confidence", "return_portrait_image",
         "return_portrait_location", "return_idcard_type", "return_translation")  # fmt: skip

BURMESE_DIGITS = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")
# (Burmese, Latin transcription): names as the translation_info example writes them.
NAMES = (("မစန္ဒာဖြိုး", "Ma Sandar Phyo"), ("မောင်အောင်ကျော်", "Maung Aung Kyaw"),
         ("ဒေါ်ခင်မြင့်", "Daw Khin Myint"), ("ကိုဇော်ဝင်း", "Ko Zaw Win"))  # fmt: skip
FATHERS = (("ဦးသိန်းဖေ", "U Thein Pe"), ("ဦးထွန်းလင်း", "U Tun Lin"), ("ဦးမြင့်ဆွေ", "U Myint Swe"))
TOWNSHIPS = (("မခန", "MaKhaNa"), ("ဥကမ", "OuKaMa"), ("ပဗတ", "PaBaTa"), ("ရကန", "YaKaNa"))
RELIGIONS = ("ဗမာ၊ဗုဒ္ဓ", "ရှမ်း၊ဗုဒ္ဓ", "ကရင်၊ခရစ်")
BLOOD_GROUPS = ("အေ", "ဘီ", "အို", "အေဘီ")
PROFESSIONS = ("ကျောင်းသား", "ဆရာ", "ကုန်သည်", "အင်ဂျင်နီယာ")
ADDRESSES = ("အမှတ် ၁၂၊ ဗိုလ်ချုပ်လမ်း၊ ရန်ကုန်", "အမှတ် ၄၅၊ ၈၄ လမ်း၊ မန္တလေး")
# The card versions of the example; the documented options list did not survive extraction.
CLASSES = ("new_version",)


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """The six documented flags are booleans ("a non-Boolean value ... is invalid")."""
    for name in FLAGS:
        optional_bool(body, name, codes.invalid)


def _burmese(text: str) -> str:
    return text.translate(BURMESE_DIGITS)


def _front(dice: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
    name, name_latin = _cards.pick(dice, NAMES)
    father, father_latin = _cards.pick(dice, FATHERS)
    township, township_latin = _cards.pick(dice, TOWNSHIPS)
    region, number = dice.randint(1, 14), _cards.digits(dice, 6)
    born = _cards.date_between(dice, 1950, 2005)
    issued = _cards.date_between(dice, 2005, 2023)
    birth = f"{born.day}.{born.month}.{born.year}"
    fields = {
        "nrc_id": _burmese(f"{region}/") + township + "(နိုင်)" + _burmese(number),
        "issue_date": _burmese(f"{issued.day}.{issued.month}.{issued.year}"),
        "name": name,
        "father_name": father,
        "birth": _burmese(birth),
        "bloodlines_religion": _cards.pick(dice, RELIGIONS),
        "height": _burmese(f"{dice.randint(4, 6)}'{dice.randint(0, 11)}\""),
        "blood_group": _cards.pick(dice, BLOOD_GROUPS),
    }
    translation = {
        "name_translation": name_latin,
        "father_name_translation": father_latin,
        "birth_translation": birth,
        "nrc_id_translation": f"{region}/{township_latin}(N){number}",
    }
    return fields, translation


def _back(dice: random.Random) -> dict[str, Any]:
    return {
        "card_id": _cards.letters(dice, 2) + _cards.digits(dice, 6),
        "nrc_id_back": "",  # empty in the documented example of a back
        "profession": _cards.pick(dice, PROFESSIONS),
        "address": _cards.pick(dice, ADDRESSES),
    }


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """The fields of the detected side; confidence, portrait, type and translation on request.

    ``convert_unicode`` is accepted but the text is always Unicode: Zawgyi differs only in
    the code points it reuses, which no test of a client can tell from a fake card.
    """
    side = _cards.detected_side(image)
    dice = _cards.rng(image, "myanmar:" + side)
    if side == "front":
        fields, translation = _front(dice)
    else:
        fields, translation = _back(dice), {}
    result: dict[str, Any] = {"side": side, **fields, "class": _cards.pick(dice, CLASSES)}
    if body.get("return_confidence") is True:
        # The confidence table has no father_name entry; its example has none either.
        scored = {name: value for name, value in fields.items() if name != "father_name"}
        result["confidence"] = {name: round(dice.uniform(0.5, 1.0), 4) for name in scored}
    _cards.add_portrait(result, body, image)
    if body.get("return_idcard_type") is True:
        result["idcard_type"] = "normal"
    if body.get("return_translation") is True and translation:
        result["translation_info"] = translation
    return {"result": result}
