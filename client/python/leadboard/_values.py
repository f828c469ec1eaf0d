"""Value helpers the adapter and the enrichment mapping share.

The pipelines send loosely typed values (pydantic models, dataclasses, scores
in percent, lists where a string is expected, timestamps without a zone);
these helpers turn them into what the protobuf fields need.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import re
import unicodedata
from typing import Any, Mapping, Optional

from google.protobuf import struct_pb2, timestamp_pb2


def _fold(text: str) -> str:
    """Lower-case, strip accents, collapse separators to single spaces."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())



def parse_timestamp(value: Any) -> Optional[_dt.datetime]:
    """Parses an ISO 8601 string, datetime or Unix time into an aware UTC datetime.

    Values without a zone are taken as UTC. Returns None for empty or
    unparseable values.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = _dt.datetime.fromisoformat(text)
        except ValueError:
            # Python 3.10 rejects fractional seconds that are not 3 or 6 digits.
            m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", text)
            if not m:
                return None
            frac = (m.group(2) + "000000")[:6]
            try:
                dt = _dt.datetime.fromisoformat(f"{m.group(1)}.{frac}{m.group(3)}")
            except ValueError:
                return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return dt.astimezone(_dt.timezone.utc)



def _plain(value: Any) -> Any:
    """Turns pydantic models, dataclasses, enums, datetimes into JSON-like data."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump())
    if hasattr(value, "dict") and callable(value.dict) and hasattr(value, "__fields__"):
        return _plain(value.dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if hasattr(value, "value") and hasattr(value, "name"):  # enum
        return _plain(value.value)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def _text(value: Any, limit: int = 0) -> str:
    """A string for a text field: lists joined by newlines, dicts as JSON, truncated to limit bytes."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)):
        text = "\n".join(_text(v) for v in value)
    elif isinstance(value, Mapping):
        text = json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)
    else:
        text = str(_plain(value))
    if limit and len(text.encode("utf-8")) > limit:
        text = text.encode("utf-8")[: limit - 3].decode("utf-8", "ignore") + "..."
    # The server rejects invalid UTF-8; lone surrogates cannot be encoded.
    return text.encode("utf-8", "replace").decode("utf-8")


def _strings(value: Any) -> list[str]:
    """A list of strings from a list, a single string, or a list of dicts."""
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes)):
        return [_text(value)]
    if isinstance(value, Mapping):
        return [_text(value)]
    out = []
    for item in value:
        if isinstance(item, Mapping):
            # A dict entry: prefer its main text.
            for key in ("text", "description", "question", "name", "title", "value", "url"):
                if item.get(key):
                    out.append(_text(item[key]))
                    break
            else:
                out.append(_text(item))
        elif item is not None and item != "":
            out.append(_text(item))
    return out


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return float(bool(value)) if isinstance(value, bool) else 0.0
    try:
        if isinstance(value, str):
            value = value.strip().rstrip("%").replace(",", ".")
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _score01(value: Any) -> float:
    """A 0..1 score; values given in percent (1 < v <= 100) are scaled down."""
    number = _number(value)
    if 1.0 < number <= 100.0:
        number /= 100.0
    return max(0.0, min(1.0, number))


def _dict(value: Any) -> dict[str, Any]:
    value = _plain(value)
    return value if isinstance(value, dict) else {}


def _first(d: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = d.get(key)
        if value is not None and value != "" and value != []:
            return value
    return None


def _error_of(d: Mapping[str, Any]) -> str:
    return _text(_first(d, "error_message", "error"))


def _to_struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_json_safe(_plain(data)))
    return struct


def _bounded_struct(data: Mapping[str, Any], limit: int) -> struct_pb2.Struct:
    """A Struct of data within limit bytes: the largest values are replaced by a note."""
    plain = _json_safe(_plain(dict(data)))
    struct = _to_struct(plain)
    while struct.ByteSize() > limit and plain:
        sizes = {k: len(_canonical(v)) for k, v in plain.items()}
        key = max(sizes, key=lambda k: sizes[k])
        if isinstance(plain[key], str) and plain[key].startswith("<truncated"):
            plain = {"_truncated": True, "keys": sorted(data)}
            return _to_struct(plain)
        plain[key] = f"<truncated: {sizes[key]} bytes>"
        struct = _to_struct(plain)
    return struct


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _timestamp(dt: _dt.datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def _canonical(value: Any) -> str:
    return json.dumps(_json_safe(_plain(value)), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)

