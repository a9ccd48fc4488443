"""Download the schema packages and build each stand-in's schema into the cache (make tf-tools).

Usage: .venv-tf/bin/python -m tests.support.tf_standin.install CACHE_DIR

Writes CACHE_DIR/npm/<tarball> (kept, so reruns need no network) and, per provider,
CACHE_DIR/schemas/<name>.json (Terraform's `providers schema -json` shape, deltas applied) and
CACHE_DIR/schemas/<name>.pb (the GetProviderSchema answer the stand-in sends as it is).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import pathlib
import subprocess
import sys

from tests.support.tf_standin import providers, schema_from_cdktf, schema_pb


def download(stand_in: providers.StandIn, npm_dir: pathlib.Path) -> pathlib.Path:
    """The package's tarball, fetched with `npm pack` unless already there, integrity checked."""
    tarball = npm_dir / stand_in.tarball
    if not tarball.exists():
        npm_dir.mkdir(parents=True, exist_ok=True)
        spec = f"{stand_in.package}@{stand_in.package_version}"
        subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(npm_dir)],
            check=True,
            stdout=subprocess.DEVNULL,  # npm names the tarball there; main() reports instead
        )
    algorithm, expected = stand_in.integrity.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        tarball.unlink()
        raise SystemExit(f"{tarball.name}: integrity {digest} is not the pinned {expected}")
    return tarball


def apply_deltas(schema: dict, deltas) -> dict:
    """A copy of `schema` with each (resource, attribute path, change) applied; fails if stale."""
    schema = copy.deepcopy(schema)
    for resource, path, change in deltas:
        block = schema["resource_schemas"][resource]["block"]
        for step in path[:-1]:
            block = block["block_types"][step]["block"]
        attribute = block["attributes"][path[-1]]  # KeyError: the delta no longer applies
        for key, value in change.items():
            if value is False:
                attribute.pop(key, None)
            else:
                attribute[key] = value
    return schema


def build(stand_in: providers.StandIn, tarball: pathlib.Path) -> dict:
    """The stand-in's schema document: generated from the package, deltas applied, provenance."""
    document = schema_from_cdktf.generate(str(tarball))
    generated = document["generated_from"]
    if generated["provider_version"] != stand_in.schema_version:
        raise SystemExit(
            f"{tarball.name} holds {generated['provider_version']}, not {stand_in.schema_version}"
        )
    deltas = providers.deltas(stand_in.name)
    document["schema"] = apply_deltas(document["schema"], deltas)
    document["deltas"] = [[resource, list(path), change] for resource, path, change in deltas]
    document["presented_version"] = stand_in.version
    return document


def main(cache: pathlib.Path) -> None:
    schemas = cache / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    for stand_in in providers.STAND_INS:
        document = build(stand_in, download(stand_in, cache / "npm"))
        (schemas / f"{stand_in.name}.json").write_text(json.dumps(document, sort_keys=True))
        answer = schema_pb.provider_schema(document["schema"])
        (schemas / f"{stand_in.name}.pb").write_bytes(answer.SerializeToString(deterministic=True))
        counts = {
            kind: len(document["schema"][kind])
            for kind in ("resource_schemas", "data_source_schemas")
        }
        print(
            f"{stand_in.source} {stand_in.version}: {counts}"
            f" from {stand_in.package}@{stand_in.package_version}"
        )


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
