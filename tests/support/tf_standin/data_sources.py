"""What the stand-in's data sources answer: plausible values, the same for the same input."""

from __future__ import annotations

import base64
import hashlib
import json

from tf.gen import tfplugin_pb2 as pb

PROJECT_NUMBER = "123456789012"


def _digests(seed: bytes) -> dict:
    """archive_file's output_* checksums, of `seed` rather than of a zip."""
    return {
        "output_md5": hashlib.md5(seed).hexdigest(),
        "output_sha": hashlib.sha1(seed).hexdigest(),
        "output_sha256": hashlib.sha256(seed).hexdigest(),
        "output_sha512": hashlib.sha512(seed).hexdigest(),
        "output_base64sha256": base64.b64encode(hashlib.sha256(seed).digest()).decode(),
        "output_base64sha512": base64.b64encode(hashlib.sha512(seed).digest()).decode(),
        "output_size": len(seed),
        "id": hashlib.sha1(seed).hexdigest(),
    }


def known_values(type_name: str, config: dict) -> dict:
    """Values a real read would return for the attributes this configuration uses."""
    seed = json.dumps(config, sort_keys=True, default=repr).encode()
    project = config.get("project") or "stand-in-project"
    if type_name == "archive_file":
        return _digests(seed)
    if type_name == "google_storage_project_service_account":
        email = f"service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
        return {"email_address": email, "member": f"serviceAccount:{email}", "project": project}
    if type_name == "google_project":
        return {"number": PROJECT_NUMBER, "project_id": config.get("project_id") or project}
    if type_name == "google_client_config":
        return {"project": project, "region": "europe-west1", "access_token": "stand-in"}
    return {}


def placeholder(attribute: pb.Schema.Attribute):
    """A value of the attribute's type for anything known_values does not name."""
    kind = json.loads(attribute.type)
    if kind == "string":
        return f"stand-in-{attribute.name}"
    if kind == "number":
        return 0
    if kind == "bool":
        return False
    if isinstance(kind, list) and kind[0] in ("list", "set"):
        return []
    if isinstance(kind, list) and kind[0] == "map":
        return {}
    return None  # an object or a tuple: null is a valid answer for a computed attribute
