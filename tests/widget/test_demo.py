"""The sample tenant site of `sahod demo`: its webhook receiver checks Smile-Signature."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import orjson

from sahod.cli import build_parser
from sahod.demo.site import DemoSite, signature_is_valid, smile_signature

BODY = orjson.dumps(
    {"id": "et-1", "version": 1, "type": "ACCOUNT_CONNECTED", "createdAt": "x", "data": {}}
)


def site() -> DemoSite:
    return DemoSite(
        api_url="http://127.0.0.1:1",
        browser_sahod_url="http://127.0.0.1:8000",
        api_key="k",
        api_secret="s",
        webhook_url="http://127.0.0.1:8001/webhook",
        webhook_secret="a little secret",
    )


def test_the_signature_is_hex_hmac_sha512_of_the_raw_body() -> None:
    expected = hmac.new(b"a little secret", BODY, hashlib.sha512).hexdigest()
    assert smile_signature(BODY, "a little secret") == expected
    assert signature_is_valid(BODY, expected, "a little secret")
    assert signature_is_valid(BODY, expected.upper(), "a little secret")
    assert not signature_is_valid(BODY + b" ", expected, "a little secret")
    assert not signature_is_valid(BODY, expected, "another secret")
    assert not signature_is_valid(BODY, None, "a little secret")


async def test_the_receiver_accepts_signed_events_and_refuses_forged_ones() -> None:
    demo = site()
    transport = httpx.ASGITransport(app=demo.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as http:
        good = await http.post(
            "/webhook",
            content=BODY,
            headers={"Smile-Signature": smile_signature(BODY, "a little secret")},
        )
        forged = await http.post(
            "/webhook", content=BODY, headers={"Smile-Signature": smile_signature(BODY, "guess")}
        )
        page = await http.get("/")
    assert good.status_code == 204
    assert forged.status_code == 400
    assert [(e["type"], e["verified"]) for e in demo.received] == [
        ("ACCOUNT_CONNECTED", True),
        ("ACCOUNT_CONNECTED", False),
    ]
    # The page embeds the SDK from Sahod with a script tag, as the Smile documents show.
    assert '<script src="http://127.0.0.1:8000/v2/smile.v2.js"></script>' in page.text


def test_demo_is_a_command() -> None:
    args = build_parser().parse_args(["demo", "--port", "9000", "--site-port", "9001"])
    assert (args.command, args.port, args.site_port) == ("demo", 9000, 9001)
    assert build_parser().parse_args(["demo"]).site_port == 8001
