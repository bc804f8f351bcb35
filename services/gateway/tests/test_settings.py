"""Gateway settings refuse a bootstrap admin key anyone could guess (the service does not
start); unset stays allowed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway_service.config import GatewaySettings


@pytest.mark.parametrize("key", ["admin", "changeme-123", "a" * 40, "abababababababababab"])
def test_a_weak_bootstrap_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="DATACOMPASS_BOOTSTRAP_ADMIN_KEY is too weak"):
        GatewaySettings(bootstrap_admin_key=key)


def test_a_strong_or_no_bootstrap_key_is_accepted() -> None:
    assert GatewaySettings(bootstrap_admin_key=None).bootstrap_admin_key is None
    assert GatewaySettings(bootstrap_admin_key="").bootstrap_admin_key is not None
    assert GatewaySettings(bootstrap_admin_key="test-bootstrap-admin-key").bootstrap_admin_key
