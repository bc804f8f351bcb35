"""The breaking-change check (`make lint`: `buf breaking`) needs a released proto image to
compare against: protos/releases/v<N>.binpb, cut with `make proto-release VERSION=v<N>`."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import descriptor_pb2

PROTOS = Path(__file__).resolve().parents[2] / "protos"


def test_a_release_image_of_every_service_contract_is_committed() -> None:
    releases = sorted(PROTOS.glob("releases/v*.binpb"))
    assert releases, "no protos/releases/v*.binpb: run `make proto-release VERSION=v1`"
    image = descriptor_pb2.FileDescriptorSet.FromString(releases[-1].read_bytes())
    packages = {f.package for f in image.file}
    for service in ("catalog", "governance", "quality", "notifier", "scheduler"):
        assert f"datacompass.{service}.v1" in packages
    released = {f.name for f in image.file if f.name.startswith("datacompass/")}
    assert released <= {str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto")}
