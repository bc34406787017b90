"""Lenient result parsing: an odd or missing field never costs the caller a paid answer."""

from __future__ import annotations

import copy
import importlib
import json
import math
import pkgutil
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import attrs
import pytest

import aiocloudocr.models
from aiocloudocr.models.converter import parse_result
from aiocloudocr.models.image_tagging import ImageTaggingResult
from aiocloudocr.models.image_tagging_v1 import ImageTaggingV1Result
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardResult
from aiocloudocr.models.thailand_id_card import ThailandIdCardResult
from aiocloudocr.models.vision_v1 import EnhancedImageResult
from aiocloudocr.models.web_image import WebImageResult

EXAMPLES = Path(__file__).parent / "models" / "seed_examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))["result"]


def test_web_image_block_without_words() -> None:
    """A Web Image block missing ``words`` gets words None; the rest of the answer is kept."""
    payload = example("web_image_response_success")
    sent = copy.deepcopy(payload)
    del payload["words_block_list"][1]["words"]
    result = parse_result(payload, WebImageResult)
    assert [block.words for block in result.words_block_list] == [
        "Text block 1",
        None,
        "Text block 3",
    ]
    assert result.words_block_list[1].confidence == 0.991
    assert result.words_block_list[1].location == ((13, 476), (91, 332), (125, 351), (48, 494))
    assert result.words_block_count == 3
    assert result.raw == payload
    assert payload != sent


@pytest.mark.parametrize(("sent", "read"), [("37.51", 37.51), ("high", None), ("", None)])
def test_tag_confidence_strings(sent: str, read: float | None) -> None:
    """v2 confidences are documented Strings: numeric ones become floats, others None."""
    payload = example("image_tagging_response_success")
    payload["tags"][0]["confidence"] = sent
    payload["tags"][0]["instances"][0]["confidence"] = sent
    result = parse_result(payload, ImageTaggingResult)
    tag = result.tags[0]
    assert tag.confidence == read
    assert tag.instances[0].confidence == read
    assert tag.tag == "Person"
    assert tag.i18n_tag is not None and tag.i18n_tag.en == "person"
    assert result.raw["tags"][0]["confidence"] == sent


def test_v1_tag_confidence_and_missing_tag() -> None:
    """A v1 tag with a non-numeric confidence or no name keeps its other fields."""
    payload = {"tags": [{"confidence": "n/a", "tag": "cat"}, {"confidence": 70, "type": "scene"}]}
    result = parse_result(payload, ImageTaggingV1Result)
    assert [(tag.tag, tag.confidence) for tag in result.tags] == [("cat", None), (None, 70.0)]


def test_bounding_box_with_a_side_missing() -> None:
    """A bounding box missing a side keeps the sides it has."""
    payload = example("image_tagging_response_success")
    del payload["tags"][0]["instances"][0]["bounding_box"]["width"]
    box = parse_result(payload, ImageTaggingResult).tags[0].instances[0].bounding_box
    assert box is not None
    assert box.width is None
    assert box.height == 133.32496056189905


def test_confidence_map_reads_numeric_strings_and_drops_the_rest() -> None:
    """Card confidences (0-1) sent as strings are read; non-numbers are left out."""
    payload = example("thailand_id_card_response_back")
    payload["confidence"] = {"id_number": "0.9999", "laser_number": "low", "card_number": 1}
    result = parse_result(payload, ThailandIdCardResult)
    assert result.confidence == {"id_number": 0.9999, "card_number": 1.0}
    assert result.laser_number == "XXXX-XXXXXXX-XX"


@pytest.mark.parametrize(
    "location", [[[1, 2], [3]], "13,476", [["x", 1]], {"x": 1}, [[1, 2], "34"], None]
)
def test_bad_locations(location: Any) -> None:
    """A malformed vertex list is dropped whole: () for a block, None for a portrait."""
    block = {"words": "Text block 1", "location": location}
    result = parse_result({"words_block_list": [block]}, WebImageResult)
    assert result.words_block_list[0].location == ()
    card = parse_result({"portrait_location": location}, ThailandIdCardResult)
    assert card.portrait_location is None


def test_numbers_sent_as_strings() -> None:
    """Integers and coordinates sent as numeric strings are read as numbers."""
    payload = {
        "words_block_count": "1",
        "words_block_list": [{"words": "a", "confidence": "0.5", "location": [["1", "2"]]}],
        "extracted_data": {"image_size": {"height": "480", "width": 640.0}},
    }
    result = parse_result(payload, WebImageResult)
    assert result.words_block_count == 1
    assert result.words_block_list[0].confidence == 0.5
    assert result.words_block_list[0].location == ((1, 2),)
    assert result.extracted_data is not None and result.extracted_data.image_size is not None
    assert (result.extracted_data.image_size.height, result.extracted_data.image_size.width) == (
        480,
        640,
    )


