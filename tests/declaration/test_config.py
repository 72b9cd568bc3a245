"""Loading credential files into Desired: defaults, merging, anchors, semantic checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from spprov.declaration.loader import (
    ConfigError,
    ConfigNotFoundError,
    find_config_files,
    load_desired,
)
from spprov.errors import Location
from spprov.model import App, Credential, Notifications
from spprov.regions import AccountKind, Environment, Region

EXAMPLE = Path(__file__).parents[2] / "examples" / "credentials.yaml"
APPS = """\
version: 1
apps:
  acme:
    application_id: amzn1.sp.solution.a
    client_id: amzn1.application-oa2-client.a
    redirect_uri: https://auth.example.com/cb
"""
US = """\
  - name: acme-us
    seller_central_url: https://sellercentral.amazon.com
    sp_api_endpoint: https://sellingpartnerapi-na.amazon.com
"""


def relative_to(folder: Path) -> Callable[[Path], str]:
    return lambda path: str(path.relative_to(folder))


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_desired(path, relative_to(path if path.is_dir() else path.parent))
    return [str(problem) for problem in caught.value.problems]


def test_example_becomes_desired_state() -> None:
    desired = load_desired(EXAMPLE, relative_to(EXAMPLE.parent))
    assert desired.apps == {"acme": App(
        name="acme", application_id="amzn1.sp.solution.00000000-0000-0000-0000-000000000000",
        client_id="amzn1.application-oa2-client.0123456789abcdef",
        redirect_uri="https://auth.example.com/spapi/callback", draft=False,
        authorization_lifetime_days=365, renewal_window_days=30,
        notifications=Notifications(
            "https://sqs.us-east-1.amazonaws.com/123456789012/spprov-acme", "us-east-1"),
        roles=("Product Listing", "Pricing"))}
    assert desired.apps["acme"].location == Location("credentials.yaml", 7, 3)
    assert [c.name for c in desired.credentials] == ["acme-eu-sandbox", "acme-us",
                                                     "acme-vendor-jp"]
    assert desired.credential("acme-vendor-jp") == Credential(
        name="acme-vendor-jp", app="acme", kind=AccountKind.VENDOR,
        consent_url="https://vendorcentral.amazon.co.jp",
        sp_api_endpoint="https://sellingpartnerapi-fe.amazon.com", region=Region.FE,
        environment=Environment.PRODUCTION, selling_partner_id="A3FHEXAMPLEYWS",
        authorization_version=2)
    sandbox = desired.credential("acme-eu-sandbox")
    assert sandbox is not None and sandbox.environment is Environment.SANDBOX
    assert sandbox.location == Location("credentials.yaml", 25, 5)
    assert sandbox.description is None and sandbox.authorization_version == 1


def test_app_defaults_and_null_lifetime(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(APPS + "    draft: true\n    authorization_lifetime_days: null\n")
    app = load_desired(path).apps["acme"]
    assert (app.draft, app.authorization_lifetime_days, app.renewal_window_days) == \
        (True, None, 30)


def test_folder_merges_apps_and_credentials_across_files(tmp_path: Path) -> None:
    (tmp_path / "apps.yaml").write_text(APPS)
    (tmp_path / "us.yml").write_text("version: 1\ncredentials:\n" + US)
    (tmp_path / "eu.yaml.j2").write_text(
        "version: 1\ncredentials:\n{% for n in ['de', 'fr'] %}  - name: acme-{{ n }}\n"
        "    seller_central_url: https://sellercentral-europe.amazon.com\n"
        "    sp_api_endpoint: https://sellingpartnerapi-eu.amazon.com\n{% endfor %}")
    (tmp_path / "notes.txt").write_text("not a credential file")
    desired = load_desired(tmp_path, relative_to(tmp_path))
    assert [c.name for c in desired.credentials] == ["acme-de", "acme-fr", "acme-us"]
    assert {c.app for c in desired.credentials} == {"acme"}
    fr = desired.credential("acme-fr")
    assert fr is not None and fr.location == Location("eu.yaml.j2", 6, 5)


def test_find_config_files(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "c.yaml.j2", "d.json", "e.yaml.bak"):
        (tmp_path / name).write_text("")
    assert [p.name for p in find_config_files(tmp_path)] == ["a.yml", "b.yaml", "c.yaml.j2"]
    assert find_config_files(tmp_path / "b.yaml") == [tmp_path / "b.yaml"]


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigNotFoundError, match="no credential files"):
        find_config_files(tmp_path)
    with pytest.raises(ConfigNotFoundError, match="no credentials.yaml or credentials/"):
        load_desired(tmp_path / "credentials.yaml")


def test_anchors_merge_keys_and_x_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(APPS + "x-na: &na\n  sp_api_endpoint: https://sellingpartnerapi-na.amazon.com\n"
                    "  description: shared\ncredentials:\n"
                    "  - name: acme-us\n    <<: *na\n    description: own\n"
                    "    seller_central_url: https://sellercentral.amazon.com\n"
                    "  - <<: *na\n    name: acme-ca\n"
                    "    seller_central_url: https://sellercentral.amazon.ca\n")
    desired = load_desired(path)
    us, ca = desired.credential("acme-us"), desired.credential("acme-ca")
    assert us is not None and ca is not None
    assert (us.description, ca.description) == ("own", "shared")
    assert ca.sp_api_endpoint == "https://sellingpartnerapi-na.amazon.com"


def test_error_in_merged_value_points_at_the_anchor(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(APPS + "x-eu: &eu\n  sp_api_endpoint: https://sellingpartnerapi-eu.amazon.com\n"
                    "credentials:\n  - name: acme-us\n    <<: *eu\n"
                    "    seller_central_url: https://sellercentral.amazon.com\n")
    assert problems(path) == [
        "c.yaml:8:3: sp_api_endpoint https://sellingpartnerapi-eu.amazon.com is in region eu, "
        "but seller_central_url https://sellercentral.amazon.com is in region na; did you mean "
        "https://sellingpartnerapi-na.amazon.com?"]


def test_app_is_required_only_with_several_apps(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(APPS + "credentials:\n" + US)
    (tmp_path / "b.yaml").write_text(APPS.replace("acme:", "globex:"))
    assert problems(tmp_path) == [
        "a.yaml:8:5: credential 'acme-us' must name its app (app: ...): 2 apps are declared "
        "(acme, globex)"]
    (tmp_path / "a.yaml").write_text(APPS + "credentials:\n" + US + "    app: globex\n")
    desired = load_desired(tmp_path)
    assert desired.credentials[0].app == "globex"


def test_duplicate_names_name_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(APPS + "credentials:\n" + US)
    (tmp_path / "b.yaml").write_text("version: 1\ncredentials:\n" + US)
    assert problems(tmp_path) == [
        "b.yaml:3:5: credential 'acme-us' is already declared at a.yaml:8:5"]


def test_all_problems_of_all_files_are_reported_sorted(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\ncredentials:\n" + US.replace("acme-us", "A"))
    (tmp_path / "b.yaml").write_text("version: 3\napps: {}\n")
    assert problems(tmp_path) == [
        "a.yaml:3:5: name 'A' is not allowed: use lower-case letters, digits and '-', "
        "starting with a letter or digit, at most 63 characters",
        "b.yaml:1:1: version 3 is not supported: this spprov reads version 1"]


def test_scalars_as_yaml_writes_them(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(APPS + "    authorization_lifetime_days: 0x10\n    renewal_window_days: 1_0\n"
                    "credentials:\n" + US + "    description: 2024-01-01\n")
    desired = load_desired(path)
    assert desired.apps["acme"].authorization_lifetime_days == 16
    assert desired.apps["acme"].renewal_window_days == 10
    assert desired.credentials[0].description == "2024-01-01"


def test_utf8_bom_and_unicode_description(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(("\ufeff" + APPS + "credentials:\n" + US
                      + "    description: Café München 日本\n").encode())
    assert load_desired(path).credentials[0].description == "Café München 日本"
