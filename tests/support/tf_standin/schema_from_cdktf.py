"""Rebuild a provider's Terraform schema from the cdktf package generated from it.

cdktf generates each package from `terraform providers schema -json`, and its TypeScript (kept
whole in every lib/*/index.js source map) still says, per attribute and nested block:
  // <terraform name> - computed: <bool>, optional: <bool>, required: <bool>
followed by the accessor, which gives the type (getStringAttribute, Fn.tolist(getListAttribute),
new <Struct>List(this, "name", wrapsSet), ...); and per struct an *ToHclTerraform function that
says for every argument whether it is a block and how it nests (list, set, struct = single, map).
That is all a schema holds except descriptions, sensitivity and schema versions, which nothing
here needs. Output: the shape of `terraform providers schema -json` for one provider.

Stdlib only: it runs at install time and in the test that checks the generated file.
"""

from __future__ import annotations

import base64
import json
import re
import tarfile
from collections.abc import Iterator

FLAGS = re.compile(
    r"^\s*// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$"
)
CLASS = re.compile(r"^export class (\w+) extends cdktf\.(\w+)")
HCL_FUNCTION = re.compile(r"^export function (\w+)ToHclTerraform\(")
HCL_ENTRY = re.compile(
    r"^\s+(\w+): \{\s*value: .*?,\s*isBlock: (true|false),"
    r"\s*type: \"(\w+)\",\s*storageClassType: \"(\w+)\",",
    re.MULTILINE | re.DOTALL,
)
RESOURCE_TYPE = re.compile(r'public static readonly tfResourceType = "(\w+)";')
NESTED = re.compile(r'= new (\w+?)(List|OutputReference|Map)\(this, "\w+"(?:, (true|false))?\)')
CDKTF_COLLECTION = re.compile(r'= new cdktf\.(\w+)\(this, "\w+"(?:, (true|false))?\)')
GETTER = re.compile(r"return (cdktf\.Fn\.tolist\()?this\.(\w+)\('\w+'\)")

PRIMITIVE_GETTERS = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
}
CDKTF_COLLECTIONS = {
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "StringMapList": ["list", ["map", "string"]],
}
STORAGE_CLASS_TYPES = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "stringList": "string",
    "numberList": "number",
    "booleanList": "bool",
    "stringMap": "string",
    "numberMap": "number",
    "booleanMap": "bool",
}
NESTING = {"list": "list", "set": "set", "struct": "single", "map": "map"}


def typescript_sources(tarball: str) -> Iterator[str]:
    """The TypeScript of every lib/<module>/index.js in an npm tarball, from its source map."""
    with tarfile.open(tarball, "r|gz") as archive:
        for member in archive:
            if not (member.name.startswith("package/lib/") and member.name.endswith("/index.js")):
                continue
            text = archive.extractfile(member).read().decode()
            found = re.search(r"sourceMappingURL=data:application/json;base64,(\S+)", text)
            if found:
                yield json.loads(base64.b64decode(found.group(1)))["sourcesContent"][0]


def package_json(tarball: str) -> dict:
    """The package.json of an npm tarball."""
    with tarfile.open(tarball, "r:gz") as archive:
        return json.load(archive.extractfile("package/package.json"))


class Module:
    """One generated TypeScript module: its classes' members and its structs' HCL arguments."""

    def __init__(self, source: str):
        self.members: dict[str, list[tuple[str, dict, str]]] = {}  # class -> (name, flags, code)
        self.kinds: dict[str, str] = {}  # class -> cdktf base class
        self.resource_types: dict[str, str] = {}  # class -> terraform type name
        self.hcl: dict[str, dict[str, tuple[bool, str, str]]] = {}  # struct/class -> arguments
        self._parse(source)

    def _parse(self, source: str) -> None:
        lines = source.splitlines()
        current = None
        for index, line in enumerate(lines):
            if found := CLASS.match(line):
                current = found.group(1)
                self.kinds[current] = found.group(2)
                self.members[current] = []
            elif found := HCL_FUNCTION.match(line):
                current = None
                name = found.group(1)
                struct = name[0].upper() + name[1:]
                self.hcl[struct] = self._hcl_entries(lines, index)
            elif current and (found := FLAGS.match(line)):
                flags = dict(
                    zip(
                        ("computed", "optional", "required"),
                        (f == "true" for f in found.groups()[1:]),
                        strict=True,
                    )
                )
                code = "\n".join(lines[index + 1 : index + 6])
                self.members[current].append((found.group(1), flags, code))
            elif current and (found := RESOURCE_TYPE.search(line)):
                self.resource_types[current] = found.group(1)
            elif current and "synthesizeHclAttributes()" in line:
                self.hcl[current] = self._hcl_entries(lines, index)

    @staticmethod
    def _hcl_entries(lines: list[str], start: int) -> dict[str, tuple[bool, str, str]]:
        end = start
        while "remove undefined attributes" not in lines[end] and not lines[end].startswith("}"):
            end += 1
        body = "\n".join(lines[start:end])
        return {
            name: (is_block == "true", kind, storage)
            for name, is_block, kind, storage in HCL_ENTRY.findall(body)
        }


