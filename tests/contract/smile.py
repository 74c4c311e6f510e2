"""Validation of our responses against the Smile contract (kept beside this file)."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

CONTRACT = Path(__file__).resolve().parent / "smile-openapi-v1.14.0.yaml"
CONTRACT_URI = "urn:smile-contract"


@lru_cache(maxsize=1)
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CONTRACT.read_text())
    schemas = document["components"]["schemas"]
    # The one documented difference we follow the seed on (contract/README.md): the
    # Accounts seed shows monitor.updatedAt null until the monitor status first changes.
    schemas["Account"]["properties"]["monitor"]["properties"]["updatedAt"] = {
        "type": "string",
        "format": "date-time",
        "nullable": True,
    }
    # The issue asks for a null nextCursor on the last page; the contract types it as a
    # plain string. Null is what a client paging "while nextCursor" expects (README).
    schemas["ObjectNextCursor"]["nullable"] = True
    # A Started task has not finished: the contract's own List Tasks example shows
    # `finishedAt: null` for it, which its Task schema (a plain RefDateTime) does not allow.
    schemas["Task"]["properties"]["finishedAt"] = {
        "type": "string",
        "format": "date-time",
        "nullable": True,
    }
    # And 415 UNSUPPORTED_TYPE, in the Smile documents' error table but not this enum.
    schemas["ObjectMetadataRefCode"]["enum"].append("UNSUPPORTED_TYPE")
    return document


@lru_cache(maxsize=1)
def _registry() -> Registry:  # type: ignore[type-arg]
    resource = Resource(contents=contract(), specification=DRAFT4)
    return Registry().with_resource(CONTRACT_URI, resource)


def _absolute_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Point the contract's local ``#/components/…`` refs at the registered document."""
    text = json.dumps(schema).replace('"$ref": "#/', f'"$ref": "{CONTRACT_URI}#/')
    result: dict[str, Any] = json.loads(text)
    return result


def _operation(path: str, method: str) -> dict[str, Any]:
    for template, item in contract()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            operation: dict[str, Any] = item[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not in the Smile contract")


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    """The contract's schema for this response. An error status the contract does not
    list for this path uses its Standard-Errors schema: every error shares one envelope."""
    responses = _operation(path, method)["responses"]
    response = responses.get(str(status))
    if response is None and status >= 400:
        response = {"$ref": "#/components/responses/Standard-Errors"}
    assert response is not None, f"{method} {path} has no {status} in the contract"
    if "$ref" in response:
        response = contract()["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return _absolute_refs(copy.deepcopy(response["content"]["application/json"]["schema"]))


def contract_errors(path: str, method: str, status: int, body: Any) -> list[str]:
    """Every way ``body`` breaks the contract's schema for this response (empty: none)."""
    validator = OAS30Validator(
        response_schema(path, method, status),
        registry=_registry(),
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def schema_errors(schema_name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks the contract's components/schemas/<schema_name>."""
    schema = _absolute_refs({"$ref": f"#/components/schemas/{schema_name}"})
    validator = OAS30Validator(
        schema, registry=_registry(), format_checker=OAS30Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]