def test_lists_and_objects_of_the_wrong_kind() -> None:
    """A list that is not a list is empty; items and objects that are not objects are skipped."""
    assert parse_result({"tags": "cat"}, ImageTaggingResult).tags == ()
    tags = parse_result({"tags": ["cat", {"tag": "dog"}, None]}, ImageTaggingResult).tags
    assert [tag.tag for tag in tags] == ["dog"]
    myanmar = parse_result({"translation_info": "n/a", "class": 2}, MyanmarIdCardResult)
    assert (myanmar.translation_info, myanmar.class_) == (None, "2")


def test_font_lists_stay_aligned() -> None:
    """Font names and scores are all-or-nothing, so they stay index-aligned."""
    block = {"words": "a", "font_list": ["Song", 3], "font_scores": ["0.9", "x"]}
    read = parse_result({"words_block_list": [block]}, WebImageResult).words_block_list[0]
    assert (read.font_list, read.font_scores) == (None, None)
    block = {"words": "a", "font_list": ["Song", "Hei"], "font_scores": [0.9, "0.1"]}
    read = parse_result({"words_block_list": [block]}, WebImageResult).words_block_list[0]
    assert (read.font_list, read.font_scores) == (("Song", "Hei"), (0.9, 0.1))


@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_a_result_that_is_not_an_object_still_fails(payload: Any) -> None:
    """Leniency stops at the overall shape: a ``result`` that is not an object raises."""
    with pytest.raises(TypeError):
        parse_result(payload, WebImageResult)


def _records() -> list[type[Any]]:
    # Every attrs record of the models package that reads JSON objects (it has ``extra``).
    found: dict[str, type[Any]] = {}
    for info in pkgutil.iter_modules(aiocloudocr.models.__path__):
        module = importlib.import_module(f"aiocloudocr.models.{info.name}")
        for value in vars(module).values():
            if attrs.has(value) and "extra" in attrs.fields_dict(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    # The one result whose JSON is a base64 string, not an object: its reading stays strict.
    found.pop(f"{EnhancedImageResult.__module__}.EnhancedImageResult")
    return [found[name] for name in sorted(found)]


RECORDS = _records()
ODD_VALUES: list[Any] = [None, "", "abc", "12", 12, 1.5, True, [], [1], [[1, 2]], {}, {"a": 1}]
ODD_VALUES += [float("nan"), 10**400, "1e999", [["a", "b"]]]


def _conforms(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is of the declared type (finite floats only)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any:
        return True
    if annotation is type(None):
        return value is None
    if origin in (Union, types.UnionType):
        return any(_conforms(value, arg) for arg in args)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is ...:
            return all(_conforms(item, args[0]) for item in value)
        return len(value) == len(args) and all(map(_conforms, value, args))
    if origin is Mapping:
        return isinstance(value, Mapping) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if annotation is float:
        return type(value) is float and math.isfinite(value)
    if annotation in (int, str, bytes):
        return type(value) is annotation
    return isinstance(value, annotation)


def _json_fields(record: type[Any]) -> list[tuple[str, str, Any]]:
    hints = get_type_hints(record)
    return [
        (field.metadata.get("json_key", field.name), field.name, hints[field.name])
        for field in attrs.fields(record)
        if field.name not in ("extra", "raw", "meta")
    ]


def test_every_record_is_found() -> None:
    """The sweep below covers every result and nested record (a guard on its discovery)."""
    names = {record.__name__ for record in RECORDS}
    assert {"WebImageWordsBlock", "Tag", "BoundingBox", "ImageTaggingV1Tag"} <= names
    assert {"ThailandIdCardResult", "EmiratesIdCardResult", "BgmRecognitionResult"} <= names


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record.__name__)
def test_every_field_is_optional(record: type[Any]) -> None:
    """Every record parses from an empty object: no field is required."""
    result = parse_result({}, record)
    for _, name, annotation in _json_fields(record):
        assert _conforms(getattr(result, name), annotation), name


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record.__name__)
def test_odd_values_never_raise(record: type[Any]) -> None:
    """Any JSON value in any field parses to a value of the field's declared type."""
    for key, name, annotation in _json_fields(record):
        for value in ODD_VALUES:
            result = parse_result({key: value}, record)
            read = getattr(result, name)
            assert _conforms(read, annotation), (key, value, read)
            assert result.extra == {}
