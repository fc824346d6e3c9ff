"""The body of POST /api/v1/issues, checked field by field: every bad field named at once, in the
words DRF's fields use, so the API answers as its other endpoints do.

By hand rather than by a DRF serializer, with the measured reason: a serializer deep-copies its
declared fields for every request, and building and running them was 0.7 ms of the ~5 ms of
Python in each report (benchmarks/intake.py, cProfile). triage.api.ReportSerializer still
documents these fields in the API schema; a test keeps the two in step (REPORT_FIELDS).
"""

import math
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from accounts.services import normalise_phone
from triage.category_cache import category_for_intake
from triage.intake import InvalidReport
from triage.models import Channel

REQUIRED = "This field is required."
TEXT_LIMITS = {"description": 5000, "address": 255, "reporter_name": 150, "reporter_phone": 30,
               "reporter_email": 254, "media_url": 200}
CHANNELS = [channel.value for channel in Channel if channel != Channel.IMPORT]
REPORT_FIELDS = ("category", "lat", "lon", *TEXT_LIMITS, "answers", "channel")

_email = EmailValidator(message="Enter a valid email address.")
_url = URLValidator(message="Enter a valid URL.")


def parse_report_body(data) -> dict:
    """The report's fields, cleaned (category as the Category, texts trimmed, phone in E.164);
    raises InvalidReport with a list of messages for each bad field."""
    if not isinstance(data, Mapping):
        raise InvalidReport({"non_field_errors": [f"Expected an object of the report's fields, not {type(data).__name__}."]})
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        try:
            clean[name] = _number(data, name, low, high)
        except ValueError as exc:
            errors[name] = [str(exc)]
    for name, limit in TEXT_LIMITS.items():
        try:
            clean[name] = _text(data, name, limit)
        except ValueError as exc:
            errors[name] = [str(exc)]
    answers = data.get("answers", {})
    if hasattr(data, "getlist"):  # a form (DRF's browsable API): answers come as answers.<code> fields
        answers = {key.removeprefix("answers."): data.get(key) for key in data if key.startswith("answers.")}
    if isinstance(answers, Mapping):
        clean["answers"] = dict(answers)
    else:
        errors["answers"] = [f'Expected a dictionary of items but got type "{type(answers).__name__}".']
    channel = data.get("channel")
    if channel is not None and channel not in CHANNELS:
        errors["channel"] = [f'"{channel}" is not a valid choice.']
    clean["channel"] = channel

    for name, check in (("reporter_email", _email), ("media_url", _url)):
        if clean.get(name):
            try:
                check(clean[name])
            except ValidationError as exc:
                errors[name] = list(exc.messages)
    if clean.get("reporter_phone"):
        try:
            clean["reporter_phone"] = normalise_phone(clean["reporter_phone"])
        except ValueError as exc:
            errors["reporter_phone"] = [f"{exc}."]
    try:
        clean["category"] = _category(data)
    except ValueError as exc:
        errors["category"] = [str(exc)]
    if errors:
        raise InvalidReport(errors)
    return clean


def _category(data):
    raw = data.get("category")
    if raw is None:
        raise ValueError(REQUIRED if "category" not in data else "This field may not be null.")
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError("A valid integer is required.") from None
    category = category_for_intake(value) if 0 < value < 2**63 else None
    if category is None:
        raise ValueError(f"No category has the id {value}.")
    return category


def _number(data, name: str, low: float, high: float) -> float:
    raw = data.get(name)
    if raw is None:
        raise ValueError(REQUIRED if name not in data else "This field may not be null.")
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(str(raw).strip())
    except ValueError:
        raise ValueError("A valid number is required.") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError("A valid number is required.")
    if value < low:
        raise ValueError(f"Ensure this value is greater than or equal to {low}.")
    if value > high:
        raise ValueError(f"Ensure this value is less than or equal to {high}.")
    return value


def _text(data, name: str, limit: int) -> str:
    raw = data.get(name, "")
    if raw is None:
        raise ValueError("This field may not be null.")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError("Not a valid string.")
    text = str(raw).strip()
    if len(text) > limit:
        raise ValueError(f"Ensure this field has no more than {limit} characters.")
    return text
