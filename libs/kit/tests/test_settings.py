from __future__ import annotations

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dckit.settings import SHARED_NAMES, BackendSettings, to_asyncpg_url


class KitSettings(BackendSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_KITTEST_", extra="ignore", populate_by_name=True
    )
    api_token: SecretStr = SecretStr("")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SHARED_NAMES, "api_token", "grpc_port"):
        monkeypatch.delenv(f"DATACOMPASS_{name}".upper(), raising=False)
        monkeypatch.delenv(f"DATACOMPASS_KITTEST_{name}".upper(), raising=False)


def test_defaults() -> None:
    s = KitSettings.from_env()
    assert s.nats_url == "nats://127.0.0.1:4222"
    assert s.database_url.get_secret_value().startswith("postgresql+asyncpg://")


def test_service_prefixed_wins_over_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("DATACOMPASS_KITTEST_NATS_URL", "nats://own:4222")
    monkeypatch.setenv("DATACOMPASS_DATABASE_URL", "postgresql://u@shared/db")
    monkeypatch.setenv("DATACOMPASS_KITTEST_DATABASE_URL", "postgresql://u@own/db")
    s = KitSettings.from_env()
    assert s.nats_url == "nats://own:4222"
    assert s.database_url.get_secret_value() == "postgresql+asyncpg://u@own/db"


def test_unprefixed_shared_names_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("DATACOMPASS_NATS_STREAM", "STREAM_X")
    monkeypatch.setenv("DATACOMPASS_EVENT_SUBJECT_PREFIX", "pfx")
    monkeypatch.setenv("DATACOMPASS_LOG_LEVEL", "debug")
    monkeypatch.setenv("DATACOMPASS_DATABASE_URL", "postgresql://u@shared/db")
    s = KitSettings.from_env()
    assert s.nats_url == "nats://shared:4222"
    assert s.nats_stream == "STREAM_X"
    assert s.event_subject_prefix == "pfx"
    assert s.log_level == "debug"
    assert s.database_url.get_secret_value() == "postgresql+asyncpg://u@shared/db"


def test_non_shared_names_need_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_GRPC_PORT", "1111")
    assert KitSettings.from_env().grpc_port == 50051
    monkeypatch.setenv("DATACOMPASS_KITTEST_GRPC_PORT", "2222")
    assert KitSettings.from_env().grpc_port == 2222


def test_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_KITTEST_NATS_URL", "nats://own:4222")
    s = KitSettings.from_env(nats_url="nats://override:1", database_url="postgres://x@h/d")
    assert s.nats_url == "nats://override:1"
    assert s.database_url.get_secret_value() == "postgresql+asyncpg://x@h/d"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
    ],
)
def test_postgres_urls_normalised(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    assert to_asyncpg_url(url) == expected
    monkeypatch.setenv("DATACOMPASS_DATABASE_URL", url)
    assert KitSettings.from_env().database_url.get_secret_value() == expected


def test_secrets_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_DATABASE_URL", "postgres://admin:pg-s3cret@db/app")
    monkeypatch.setenv("DATACOMPASS_KITTEST_API_TOKEN", "tok-s3cret")
    s = KitSettings.from_env()
    assert s.api_token.get_secret_value() == "tok-s3cret"
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "pg-s3cret" not in text
        assert "tok-s3cret" not in text
