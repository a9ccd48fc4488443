"""Terraform's msgpack values (cty's wire format) and what a provider plans for them."""

from __future__ import annotations

import msgpack
from tf.gen import tfplugin_pb2 as pb

# cty encodes an unknown value as msgpack extension 0 (cty/msgpack/unknown.go).
UNKNOWN = msgpack.ExtType(0, b"\x00")


def decode(value: pb.DynamicValue):
    """A DynamicValue as Python data; unknowns stay msgpack.ExtType."""
    if not value.msgpack:
        return None
    return msgpack.unpackb(value.msgpack, raw=False, strict_map_key=False)


def encode(data) -> pb.DynamicValue:
    """Python data (as decode() returns it) as a DynamicValue."""
    return pb.DynamicValue(msgpack=msgpack.packb(data, use_bin_type=True))


def fill_computed(value: dict | None, block: pb.Schema.Block, fill) -> dict | None:
    """`value` with each null computed attribute, also in nested blocks, set to fill(attribute)."""
    if not isinstance(value, dict):
        return value
    for attribute in block.attributes:
        if attribute.computed and value.get(attribute.name) is None:
            value[attribute.name] = fill(attribute)
    for nested in block.block_types:
        inner = value.get(nested.type_name)
        if isinstance(inner, dict) and nested.nesting == pb.Schema.NestedBlock.MAP:
            for element in inner.values():
                fill_computed(element, nested.block, fill)
        elif isinstance(inner, dict):
            fill_computed(inner, nested.block, fill)
        elif isinstance(inner, list):
            for element in inner:
                fill_computed(element, nested.block, fill)
    return value


def read_only_set(value: dict | None, block: pb.Schema.Block, path: tuple = ()) -> list[tuple]:
    """Paths of computed-only attributes that the configuration sets, which every SDK refuses."""
    if not isinstance(value, dict):
        return []
    found = [
        (*path, attribute.name)
        for attribute in block.attributes
        if attribute.computed and not attribute.optional and value.get(attribute.name) is not None
    ]
    for nested in block.block_types:
        inner = value.get(nested.type_name)
        elements = (
            inner.values()
            if isinstance(inner, dict) and nested.nesting == pb.Schema.NestedBlock.MAP
            else ([inner] if isinstance(inner, dict) else inner or [])
        )
        for element in elements:
            found += read_only_set(element, nested.block, (*path, nested.type_name))
    return found
