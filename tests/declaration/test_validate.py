"""`spprov validate` and `spprov render` as a user runs them: exact messages, exit codes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from spprov import regions
from tests.declarations import ACME_APP
from tests.fixtures_cli import RunSpprov

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples"
BAD_INPUTS = HERE / "bad_inputs"

APP = ACME_APP + "credentials:\n"

# One row per file (or folder) of tests/declaration/bad_inputs: the exact stderr line(s) it gives.
# binary.yaml and latin1.yaml are committed bytes; the huge file is made by its own test.
EXPECTED: list[tuple[str, str]] = [
    ('alias_bomb.yaml',
     'alias_bomb.yaml:1:1: aliases expand to 490329066 values (at most 100060 '
     'allowed); is this an alias bomb?'),
    ('app_missing_with_two_apps.yaml',
     "app_missing_with_two_apps.yaml:12:5: credential 'acme-us' must name its app "
     '(app: ...): 2 apps are declared (acme, globex)'),
    ('app_name_upper_case.yaml',
     "app_name_upper_case.yaml:3:3: app name 'Acme' is not allowed: use lower-case "
     "letters, digits and '-', starting with a letter or digit, at most 63 characters"),
    ('authorization_version_zero.yaml',
     'authorization_version_zero.yaml:11:5: authorization_version must be at least 1, '
     'not 0'),
    ('bad_merge.yaml',
     "bad_merge.yaml:8:9: a merge key '<<' takes a mapping or a list of mappings "
     '(e.g. <<: *defaults)'),
    ('binary.yaml',
     'binary.yaml:1:1: a binary file, not YAML text'),
    ('both_consent_urls.yaml',
     "both_consent_urls.yaml:8:5: credential 'acme-us' has both seller_central_url "
     'and vendor_central_url; keep the one where the selling partner signs in'),
    ('comments_only.yaml',
     'comments_only.yaml:1:1: the file is empty; a credential file is a mapping that '
     "starts with 'version: 1'"),
    ('country_domain_de.yaml',
     "country_domain_de.yaml:9:5: seller_central_url 'https://sellercentral.amazon.de' is "
     "not a Seller Central URL; did you mean 'https://sellercentral-europe.amazon.com' "
     '(Seller Central for Germany, region eu)?'),
    ('credential_not_mapping.yaml',
     'credential_not_mapping.yaml:8:5: each credential must be a mapping, not the '
     "string 'acme-us'"),
    ('deep_nesting.yaml',
     'deep_nesting.yaml:2:43: nesting deeper than 64 levels'),
    ('description_enc.yaml',
     "description_enc.yaml:9:5: description 'ENC[AES256_GCM,data:'... starts with ENC[, "
     'which marks an encrypted value in a state file, so it would not be read back as '
     'written: reword it'),
    ('description_too_long.yaml',
     'description_too_long.yaml:9:5: description is 10001 characters long; a state file '
     'stores at most 10000: shorten it'),
    ('duplicate_apps_across_files',
     "duplicate_apps_across_files/b.yaml:3:3: app 'acme' is already declared at "
     'duplicate_apps_across_files/a.yaml:3:3'),
    ('duplicate_key.yaml',
     "duplicate_key.yaml:11:5: duplicate key 'sp_api_endpoint' (first at line 10, "
     'column 5)'),
    ('duplicate_name_same_file.yaml',
     "duplicate_name_same_file.yaml:11:5: credential 'acme-us' is already declared at "
     'duplicate_name_same_file.yaml:8:5'),
    ('duplicate_names_across_files',
     "duplicate_names_across_files/b.yaml:3:5: credential 'acme-us' is already "
     'declared at duplicate_names_across_files/a.yaml:8:5'),
    ('empty.yaml',
     'empty.yaml:1:1: the file is empty; a credential file is a mapping that starts '
     "with 'version: 1'"),
    ('endpoint_is_lwa.yaml',
     'endpoint_is_lwa.yaml:10:5: sp_api_endpoint '
     "'https://api.amazon.com/auth/o2/token' is the LWA token endpoint, not an SP-API "
     'endpoint; use https://sellingpartnerapi-REGION.amazon.com or '
     'https://sandbox.sellingpartnerapi-REGION.amazon.com, REGION na, eu or fe'),
    ('indent_deeper.yaml',
     'indent_deeper.yaml:5:15: YAML syntax error: mapping values are not allowed in this '
     'context; check the indentation of this line and the one above (keys of one mapping '
     'start in the same column, with spaces)'),
    ('indent_shallower.yaml',
     "indent_shallower.yaml:10:4: YAML syntax error: did not find expected '-' indicator "
     'while parsing a block collection; check the indentation of this line and the one '
     'above (keys of one mapping start in the same column, with spaces)'),
    ('latin1.yaml',
     'latin1.yaml:2:12: not UTF-8 text (byte 0xe9)'),
    ('missing_endpoint.yaml',
     "missing_endpoint.yaml:8:5: credential 'acme-us' is missing sp_api_endpoint"),
    ('missing_version.yaml',
     "missing_version.yaml:1:1: missing 'version'; a credential file is a mapping "
     "that starts with 'version: 1'"),
    ('multi_document.yaml',
     "multi_document.yaml:7:1: more than one YAML document ('---'); write one "
     'document per file'),
    ('name_slash.yaml',
     "name_slash.yaml:8:5: name 'a/b' is not allowed: use lower-case letters, digits "
     "and '-', starting with a letter or digit, at most 63 characters"),
    ('name_too_long.yaml',
     'name_too_long.yaml:8:5: name '
     "'aaaaaaaaaaaaaaaaaaaa'... is not "
     "allowed: use lower-case letters, digits and '-', starting with a letter or "
     'digit, at most 63 characters'),
    ('name_trailing_newline.yaml',
     "name_trailing_newline.yaml:8:5: name 'acme\\n' is not allowed: use lower-case "
     "letters, digits and '-', starting with a letter or digit, at most 63 characters"),
    ('name_traversal.yaml',
     "name_traversal.yaml:8:5: name '../etc' is not allowed: use lower-case letters, "
     "digits and '-', starting with a letter or digit, at most 63 characters"),
    ('name_upper_case.yaml',
     "name_upper_case.yaml:8:5: name 'Acme-US' is not allowed: use lower-case "
     "letters, digits and '-', starting with a letter or digit, at most 63 characters"),
    ('near_miss_http.yaml',
     "near_miss_http.yaml:9:5: seller_central_url 'http://sellercentral.amazon.com' "
     "is not a Seller Central URL; did you mean 'https://sellercentral.amazon.com'?"),
    ('near_miss_path_upper_case.yaml',
     'near_miss_path_upper_case.yaml:9:5: seller_central_url '
     "'https://SellerCentral.Amazon.co.jp/home' is not a Seller Central URL; did you "
     "mean 'https://sellercentral.amazon.co.jp'?"),
    ('near_miss_trailing_slash.yaml',
     'near_miss_trailing_slash.yaml:9:5: seller_central_url '
     "'https://sellercentral.amazon.com/' is not a Seller Central URL; did you mean "
     "'https://sellercentral.amazon.com'?"),
    ('negative_lifetime.yaml',
     'negative_lifetime.yaml:7:5: authorization_lifetime_days must be at least 0, not '
     '-1'),
    ('neither_apps_nor_credentials.yaml',
     'neither_apps_nor_credentials.yaml:1:1: the file declares neither apps nor '
     'credentials; write at least one of them'),
    ('no_app_declared.yaml',
     "no_app_declared.yaml:3:5: credential 'acme-us' names no app and no app is "
     "declared; add one under 'apps'"),
    ('non_string_key.yaml',
     "non_string_key.yaml:7:5: key 'yes' is not a string (YAML reads it as "
     'true/false); quote it'),
    ('recursive_alias.yaml',
     'recursive_alias.yaml:2:9: an alias refers to its own anchor (recursive '
     'structure)'),
    ('redirect_http.yaml',
     "redirect_http.yaml:6:5: redirect_uri 'http://auth.example.com/spapi/callback' "
     'is not allowed: use an https URL (http only for loopback 127.0.0.1, localhost '
     'or [::1])'),
    ('region_mismatch.yaml',
     'region_mismatch.yaml:10:5: sp_api_endpoint '
     'https://sellingpartnerapi-eu.amazon.com is in region eu, but seller_central_url '
     'https://sellercentral.amazon.com is in region na; did you mean '
     'https://sellingpartnerapi-na.amazon.com?'),
    ('relay_callback_mismatch.yaml',
     "relay_callback_mismatch.yaml:6:5: redirect_uri "
     "'https://relay.example.com/spapi/callback' must be https://relay.example.com/callback "
     "because the app declares relay https://relay.example.com: Amazon returns the seller "
     "to the relay; register https://relay.example.com/callback with the app and declare it "
     "here"),
    ('relay_http.yaml',
     "relay_http.yaml:7:5: relay 'http://relay.example.com' is not allowed: use the relay's "
     "https base URL, without query or fragment (http only for loopback 127.0.0.1, "
     "localhost or [::1])"),
    ('rendered_schema_error.yaml.j2',
     'rendered_schema_error.yaml.j2:15:5: (rendered line) sp_api_endpoint '
     'https://sellingpartnerapi-eu.amazon.com is in region eu, but seller_central_url '
     'https://sellercentral.amazon.com is in region na; did you mean '
     'https://sellingpartnerapi-na.amazon.com?'),
    ('sandbox_escape.yaml.j2',
     "sandbox_escape.yaml.j2:2:1: template error: access to attribute '__class__' of "
     "'str' object is unsafe (templates run in a sandbox)"),
    ('sandbox_typo_endpoint.yaml',
     "sandbox_typo_endpoint.yaml:10:5: sp_api_endpoint "
     "'https://sandbox-sellingpartnerapi-eu.amazon.com' is not an SP-API endpoint; did you "
     "mean 'https://sandbox.sellingpartnerapi-eu.amazon.com' (region eu, like the consent "
     'URL)?'),
    ('secret_client_secret.yaml',
     "secret_client_secret.yaml:6:5: key 'client_secret' is for a secret, and secrets "
     "are not allowed here: the app's LWA client secret never goes in a credential "
     'file: set the environment variable SPPROV_APP_<APP>_CLIENT_SECRET or run '
     '`spprov app set-secret APP`'),
    ('secret_in_x_key.yaml',
     "secret_in_x_key.yaml:3:3: note looks like an LWA client secret; the app's LWA "
     'client secret never goes in a credential file: set the environment variable '
     'SPPROV_APP_<APP>_CLIENT_SECRET or run `spprov app set-secret APP`'),
    ('secret_password_key.yaml',
     "secret_password_key.yaml:11:5: key 'lwa_password' is for a secret, and secrets "
     "are not allowed here: the app's LWA client secret never goes in a credential "
     'file: set the environment variable SPPROV_APP_<APP>_CLIENT_SECRET or run '
     '`spprov app set-secret APP`'),
    ('secret_refresh_token_key.yaml',
     "secret_refresh_token_key.yaml:11:5: key 'refresh_token' is for a secret, and "
     'secrets are not allowed here: refresh tokens never go in a credential file: run '
     '`spprov authorize NAME`, or `spprov authorize NAME --refresh-token-stdin` to '
     'import a self-authorized one'),
    ('secret_refresh_token_value.yaml',
     'secret_refresh_token_value.yaml:11:5: description looks like a refresh token; '
     'refresh tokens never go in a credential file: run `spprov authorize NAME`, or '
     '`spprov authorize NAME --refresh-token-stdin` to import a self-authorized one'),
    ('seller_host_as_vendor.yaml',
     "seller_host_as_vendor.yaml:9:5: vendor_central_url 'https://sellercentral.amazon.de' "
     "is a Seller Central address; write it as seller_central_url "
     "'https://sellercentral-europe.amazon.com' (Seller Central for Germany, region eu)"),
    ('sqs_queue_url_foreign_host.yaml',
     "sqs_queue_url_foreign_host.yaml:9:7: sqs_queue_url "
     "'https://sqs.us-east-1.amazonaws.com.evil.example/12345678901'... is not an SQS queue "
     "URL: use https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon's SQS only)"),
    ('sqs_region_mismatch.yaml',
     "sqs_region_mismatch.yaml:9:7: aws_region 'us-east-1' is not the region of "
     "sqs_queue_url (eu-west-1); make them the same"),
    ('tab_indent.yaml',
     'tab_indent.yaml:9:1: a tab character: YAML indents with spaces only'),
    ('template_syntax.yaml.j2',
     'template_syntax.yaml.j2:2:1: template syntax error: Unexpected end of template. '
     "Jinja was looking for the following tags: 'endfor' or 'else'. The innermost "
     "block that needs to be closed is 'for'."),
    ('top_level_list.yaml',
     'top_level_list.yaml:1:1: the top level is a list; a credential file is a '
     "mapping that starts with 'version: 1'"),
    ('undefined_variable.yaml.j2',
     "undefined_variable.yaml.j2:8:1: template error: 'account' is undefined"),
    ('unknown_app.yaml',
     "unknown_app.yaml:11:5: credential 'acme-us' uses app 'acme-eu', which is not "
     "declared; did you mean 'acme'?"),
    ('unknown_key.yaml',
     "unknown_key.yaml:9:5: unknown key 'seller_centrl_url' in credential 'acme-us'; "
     "did you mean 'seller_central_url'?"),
    ('unset_env.yaml.j2',
     "unset_env.yaml.j2:4:1: env('SPPROV_VAR_ACME_APPLICATION_ID'): environment variable "
     'SPPROV_VAR_ACME_APPLICATION_ID is not set; set it, or give a default: '
     "env('SPPROV_VAR_ACME_APPLICATION_ID', 'value')"),
    ('unsupported_tag.yaml',
     'unsupported_tag.yaml:2:8: unsupported YAML tag !!python/object/apply:os.system'),
    ('vendor_country_domain.yaml',
     "vendor_country_domain.yaml:9:5: vendor_central_url 'https://vendorcentral.amazon.sg' "
     "is not a Vendor Central URL; did you mean 'https://vendorcentral.amazon.com.sg' "
     '(Vendor Central for Singapore, region fe)?'),
    ('vendor_url_as_seller.yaml',
     'vendor_url_as_seller.yaml:9:5: seller_central_url '
     "'https://vendorcentral.amazon.de' is a Vendor Central URL; write it as "
     'vendor_central_url'),
    ('wrong_type.yaml',
     "wrong_type.yaml:7:5: draft must be true or false, not the string 'yes'"),
    ('wrong_version.yaml',
     'wrong_version.yaml:1:1: version 2 is not supported: this spprov reads version 1'),
    ('yaml_syntax.yaml',
     "yaml_syntax.yaml:9:1: YAML syntax error: did not find expected ',' or ']' while "
     'parsing a flow sequence'),
]


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_bad_input_is_in_the_table() -> None:
    assert {path.name for path in BAD_INPUTS.iterdir()} == {name for name, _ in EXPECTED}
    assert len({name for name, _ in EXPECTED}) >= 20


def test_bad_inputs_give_exact_messages_and_write_nothing(spprov: RunSpprov,
                                                           tmp_path: Path) -> None:
    corpus = tmp_path / "bad_inputs"
    shutil.copytree(BAD_INPUTS, corpus)
    before = _tree(tmp_path)
    names = sorted({name for name, _ in EXPECTED})
    result = spprov("validate", *names, cwd=corpus)
    assert result.code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [line for _, line in EXPECTED]
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("name", ["empty.yaml", "region_mismatch.yaml", "sandbox_escape.yaml.j2",
                                  "duplicate_names_across_files"])
def test_one_bad_input_alone_exits_1(spprov: RunSpprov, name: str) -> None:
    result = spprov("-C", str(BAD_INPUTS), "validate", name)
    assert result.code == 1
    assert result.stderr.splitlines() == [line for key, line in EXPECTED if key == name]


def test_huge_file_is_refused_before_parsing(spprov: RunSpprov, tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_text("version: 1\nx-padding: '" + "a" * (10 * 1024 * 1024) + "'\n")
    result = spprov("validate", "huge.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr == ("huge.yaml:1:1: the file is larger than 10 MB (10485785 bytes); "
                             "split it into several files in a credentials/ folder\n")


def test_valid_example_prints_one_summary_line(spprov: RunSpprov) -> None:
    result = spprov("validate", "examples/credentials.yaml", cwd=EXAMPLES.parent)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == "valid: 3 credentials, 1 app (examples/credentials.yaml)\n"


def test_demo_example_is_valid(spprov: RunSpprov) -> None:
    result = spprov("-C", str(EXAMPLES / "demo"), "validate")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == "valid: 3 credentials, 1 app (credentials.yaml)\n"


def test_default_is_credentials_folder_when_no_file(spprov: RunSpprov, tmp_path: Path) -> None:
    folder = tmp_path / "credentials"
    folder.mkdir()
    (folder / "apps.yaml").write_text(APP.replace("credentials:\n", ""))
    (folder / "us.yml").write_text(
        "version: 1\ncredentials:\n  - name: acme-us\n"
        "    seller_central_url: https://sellercentral.amazon.com\n"
        "    sp_api_endpoint: https://sellingpartnerapi-na.amazon.com\n")
    result = spprov("validate", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == "valid: 1 credential, 1 app (credentials/)\n"


def test_missing_config_says_what_was_looked_for(spprov: RunSpprov, tmp_path: Path) -> None:
    result = spprov("validate", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr == ("spprov: no credentials.yaml or credentials/ folder in the current "
                             "folder; run `spprov init` to create one, or pass --config PATH\n")


def test_missing_path_argument(spprov: RunSpprov, tmp_path: Path) -> None:
    result = spprov("validate", "nope.yaml", cwd=tmp_path)
    assert (result.code, result.stderr) == (1, "spprov: nope.yaml: no such file or folder\n")


def test_config_option_is_used(spprov: RunSpprov) -> None:
    result = spprov("-C", str(EXAMPLES.parent), "--config", "examples/demo/credentials.yaml",
                    "validate")
    assert result.stdout == "valid: 3 credentials, 1 app (examples/demo/credentials.yaml)\n"


def _matrix_files(folder: Path) -> dict[str, tuple[str, str, str]]:
    """One file per (consent URL, endpoint) pair: name -> (key, url, endpoint)."""
    cases: dict[str, tuple[str, str, str]] = {}
    tables = (("seller_central_url", regions.SELLER_CENTRAL_URLS),
              ("vendor_central_url", regions.VENDOR_CENTRAL_URLS))
    for key, table in tables:
        for url in table:
            for endpoint in regions.ENDPOINTS:
                name = f"case{len(cases):03d}.yaml"
                (folder / name).write_text(
                    APP + f"  - name: c\n    {key}: {url}\n    sp_api_endpoint: {endpoint.url}\n")
                cases[name] = (key, url, endpoint.url)
    return cases


def test_every_consent_url_against_every_endpoint(spprov: RunSpprov, tmp_path: Path) -> None:
    cases = _matrix_files(tmp_path)
    result = spprov("validate", *cases, cwd=tmp_path)
    valid, invalid = set(), {}
    for line in result.stdout.splitlines():
        valid.add(line.rsplit("(", 1)[1].rstrip(")"))
    for line in result.stderr.splitlines():
        invalid[line.split(":", 1)[0]] = line
    for name, (key, url, endpoint_url) in cases.items():
        consent_region = regions.consent_region(url)
        endpoint = regions.endpoint(endpoint_url)
        assert endpoint is not None and consent_region is not None
        if endpoint.region is consent_region:
            assert name in valid
        else:
            assert invalid[name] == (
                f"{name}:10:5: sp_api_endpoint {endpoint_url} is in region {endpoint.region}, "
                f"but {key} {url} is in region {consent_region}; did you mean "
                f"{regions.endpoint_for(consent_region, endpoint.environment).url}?")
    assert len(valid) + len(invalid) == len(cases)
    assert result.code == 1


# Each country's own domain, mistyped as a consent URL: the answer is its region's portal,
# never a look-alike of another country (sellercentral.amazon.de once suggested .se).
COUNTRY_DOMAINS = [
    ("seller_central_url", "https://sellercentral.amazon.de", "Germany", "eu",
     "https://sellercentral-europe.amazon.com"),
    ("seller_central_url", "https://sellercentral.amazon.fr", "France", "eu",
     "https://sellercentral-europe.amazon.com"),
    ("seller_central_url", "https://sellercentral.amazon.it", "Italy", "eu",
     "https://sellercentral-europe.amazon.com"),
    ("seller_central_url", "https://sellercentral.amazon.es", "Spain", "eu",
     "https://sellercentral-europe.amazon.com"),
    ("seller_central_url", "https://sellercentral.amazon.co.uk", "United Kingdom", "eu",
     "https://sellercentral-europe.amazon.com"),
    ("seller_central_url", "https://sellercentral.amazon.jp", "Japan", "fe",
     "https://sellercentral.amazon.co.jp"),
    ("seller_central_url", "http://SellerCentral.Amazon.uk/home", "United Kingdom", "eu",
     "https://sellercentral-europe.amazon.com"),
    ("seller_central_url", "https://sellercentral.amazon.com.sg", "Singapore", "fe",
     "https://sellercentral.amazon.sg"),
    ("vendor_central_url", "https://vendorcentral.amazon.sa", "Saudi Arabia", "eu",
     "https://vendorcentral.amazon.me"),
    ("vendor_central_url", "https://vendorcentral.amazon.jp", "Japan", "fe",
     "https://vendorcentral.amazon.co.jp"),
]


@pytest.mark.parametrize(("key", "typed", "country", "region", "right"), COUNTRY_DOMAINS)
def test_country_domain_suggests_its_regions_portal(spprov: RunSpprov, tmp_path: Path, key: str,
                                                     typed: str, country: str, region: str,
                                                     right: str) -> None:
    endpoint = f"https://sellingpartnerapi-{region}.amazon.com"
    (tmp_path / "c.yaml").write_text(
        APP + f"  - name: c\n    {key}: {typed}\n    sp_api_endpoint: {endpoint}\n")
    result = spprov("validate", "c.yaml", cwd=tmp_path)
    portal = "Seller Central" if key == "seller_central_url" else "Vendor Central"
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (f"c.yaml:9:5: {key} {typed!r} is not a {portal} URL; did you mean "
                             f"{right!r} ({portal} for {country}, region {region})?\n")


def test_render_prints_rendered_text(spprov: RunSpprov, tmp_path: Path) -> None:
    (tmp_path / "c.yaml.j2").write_text(
        "version: 1\n{% for r in ['na', 'eu'] %}# {{ r }} {{ env('ACME_ID') }}\n{% endfor %}")
    result = spprov("render", "c.yaml.j2", cwd=tmp_path, env={"ACME_ID": "42",
                                                               "SPPROV_TEMPLATE_ENV": "ACME_ID"})
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == "version: 1\n# na 42\n# eu 42\n"


def test_render_error_is_one_line_with_template_line(spprov: RunSpprov, tmp_path: Path) -> None:
    (tmp_path / "c.yaml.j2").write_text("version: 1\n\n{{ nope }}\n")
    result = spprov("render", "c.yaml.j2", cwd=tmp_path)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == "c.yaml.j2:3:1: template error: 'nope' is undefined\n"


def test_render_missing_file(spprov: RunSpprov, tmp_path: Path) -> None:
    result = spprov("render", "none.yaml.j2", cwd=tmp_path)
    assert (result.code, result.stderr) == (1, "spprov: none.yaml.j2: no such file\n")
