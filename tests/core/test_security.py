"""Secrets stay secret; TLS verification stays on unless the operator says otherwise."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import sys
from pathlib import Path

import pytest
import trustme

import core
from tests.support.scripted import ScriptedFleet, healthy, status

SECRET = "sk-live-7f3a9c0d1e2b4a6f8e0c2d4b6a8f0e1c"


async def test_the_api_key_goes_only_to_its_supplier_and_nowhere_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[core.Event] = []
    async with ScriptedFleet(
        {"keyed": healthy(), "other": healthy(), "failing": status(500)}
    ) as fleet:
        config = fleet.config(
            supplier_options={
                "keyed": {"api_key_env": "ACME_KEY"},
                "failing": {"api_key_env": "ACME_KEY", "api_key_header": "X-Api-Key"},
            }
        )
        environ = {"ACME_KEY": SECRET}
        async with core.PriceComparator(config, environ=environ) as comparator:
            comparator.events.subscribe(seen.append)
            comparison = await comparator.compare("SKU-1", 1, strategy="all")
    assert fleet.suppliers["keyed"].headers_seen[0]["Authorization"] == f"Bearer {SECRET}"
    assert fleet.suppliers["failing"].headers_seen[0]["X-Api-Key"] == SECRET
    assert all(
        SECRET not in str(v) for h in fleet.suppliers["other"].headers_seen for v in h.values()
    )
    exposed = [
        json.dumps(comparison.to_dict()),
        caplog.text,
        repr(config),
        repr(comparator.engine.destinations),
    ]
    exposed += [repr(event) for event in seen]
    assert not [text for text in exposed if SECRET in text]


async def test_a_missing_key_variable_is_a_config_error_that_names_the_variable_only() -> None:
    config = core.parse_config(
        {"suppliers": [{"name": "a", "url": "http://127.0.0.1:9/quote", "api_key_env": "NOPE_KEY"}]}
    )
    with pytest.raises(core.ConfigError, match="environment variable NOPE_KEY is not set"):
        core.PriceComparator(config, environ={})


async def test_verbose_cli_output_never_shows_the_key(tmp_path: Path) -> None:
    async with ScriptedFleet({"keyed": status(401)}) as fleet:
        supplier = fleet.suppliers["keyed"]
        path = tmp_path / "c.toml"
        path.write_text(
            f'[[suppliers]]\nname = "keyed"\nurl = "{supplier.url}"\napi_key_env = "ACME_KEY"\n'
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gui.launcher",
            "compare",
            "--config",
            str(path),
            "--product",
            "S",
            "--quantity",
            "1",
            "--json",
            "-vv",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"ACME_KEY": SECRET, "PATH": "/usr/bin:/bin"},
        )
        out, err = await process.communicate()
    assert process.returncode == 1
    assert supplier.headers_seen[0]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET.encode() not in out + err
    assert b"HTTP 401" in out


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def test_tls_is_verified_by_default(ca: trustme.CA) -> None:
    async with ScriptedFleet({"tls": healthy()}, ssl_context=server_context(ca)) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            comparison = await comparator.compare("SKU-1", 1)
    result = comparison.suppliers[0]
    assert result.status is core.Status.ERROR
    assert result.error is not None and result.error.startswith("TLS handshake failed")


async def test_a_per_supplier_ca_bundle(ca: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    async with ScriptedFleet({"tls": healthy()}, ssl_context=server_context(ca)) as fleet:
        config = fleet.config(supplier_options={"tls": {"ca_bundle": str(bundle)}})
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-1", 1)
    assert comparison.suppliers[0].status is core.Status.OK


def test_a_ca_bundle_that_is_not_pem_is_a_config_error(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    path = tmp_path / "c.toml"
    path.write_text(
        f'[[suppliers]]\nname = "a"\nurl = "https://127.0.0.1:9/q"\nca_bundle = "{bundle}"\n'
    )
    with pytest.raises(
        core.ConfigError, match=r"suppliers\[0\]\.ca_bundle: .* is not a readable PEM"
    ):
        core.load_config(path)


async def test_an_ssl_cert_file_that_is_not_pem_fails_each_call_with_a_clear_error(
    ca: trustme.CA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bundle = tmp_path / "broken.pem"
    bundle.write_text("not a certificate\n")
    async with ScriptedFleet({"tls": healthy()}, ssl_context=server_context(ca)) as fleet:
        environ = {"SSL_CERT_FILE": str(bundle)}
        async with core.PriceComparator(fleet.config(), environ=environ) as comparator:
            comparison = await comparator.compare("SKU-1", 1)
    result = comparison.suppliers[0]
    assert result.status is core.Status.ERROR
    assert result.error is not None
    assert result.error.startswith(f"cannot load the CA bundle {bundle} (SSL_CERT_FILE): ")
    assert "internal error" not in caplog.text and "Traceback" not in caplog.text


async def test_verify_false_works_but_warns(
    ca: trustme.CA, caplog: pytest.LogCaptureFixture
) -> None:
    async with ScriptedFleet({"tls": healthy()}, ssl_context=server_context(ca)) as fleet:
        config = fleet.config(supplier_options={"tls": {"verify": False}})
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-1", 1)
    assert comparison.suppliers[0].status is core.Status.OK
    assert "TLS verification is OFF for supplier tls" in caplog.text


def test_a_key_pasted_into_api_key_env_is_refused_without_being_repeated(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        f'[[suppliers]]\nname = "a"\nurl = "http://127.0.0.1:9/q"\napi_key_env = "{SECRET}"\n'
    )
    with pytest.raises(core.ConfigError) as caught:
        core.load_config(path)
    assert str(caught.value) == (
        f"{path}: suppliers[0].api_key_env: must be the name of an environment variable "
        "(letters, digits and _), not the key itself"
    )
    assert SECRET not in str(caught.value)


def test_an_unset_key_variable_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[[suppliers]]\nname = "a"\nurl = "http://127.0.0.1:9/q"\napi_key_env = "UNSET_KEY_VAR"\n'
    )
    with pytest.raises(core.ConfigError) as caught:
        core.PriceComparator(core.load_config(path), environ={})
    assert (
        str(caught.value)
        == f"{path}: suppliers[0].api_key_env: environment variable UNSET_KEY_VAR is not set"
    )


def test_a_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        f'[[suppliers]]\nname = "a"\nurl = "https://127.0.0.1:9/q"\nca_bundle = "{tmp_path}/none.pem"\n'
    )
    with pytest.raises(core.ConfigError, match=r"suppliers\[0\]\.ca_bundle: no CA bundle file at"):
        core.load_config(path)


def test_a_key_a_header_cannot_carry_is_refused_without_being_shown() -> None:
    config = core.parse_config(
        {"suppliers": [{"name": "a", "url": "http://127.0.0.1:9/quote", "api_key_env": "K"}]}
    )
    with pytest.raises(core.ConfigError) as caught:
        core.PriceComparator(config, environ={"K": "sk-caf\u00e9\n"})
    assert "environment variable K holds characters an HTTP header cannot carry" in str(
        caught.value
    )
    assert "caf" not in str(caught.value)


async def test_broker_credentials_are_shown_nowhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    password, token = "pw-7f3a9c0d1e2b", "tok-4a6f8e0c2d4b"
    config = core.parse_config(
        {
            "suppliers": [
                {
                    "name": "rabbit",
                    "transport": "amqp",
                    "broker": f"amqp://scott:{password}@127.0.0.1:1/",
                    "queue": "q",
                },
                {
                    "name": "swift",
                    "transport": "nats",
                    "broker": f"nats://{token}@127.0.0.1:1",
                    "subject": "s",
                },
                {"name": "env", "transport": "amqp", "broker_env": "BROKER_URL", "queue": "q"},
            ]
        }
    )
    seen: list[core.Event] = []
    environ = {"BROKER_URL": f"amqp://ann:{password}@127.0.0.1:1/"}
    async with core.PriceComparator(config, environ=environ) as comparator:
        comparator.events.subscribe(seen.append)
        comparison = await comparator.compare("SKU-1", 1, strategy="all")
    assert [s.status for s in comparison.suppliers] == [core.Status.ERROR] * 3
    exposed = [
        json.dumps(comparison.to_dict()),
        caplog.text,
        repr(config),
        repr(comparator.engine.destinations),
        *(core.display_address(s) for s in config.suppliers),
        *(repr(event) for event in seen),
    ]
    assert not [text for text in exposed if password in text or token in text]
