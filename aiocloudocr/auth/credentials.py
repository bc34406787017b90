"""The three kinds of credentials, and reading them from the environment.

Credentials are frozen records whose ``repr`` masks every secret. They refuse to be pickled:
a pickle would carry the secret to wherever the bytes go; workers should build their own
credentials (for example with :func:`credentials_from_env`).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import attrs

from aiocloudocr.errors import ConfigurationError

MASK = "***"


def _mask(value: object) -> str:
    return MASK if value else repr(value)


def _strip(value: str) -> str:
    # A stray space around a key is the commonest AK/SK mistake the docs warn about.
    return value.strip()


def _non_empty(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value:
        raise ConfigurationError(f"{type(instance).__name__}.{attribute.name} must not be empty")


class _NoPickle:
    def __reduce__(self) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled, so secrets never land in a pickle; "
            "build credentials in each process (e.g. credentials_from_env())"
        )


@attrs.frozen(kw_only=True)
class AkSkCredentials(_NoPickle):
    """An access key pair; every request is signed with SDK-HMAC-SHA256.

    ``security_token`` is set for temporary credentials and is sent as X-Security-Token.
    """

    access_key: str = attrs.field(converter=_strip, validator=_non_empty)
    secret_key: str = attrs.field(converter=_strip, validator=_non_empty, repr=_mask)
    security_token: str | None = attrs.field(default=None, repr=_mask)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown."""
        return tuple(s for s in (self.secret_key, self.security_token) if s)


@attrs.frozen(kw_only=True)
class PasswordCredentials(_NoPickle):
    """An IAM user's password; the client obtains and caches a project-scoped token.

    ``domain`` is the account name. Scope the token with ``project_id`` or ``project_name``
    (a region name such as ``ap-southeast-1`` is the default project's name).
    """

    username: str = attrs.field(validator=_non_empty)
    password: str = attrs.field(validator=_non_empty, repr=_mask)
    domain: str = attrs.field(validator=_non_empty)
    project_name: str | None = None
    project_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if not (self.project_name or self.project_id):
            raise ConfigurationError(
                "PasswordCredentials needs project_name or project_id to scope the token"
            )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown."""
        return (self.password,)


@attrs.frozen(kw_only=True)
class TokenCredentials(_NoPickle):
    """A ready IAM token, sent as X-Auth-Token as it is (never refreshed)."""

    token: str = attrs.field(converter=_strip, validator=_non_empty, repr=_mask)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown."""
        return (self.token,)


Credentials = AkSkCredentials | PasswordCredentials | TokenCredentials

