"""Write sp_api_models.json from a checkout of github.com/amzn/selling-partner-api-models.

    python tests/emulator/data/extract_models.py PATH/TO/selling-partner-api-models > \
        tests/emulator/data/sp_api_models.json

Only what the emulator's tests check is kept: for each operation the emulator serves, the
body definition of each answer, the headers the model lists for it, the request body's
definition and the static sandbox answers; definitions keep their types and required
fields (descriptions and examples are dropped).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

MODELS = {
    "sellers_v1": ("models/sellers-api-model/sellers.json", "v1", {
        "getMarketplaceParticipations": ("get", "/sellers/v1/marketplaceParticipations")}),
    "applications_2023_11_30": (
        "models/application-management-api-model/application_2023-11-30.json", "2023-11-30", {
            "rotateApplicationClientSecret": ("post", "/applications/2023-11-30/clientSecret")}),
    "notifications_v1": ("models/notifications-api-model/notifications.json", "v1", {
        "getDestinations": ("get", "/notifications/v1/destinations"),
        "createDestination": ("post", "/notifications/v1/destinations"),
        "getSubscription": ("get", "/notifications/v1/subscriptions/{notificationType}"),
        "createSubscription": ("post", "/notifications/v1/subscriptions/{notificationType}"),
        "deleteSubscriptionById": (
            "delete", "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}")}),
}
KEPT = ("type", "required", "properties", "items", "$ref", "enum", "additionalProperties", "allOf")


def _name(schema: dict[str, Any] | None) -> str | None:
    return None if schema is None else str(schema["$ref"]).rsplit("/", 1)[1]


def _strip(schema: Any) -> Any:
    if isinstance(schema, dict):
        kept = {k: v for k, v in schema.items() if k in KEPT}
        if "properties" in kept:
            kept["properties"] = {k: _strip(v) for k, v in kept["properties"].items()}
        if isinstance(kept.get("items"), dict):
            kept["items"] = _strip(kept["items"])
        if "allOf" in kept:
            kept["allOf"] = [_strip(part) for part in kept["allOf"]]
        return kept
    return schema


def _referenced(names: set[str], definitions: dict[str, Any]) -> set[str]:
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        text = json.dumps(definitions[name])
        todo += [part.split('"')[0] for part in text.split('"#/definitions/')[1:]]
    return found


def extract(checkout: Path, commit: str) -> dict[str, Any]:
    """The JSON document, from the model files at ``commit`` of ``checkout``."""
    out: dict[str, Any] = {"$comment": (
        "The parts of Amazon's published SP-API models that the emulator answers with "
        "(tests/emulator/data/extract_models.py). Derived from "
        f"github.com/amzn/selling-partner-api-models at commit {commit}, files "
        + ", ".join(source for source, _, _ in MODELS.values()) + ".")}
    for key, (source, version, operations) in MODELS.items():
        model = json.loads(subprocess.check_output(
            ["git", "-C", str(checkout), "show", f"{commit}:{source}"]))
        entry: dict[str, Any] = {"source": source, "version": version, "responses": {},
                                 "headers": {}, "requests": {}, "sandbox": {}}
        names: set[str] = set()
        for operation, (method, path) in operations.items():
            spec = model["paths"][path][method]
            entry["responses"][operation] = {
                status: _name(answer.get("schema")) for status, answer in spec["responses"].items()}
            entry["headers"][operation] = {
                status: sorted(answer.get("headers", {})) for status, answer in
                spec["responses"].items()}
            body = next((p for p in spec.get("parameters", []) if p.get("in") == "body"), None)
            entry["requests"][operation] = _name(body["schema"]) if body else None
            entry["sandbox"][operation] = {
                status: [case["response"] for case in
                         answer.get("x-amzn-api-sandbox", {}).get("static", [])]
                for status, answer in spec["responses"].items()
                if answer.get("x-amzn-api-sandbox")}
            names |= {n for n in entry["responses"][operation].values() if n}
            names |= {entry["requests"][operation]} - {None}
        definitions = model["definitions"]
        entry["definitions"] = {name: _strip(definitions[name])
                                for name in sorted(_referenced(names, definitions))}
        out[key] = entry
    return out


if __name__ == "__main__":
    checkout = Path(sys.argv[1])
    commit = subprocess.check_output(["git", "-C", str(checkout), "rev-parse", "HEAD"],
                                     text=True).strip()
    print(json.dumps(extract(checkout, commit), indent=2))
