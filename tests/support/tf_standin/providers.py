"""Where each stand-in provider's schema comes from, and what differs from the version it presents.

This is the provenance record. Each schema is generated (schema_from_cdktf.py) from the npm
package that cdktf generated from the provider's own `terraform providers schema -json`; the
package.json of each names the provider version it was built from (`cdktf.provider.version`).

No package carries a google 7.x schema (the last @cdktf/provider-google, 16.12.1, is 6.50.0), but
terraform/versions.tf requires `>= 7.0, < 9.0`. So the google stand-in presents 7.0.0: the 6.50.0
schema with the changes of the 7.0.0 upgrade guide applied to the resources this configuration
uses (GOOGLE_7_DELTAS). Changes in 7.0.0 that only alter provider-side defaults or API behaviour
have no schema form and are listed in GOOGLE_7_NOT_IN_SCHEMA for the record.

| provider          | presents | schema from (npm)              | built from | deltas          |
|-------------------|----------|--------------------------------|------------|-----------------|
| hashicorp/google  | 7.0.0    | @cdktf/provider-google 16.12.1 | 6.50.0     | 7.0, sensitive  |
| hashicorp/random  | 3.7.2    | @cdktf/provider-random 12.0.1  | 3.7.2      | sensitive       |
| hashicorp/archive | 2.7.1    | @cdktf/provider-archive 11.0.1 | 2.7.1      | none            |
| hashicorp/time    | 0.13.1   | @cdktf/provider-time 11.0.1    | 0.13.1     | none            |

"7.0" is GOOGLE_7_DELTAS and "sensitive" SENSITIVE below; `deltas(name)` gives all of them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class StandIn:
    """One stand-in: its address, the version it presents and the package its schema comes from."""

    name: str  # the provider type, e.g. "google" (registry.terraform.io/hashicorp/<name>)
    version: str  # the version `terraform init` sees in the mirror
    package: str  # the npm package holding the schema
    package_version: str
    integrity: str  # npm's dist.integrity, checked after download
    schema_version: str  # the provider version the package was generated from (package.json)

    @property
    def source(self) -> str:
        return f"registry.terraform.io/hashicorp/{self.name}"

    @property
    def tarball(self) -> str:
        """The file `npm pack` writes for the package."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.package_version}.tgz"


STAND_INS = (
    StandIn(
        name="google",
        version="7.0.0",
        package="@cdktf/provider-google",
        package_version="16.12.1",
        integrity="sha512-KqNA/5RiFT07r0PSZ6/07cJ2zESUgbj1JchVj21iBFBZVUbD+578xA/k8eq/r0cbyEgLmg9eYWeVslaYah4DCQ==",
        schema_version="6.50.0",
    ),
    StandIn(
        name="random",
        version="3.7.2",
        package="@cdktf/provider-random",
        package_version="12.0.1",
        integrity="sha512-yE9fteVRxekOl6MhJeM6sac1VkljCwGFrZxozq0aE11zTBmB4oQBr3nk9Z1A2C5C3IB/0jKmabYDNPqgrZDfNw==",
        schema_version="3.7.2",
    ),
    StandIn(
        name="archive",
        version="2.7.1",
        package="@cdktf/provider-archive",
        package_version="11.0.1",
        integrity="sha512-2Plwhj1hVUOYmQrxNbBvy2nrw/gyHZKnQFauPCwjhQX+MpRImF7cceKgX8zZgBPvB5YEP75MIFPbr4sjxDWeHw==",
        schema_version="2.7.1",
    ),
    StandIn(
        name="time",
        version="0.13.1",
        package="@cdktf/provider-time",
        package_version="11.0.1",
        integrity="sha512-FI0xFIcfF7U0t+pk7NNNJujiCxIOw6wL0I61/LEgPC59WWcGVrRPdj5F7YvEEpgcWkse6YrYc9soumsTQa5WYg==",
        schema_version="0.13.1",
    ),
)

# The 7.0.0 upgrade guide's schema changes for resources terraform/ uses, as
# (resource type, attribute path, change). Paths go through nested blocks.
GOOGLE_7_DELTAS = (
    # "retention_period changed to string data type"
    ("google_storage_bucket", ("retention_policy", "retention_period"), {"type": "string"}),
    # "service_config.service is changed from Argument to Attribute"
    (
        "google_cloudfunctions2_function",
        ("service_config", "service"),
        {"optional": False, "computed": True},
    ),
    # "event_trigger.event_type is now required"
    (
        "google_cloudfunctions2_function",
        ("event_trigger", "event_type"),
        {"optional": False, "computed": False, "required": True},
    ),
)

# cdktf drops the schema's `sensitive` flag; these are the attributes terraform/ uses that the
# providers' documentation marks sensitive, so that Terraform's own checks (an output showing
# one must say `sensitive = true`) stay real.
SENSITIVE = {
    "random": (
        ("random_password", ("result",), {"sensitive": True}),
        ("random_password", ("bcrypt_hash",), {"sensitive": True}),
    ),
    "google": (("google_secret_manager_secret_version", ("secret_data",), {"sensitive": True}),),
}

# 7.0.0 changes to resources terraform/ uses that the schema cannot show.
GOOGLE_7_NOT_IN_SCHEMA = (
    "google_project_service: disable_on_destroy now defaults to false (terraform/ sets it)",
    "google_artifact_registry_repository: public_repository defaults removed (not used here)",
    "import formats are validated strictly (no imports here)",
)


def deltas(name: str) -> tuple:
    """Every (resource, attribute path, change) applied to provider `name`'s generated schema."""
    return (GOOGLE_7_DELTAS if name == "google" else ()) + SENSITIVE.get(name, ())


def by_name(name: str) -> StandIn:
    """The stand-in for provider type `name`."""
    return next(stand_in for stand_in in STAND_INS if stand_in.name == name)
