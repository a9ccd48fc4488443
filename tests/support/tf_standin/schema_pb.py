"""A schema in Terraform's JSON shape (schema_from_cdktf.py) as a GetProviderSchema answer."""

from __future__ import annotations

import json

from tf.gen import tfplugin_pb2 as pb

NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
    "map": pb.Schema.NestedBlock.MAP,
    "group": pb.Schema.NestedBlock.GROUP,
}


def block(spec: dict) -> pb.Schema.Block:
    """One schema block and the blocks nested in it."""
    return pb.Schema.Block(
        attributes=[
            pb.Schema.Attribute(
                name=name,
                type=json.dumps(attribute["type"], separators=(",", ":")).encode(),
                required=attribute.get("required", False),
                optional=attribute.get("optional", False),
                computed=attribute.get("computed", False),
                sensitive=attribute.get("sensitive", False),
            )
            for name, attribute in sorted(spec.get("attributes", {}).items())
        ],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=name,
                block=block(nested["block"]),
                nesting=NESTING[nested["nesting_mode"]],
                min_items=nested.get("min_items", 0),
                max_items=nested.get("max_items", 0),
            )
            for name, nested in sorted(spec.get("block_types", {}).items())
        ],
    )


def provider_schema(schema: dict) -> pb.GetProviderSchema.Response:
    """The whole GetProviderSchema answer for one provider."""
    response = pb.GetProviderSchema.Response(
        provider=pb.Schema(version=0, block=block(schema["provider"]["block"])),
    )
    for name, resource in schema["resource_schemas"].items():
        response.resource_schemas[name].CopyFrom(
            pb.Schema(version=resource["version"], block=block(resource["block"]))
        )
    for name, data_source in schema["data_source_schemas"].items():
        response.data_source_schemas[name].CopyFrom(
            pb.Schema(version=data_source["version"], block=block(data_source["block"]))
        )
    return response