class Provider:
    """All modules of one package, and the schema they describe."""

    def __init__(self, sources: Iterator[str]):
        self.members: dict[str, list[tuple[str, dict, str]]] = {}
        self.hcl: dict[str, dict[str, tuple[bool, str, str]]] = {}
        self.resources: dict[str, str] = {}  # terraform type -> class
        self.data_sources: dict[str, str] = {}
        self.provider_class = None
        for source in sources:
            module = Module(source)
            self.members.update(module.members)
            self.hcl.update(module.hcl)
            for cls, kind in module.kinds.items():
                if kind == "TerraformResource":
                    self.resources[module.resource_types[cls]] = cls
                elif kind == "TerraformDataSource":
                    self.data_sources[module.resource_types[cls]] = cls
                elif kind == "TerraformProvider":
                    self.provider_class = cls

    def schema(self) -> dict:
        """The provider's schema in `terraform providers schema -json` shape."""
        return {
            "provider": {"version": 0, "block": self._provider_block()},
            "resource_schemas": {
                name: {"version": 0, "block": self._block(cls, cls)}
                for name, cls in sorted(self.resources.items())
            },
            "data_source_schemas": {
                name: {"version": 0, "block": self._block(cls, cls)}
                for name, cls in sorted(self.data_sources.items())
            },
        }

    def _provider_block(self) -> dict:
        # The provider class's getters return fields, so its arguments' types come from HCL.
        block = {"attributes": {}, "block_types": {}}
        for name, (is_block, kind, storage) in self.hcl[self.provider_class].items():
            if name == "alias":  # a meta-argument cdktf adds, not part of the schema
                continue
            if is_block:
                block["block_types"][name] = {
                    "nesting_mode": NESTING[kind],
                    "block": self._block(
                        storage.removesuffix("List") + "OutputReference",
                        storage.removesuffix("List"),
                    ),
                    **({"max_items": 1} if kind in ("list", "set") else {}),
                }
            else:
                block["attributes"][name] = {
                    "type": self._hcl_type(kind, storage),
                    "optional": True,
                }
        return _without_empty(block)

    @staticmethod
    def _hcl_type(kind: str, storage: str):
        element = STORAGE_CLASS_TYPES[storage]
        return element if kind == "simple" else [kind, element]

    def _block(self, cls: str, struct: str) -> dict:
        """The block of class `cls` (a resource or an OutputReference), arguments from `struct`."""
        block = {"attributes": {}, "block_types": {}}
        arguments = self.hcl.get(struct, {})
        for name, flags, code in self.members.get(cls, []):
            computed_only = flags["computed"] and not flags["optional"] and not flags["required"]
            set_flags = {key: True for key, value in flags.items() if value}
            nested = NESTED.search(code.split("\n", 1)[0])
            if nested and (name in arguments and arguments[name][0]) and not computed_only:
                _, kind, _ = arguments[name]
                element = nested.group(1)
                nested_block = {
                    "nesting_mode": NESTING[kind],
                    "block": self._block(element + "OutputReference", element),
                }
                if nested.group(2) == "OutputReference" and kind in ("list", "set"):
                    nested_block["max_items"] = 1
                if flags["required"]:
                    nested_block["min_items"] = 1
                block["block_types"][name] = nested_block
            elif nested:
                block["attributes"][name] = {"type": self._nested_type(nested), **set_flags}
            else:
                block["attributes"][name] = {
                    "type": self._attribute_type(name, code, arguments),
                    **set_flags,
                }
        return _without_empty(block)

    def _nested_type(self, nested: re.Match):
        """The cty type of a nested object held as an attribute (computed, or not a block)."""
        element, holder, wraps_set = nested.groups()
        members = self.members.get(element + "OutputReference", [])
        attributes = {}
        for name, _, code in members:
            inner = NESTED.search(code.split("\n", 1)[0])
            attributes[name] = (
                self._nested_type(inner) if inner else self._attribute_type(name, code, {})
            )
        object_type = ["object", attributes]
        if holder == "Map":
            return ["map", object_type]
        # SDKv2 providers type every computed nested resource as a list (or a set) of objects.
        return ["set" if wraps_set == "true" else "list", object_type]

    def _attribute_type(self, name: str, code: str, arguments: dict):
        if found := CDKTF_COLLECTION.search(code.split("\n", 1)[0]):
            kind, wraps_set = found.groups()
            collection = CDKTF_COLLECTIONS[kind]
            return ["set", collection[1]] if wraps_set == "true" else collection
        if found := GETTER.search(code):
            as_set, getter = found.groups()
            primitive = PRIMITIVE_GETTERS[getter]
            return ["set", primitive[1]] if as_set else primitive
        _, kind, storage = arguments[name]  # the provider class: fields, not getters
        return self._hcl_type(kind, storage)


def _without_empty(block: dict) -> dict:
    return {key: value for key, value in block.items() if value}


def generate(tarball: str) -> dict:
    """The schema of the provider a cdktf tarball was generated from, with its provenance."""
    meta = package_json(tarball)
    provider = Provider(typescript_sources(tarball))
    return {
        "format_version": "1.0",
        "generated_from": {
            "package": meta["name"],
            "package_version": meta["version"],
            "provider": meta["cdktf"]["provider"]["name"],
            "provider_version": meta["cdktf"]["provider"]["version"],
        },
        "schema": provider.schema(),
    }


if __name__ == "__main__":
    import sys

    json.dump(generate(sys.argv[1]), sys.stdout, indent=1, sort_keys=True)