# Environment variable names: the official SDK's first, then the API docs' examples.
AK_VARS = ("HUAWEICLOUD_SDK_AK", "CLOUD_SDK_AK")
SK_VARS = ("HUAWEICLOUD_SDK_SK", "CLOUD_SDK_SK")
SECURITY_TOKEN_VARS = ("HUAWEICLOUD_SDK_SECURITY_TOKEN",)
PASSWORD_VARS = {
    "username": "AIOCLOUDOCR_USERNAME",
    "password": "AIOCLOUDOCR_PASSWORD",
    "domain": "AIOCLOUDOCR_DOMAIN",
}
PROJECT_NAME_VAR = "AIOCLOUDOCR_PROJECT_NAME"
PROJECT_ID_VARS = ("HUAWEICLOUD_SDK_PROJECT_ID", "AIOCLOUDOCR_PROJECT_ID")
TOKEN_VAR = "AIOCLOUDOCR_TOKEN"  # noqa: S105 (a variable name)
CREDENTIALS_FILE_VAR = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def credentials_from_env(
    environ: Mapping[str, str] | None = None, *, credentials_file: str | None = None
) -> Credentials:
    """Build credentials from environment variables, else the SDK's credentials file.

    AK/SK (``HUAWEICLOUD_SDK_AK``/``_SK`` or ``CLOUD_SDK_AK``/``_SK``, optional
    ``HUAWEICLOUD_SDK_SECURITY_TOKEN``) win over an IAM password (``AIOCLOUDOCR_USERNAME``,
    ``_PASSWORD``, ``_DOMAIN`` and ``AIOCLOUDOCR_PROJECT_NAME`` or a project id variable),
    which wins over a ready token (``AIOCLOUDOCR_TOKEN``). A half-set group raises
    :class:`ConfigurationError` naming what is missing.
    """
    env = os.environ if environ is None else environ
    ak, sk = _first(env, AK_VARS), _first(env, SK_VARS)
    if ak or sk:
        if not (ak and sk):
            missing = " or ".join(SK_VARS if ak else AK_VARS)
            raise ConfigurationError(f"AK/SK credentials are half set: {missing} is missing")
        return AkSkCredentials(
            access_key=ak, secret_key=sk, security_token=_first(env, SECURITY_TOKEN_VARS)
        )
    given = {key: env.get(name, "").strip() for key, name in PASSWORD_VARS.items()}
    if any(given.values()):
        missing_vars = [PASSWORD_VARS[k] for k, v in given.items() if not v]
        project_id = _first(env, PROJECT_ID_VARS)
        project_name = env.get(PROJECT_NAME_VAR, "").strip() or None
        if not (project_id or project_name):
            missing_vars.append(f"{PROJECT_NAME_VAR} (or {PROJECT_ID_VARS[0]})")
        if missing_vars:
            raise ConfigurationError(
                f"IAM password credentials are half set: {', '.join(missing_vars)} missing"
            )
        return PasswordCredentials(
            username=given["username"],
            password=given["password"],
            domain=given["domain"],
            project_name=project_name,
            project_id=project_id,
        )
    token = env.get(TOKEN_VAR, "").strip()
    if token:
        return TokenCredentials(token=token)
    from_file = _credentials_from_file(env, credentials_file)
    if from_file is not None:
        return from_file
    raise ConfigurationError(
        "no credentials found: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or CLOUD_SDK_AK "
        "and CLOUD_SDK_SK), or AIOCLOUDOCR_USERNAME, AIOCLOUDOCR_PASSWORD, AIOCLOUDOCR_DOMAIN "
        "and AIOCLOUDOCR_PROJECT_NAME, or AIOCLOUDOCR_TOKEN, or write ~/.huaweicloud/credentials"
    )


def credentials_file_path(environ: Mapping[str, str], explicit: str | None = None) -> Path:
    """Where the SDK's INI credentials file is looked for."""
    if explicit:
        return Path(explicit)
    configured = environ.get(CREDENTIALS_FILE_VAR, "").strip()
    return Path(configured) if configured else Path.home() / ".huaweicloud" / "credentials"


def _credentials_from_file(
    environ: Mapping[str, str], explicit: str | None
) -> AkSkCredentials | None:
    path = credentials_file_path(environ, explicit)
    if not path.is_file():
        if explicit or environ.get(CREDENTIALS_FILE_VAR):
            raise ConfigurationError(f"credentials file {str(path)!r} does not exist")
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigurationError(
            f"credentials file {str(path)!r} is not valid INI: {exc.message}"
        ) from None
    if not parser.has_section("basic"):
        raise ConfigurationError(f"credentials file {str(path)!r} has no [basic] section")
    section = parser["basic"]
    ak, sk = section.get("ak", "").strip(), section.get("sk", "").strip()
    if not (ak and sk):
        missing = "sk" if ak else "ak"
        raise ConfigurationError(f"credentials file {str(path)!r}: [basic] {missing} is missing")
    return AkSkCredentials(
        access_key=ak, secret_key=sk, security_token=section.get("security_token") or None
    )


def project_id_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The project id from the environment, or from the credentials file's [basic] section."""
    env = os.environ if environ is None else environ
    value = _first(env, PROJECT_ID_VARS)
    if value:
        return value
    path = credentials_file_path(env)
    if path.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error:
            return None
        if parser.has_section("basic"):
            return parser["basic"].get("project_id", "").strip() or None
    return None
