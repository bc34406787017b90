"""Credentials: secrets masked, environment and credentials-file configuration."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from aiocloudocr import (
    AkSkCredentials,
    Client,
    ConfigurationError,
    PasswordCredentials,
    TokenCredentials,
    credentials_from_env,
)

SK = "SKsecretvalue1234567890"
PASSWORD = "hunter2-password"
TOKEN = "MIItokenvalue0123456789"


def test_reprs_mask_every_secret() -> None:
    """No kind of credentials shows its secret in repr."""
    kinds = [
        AkSkCredentials(access_key="AK1", secret_key=SK, security_token=TOKEN),
        PasswordCredentials(username="u", password=PASSWORD, domain="d", project_name="p"),
        TokenCredentials(token=TOKEN),
    ]
    for credentials in kinds:
        text = repr(credentials) + str(credentials)
        assert SK not in text and PASSWORD not in text and TOKEN not in text
        assert "***" in text


def test_credentials_refuse_pickling() -> None:
    """Pickling credentials fails instead of writing the secret into the pickle."""
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(AkSkCredentials(access_key="AK1", secret_key=SK))


def test_keys_are_stripped_and_required() -> None:
    """Surrounding spaces are dropped; an empty key is a configuration error."""
    assert AkSkCredentials(access_key=" AK1 ", secret_key=f"{SK}\n").secret_key == SK
    with pytest.raises(ConfigurationError, match="access_key"):
        AkSkCredentials(access_key=" ", secret_key=SK)


def test_password_credentials_need_a_project() -> None:
    """A password token must be scoped to a project."""
    with pytest.raises(ConfigurationError, match="project_name or project_id"):
        PasswordCredentials(username="u", password=PASSWORD, domain="d")


@pytest.mark.parametrize(
    ("ak_var", "sk_var"),
    [("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"), ("CLOUD_SDK_AK", "CLOUD_SDK_SK")],
)
def test_aksk_from_env(ak_var: str, sk_var: str, tmp_path: Path) -> None:
    """Both the SDK's and the docs' variable names give AK/SK credentials."""
    env = {ak_var: "AK1", sk_var: SK, "HUAWEICLOUD_SDK_CREDENTIALS_FILE": ""}
    credentials = credentials_from_env(env)
    assert isinstance(credentials, AkSkCredentials)
    assert (credentials.access_key, credentials.secret_key) == ("AK1", SK)


def test_security_token_from_env() -> None:
    """Temporary credentials carry the security token."""
    env = {"HUAWEICLOUD_SDK_AK": "AK1", "HUAWEICLOUD_SDK_SK": SK,
           "HUAWEICLOUD_SDK_SECURITY_TOKEN": TOKEN}  # fmt: skip
    credentials = credentials_from_env(env)
    assert isinstance(credentials, AkSkCredentials)
    assert credentials.security_token == TOKEN


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"HUAWEICLOUD_SDK_AK": "AK1"}, "HUAWEICLOUD_SDK_SK or CLOUD_SDK_SK"),
        ({"CLOUD_SDK_SK": SK}, "HUAWEICLOUD_SDK_AK or CLOUD_SDK_AK"),
        ({"AIOCLOUDOCR_USERNAME": "u", "AIOCLOUDOCR_PASSWORD": PASSWORD}, "AIOCLOUDOCR_DOMAIN"),
        (
            {"AIOCLOUDOCR_USERNAME": "u", "AIOCLOUDOCR_PASSWORD": PASSWORD,
             "AIOCLOUDOCR_DOMAIN": "d"},
            "AIOCLOUDOCR_PROJECT_NAME",
        ),
    ],
)  # fmt: skip
def test_half_set_env_names_what_is_missing(env: dict[str, str], missing: str) -> None:
    """A half-set configuration raises one error naming the missing variables."""
    with pytest.raises(ConfigurationError) as info:
        credentials_from_env(env)
    assert missing in str(info.value)
    assert SK not in str(info.value) and PASSWORD not in str(info.value)


def test_nothing_set_lists_the_options(tmp_path: Path) -> None:
    """With no configuration at all, the error lists every way to configure credentials."""
    env = {"HOME": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="HUAWEICLOUD_SDK_AK") as info:
        credentials_from_env(env, credentials_file=None)
    assert "AIOCLOUDOCR_TOKEN" in str(info.value)


def test_password_and_token_from_env() -> None:
    """Password variables give password credentials; a token variable gives a token."""
    env = {"AIOCLOUDOCR_USERNAME": "u", "AIOCLOUDOCR_PASSWORD": PASSWORD,
           "AIOCLOUDOCR_DOMAIN": "d", "HUAWEICLOUD_SDK_PROJECT_ID": "p1"}  # fmt: skip
    password = credentials_from_env(env)
    assert isinstance(password, PasswordCredentials) and password.project_id == "p1"
    token = credentials_from_env({"AIOCLOUDOCR_TOKEN": TOKEN})
    assert isinstance(token, TokenCredentials) and token.token == TOKEN


def test_credentials_file(tmp_path: Path) -> None:
    """The SDK's INI credentials file is read when no variables are set."""
    path = tmp_path / "credentials"
    path.write_text(f"[basic]\nak = AKFILE\nsk = {SK}\nproject_id = pfile\n")
    credentials = credentials_from_env({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)})
    assert isinstance(credentials, AkSkCredentials) and credentials.access_key == "AKFILE"


def test_credentials_file_half_set(tmp_path: Path) -> None:
    """A credentials file without sk says so."""
    path = tmp_path / "credentials"
    path.write_text("[basic]\nak = AKFILE\n")
    with pytest.raises(ConfigurationError, match=r"\[basic\] sk is missing"):
        credentials_from_env({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)})


async def test_client_from_env_reads_region_endpoint_and_project() -> None:
    """Client.from_env takes region, endpoint and project id from the environment."""
    env = {"HUAWEICLOUD_SDK_AK": "AK1", "HUAWEICLOUD_SDK_SK": SK,
           "HUAWEICLOUD_SDK_REGION": "ap-southeast-1", "HUAWEICLOUD_SDK_PROJECT_ID": "p1",
           "HUAWEICLOUD_SDK_IAM_ENDPOINT": "https://iam.example.test"}  # fmt: skip
    async with Client.from_env(env) as client:
        assert client.region == "ap-southeast-1"
        assert await client.project_id() == "p1"
        assert str(client.endpoint("ocr")) == "https://ocr.ap-southeast-1.myhuaweicloud.com/"
        assert str(client.endpoint("iam")) == "https://iam.example.test/"
        assert SK not in repr(client)
