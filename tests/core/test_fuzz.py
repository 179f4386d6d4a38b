"""Hypothesis fuzzing: whatever arrives, only our own typed errors come out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core

REQUEST = core.PriceRequest("SKU-1", 3)
CODEC = core.QuoteCodec()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=6)
    ),
    max_leaves=20,
)

GOOD = {
    "supplier_id": "s",
    "product_id": "SKU-1",
    "unit_price": 2.0,
    "total_price": 6.0,
    "currency": "EUR",
    "valid_until": "2026-12-31T00:00:00",
    "in_stock": True,
    "delivery_days": 2,
}


def decode(raw: bytes) -> None:
    try:
        quote = CODEC.decode(raw, REQUEST, "cid")
    except core.InvalidReplyError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert quote.product_id == "SKU-1" and quote.total_price > 0 and quote.unit_price > 0


@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    decode(raw)


@given(json_values)
def test_random_json(value: Any) -> None:
    decode(json.dumps(value).encode())


@given(st.dictionaries(st.sampled_from(sorted(GOOD)), json_values, max_size=8))
def test_good_replies_with_fields_replaced(changes: dict[str, Any]) -> None:
    decode(json.dumps({**GOOD, **changes}).encode())


@given(st.sampled_from(sorted(GOOD)))
def test_any_missing_field_is_invalid(field: str) -> None:
    reply = {k: v for k, v in GOOD.items() if k != field}
    with pytest.raises(core.InvalidReplyError, match=field):
        CODEC.decode(json.dumps(reply).encode(), REQUEST, "cid")


toml_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
supplier_tables = st.dictionaries(
    st.sampled_from(
        ["name", "url", "timeout", "enabled", "transport", "verify", "api_key_env", "colour"]
    ),
    toml_scalars,
    max_size=6,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "defaults": st.dictionaries(
            st.sampled_from(
                ["timeout", "supplier_timeout", "strategy", "min_responses", "quorum", "retries"]
            ),
            toml_scalars,
            max_size=5,
        ),
        "breaker": st.dictionaries(
            st.sampled_from(["open_seconds", "window_size", "failure_rate"]),
            toml_scalars,
            max_size=3,
        ),
        "suppliers": st.lists(supplier_tables, max_size=3),
        "extra": toml_scalars,
    },
)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(documents)
def test_config_documents(tmp_path: Path, document: dict[str, Any]) -> None:
    try:
        config = core.parse_config(_drop_none(document), "fuzz.toml")
    except core.ConfigError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml: ") and "\n" not in message
    else:
        assert config.suppliers


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=100)
@given(st.text(max_size=200))
def test_config_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(text.encode("utf-8", "replace"))
    try:
        core.load_config(path)
    except core.ConfigError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"delivery_days": 10**30}, "delivery_days: Input should be less than or equal to"),
        ({"currency": "\x1b[31mEUR\r"}, "currency: String should match"),
        ({"supplier_id": "s\x1b[2J"}, "supplier_id: String should match"),
    ],
)
def test_values_a_terminal_or_the_database_cannot_take_are_invalid(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(core.InvalidReplyError, match=message.replace(".", r"\.")):
        CODEC.decode(json.dumps({**GOOD, **changes}).encode(), REQUEST, "cid")
