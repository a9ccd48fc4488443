"""A stand-in provider plugin: a published schema behind Terraform's plugin protocol 6, plan only.

Terraform starts it as `terraform-provider-<name>` (the launcher in the filesystem mirror runs
`python -m tests.support.tf_standin.server SCHEMA.pb`) and speaks go-plugin's handshake: check
the magic cookie, serve gRPC over TLS on 127.0.0.1 (Terraform's client insists on TLS),
print `1|6|tcp|ADDR|grpc|CERT` on stdout, exit on GRPCController.Shutdown.

Behaviour: Terraform itself checks configurations against the schema (unknown arguments and
blocks, required ones, types, block counts); the stand-in adds the one check every provider SDK
makes from the schema alone (no value for a computed-only attribute), but not the providers' own
validators (enums, formats).
Plans leave every null computed attribute unknown; data sources answer data_sources.py's values.
"""

from __future__ import annotations

import base64
import datetime
import os
import sys
import threading
import time
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tf.gen import grpc_controller_pb2 as controller_pb
from tf.gen import grpc_controller_pb2_grpc as controller_rpc
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

from tests.support.tf_standin import data_sources, wire

# go-plugin's handshake cookie for Terraform providers (terraform/internal/plugin/serve.go).
MAGIC_COOKIE = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
)


def error(summary: str) -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary)


def read_only_errors(config: pb.DynamicValue, block: pb.Schema.Block) -> list[pb.Diagnostic]:
    """The error every provider SDK gives for a configured computed-only attribute."""
    return [
        pb.Diagnostic(
            severity=pb.Diagnostic.ERROR,
            summary="Invalid Configuration for Read-Only Attribute",
            detail=f"Cannot set a value for {'.'.join(path)}: the provider marks it read-only.",
            attribute=pb.AttributePath(
                steps=[pb.AttributePath.Step(attribute_name=step) for step in path]
            ),
        )
        for path in wire.read_only_set(wire.decode(config), block)
    ]


class StandInProvider(rpc.ProviderServicer):
    """The Provider service over one provider's GetProviderSchema answer."""

    def __init__(self, schema_bytes: bytes):
        self.schema = pb.GetProviderSchema.Response.FromString(schema_bytes)

    def GetProviderSchema(self, request, context):
        return self.schema

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(
            resources=[
                pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.schema.resource_schemas
            ],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n)
                for n in self.schema.data_source_schemas
            ],
        )

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        block = self.schema.resource_schemas[request.type_name].block
        return pb.ValidateResourceConfig.Response(
            diagnostics=read_only_errors(request.config, block)
        )

    def ValidateDataResourceConfig(self, request, context):
        block = self.schema.data_source_schemas[request.type_name].block
        return pb.ValidateDataResourceConfig.Response(
            diagnostics=read_only_errors(request.config, block)
        )

    def ConfigureProvider(self, request, context):
        return pb.ConfigureProvider.Response()

    def StopProvider(self, request, context):
        return pb.StopProvider.Response()

    def GetFunctions(self, request, context):
        return pb.GetFunctions.Response()

    def PlanResourceChange(self, request, context):
        proposed = wire.decode(request.proposed_new_state)
        if proposed is not None and wire.decode(request.prior_state) is None:
            # A create: what the API will assign is not known until apply.
            block = self.schema.resource_schemas[request.type_name].block
            proposed = wire.fill_computed(proposed, block, lambda _: wire.UNKNOWN)
        return pb.PlanResourceChange.Response(planned_state=wire.encode(proposed))

    def ReadDataSource(self, request, context):
        config = wire.decode(request.config)
        block = self.schema.data_source_schemas[request.type_name].block
        known = data_sources.known_values(request.type_name, config)
        for name, value in known.items():
            if config.get(name) is None:
                config[name] = value
        state = wire.fill_computed(config, block, data_sources.placeholder)
        return pb.ReadDataSource.Response(state=wire.encode(state))

    def ReadResource(self, request, context):
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def UpgradeResourceState(self, request, context):
        return pb.UpgradeResourceState.Response(
            diagnostics=[
                error("The stand-in provider plans new configurations only; it has no state.")
            ]
        )

    def ApplyResourceChange(self, request, context):
        return pb.ApplyResourceChange.Response(
            diagnostics=[error("The stand-in provider cannot apply; use the real provider.")]
        )

    def ImportResourceState(self, request, context):
        return pb.ImportResourceState.Response(
            diagnostics=[error("The stand-in provider cannot import; use the real provider.")]
        )


class Controller(controller_rpc.GRPCControllerServicer):
    """go-plugin's controller: Terraform ends the plugin with Shutdown, then waits for the exit."""

    def __init__(self, stopped: threading.Event):
        self.stopped = stopped

    def Shutdown(self, request, context):
        self.stopped.set()
        return controller_pb.Empty()


def server_certificate() -> tuple[bytes, bytes, bytes]:
    """A throwaway self-signed certificate for localhost: (key PEM, cert PEM, cert DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        key_pem,
        certificate.public_bytes(serialization.Encoding.PEM),
        certificate.public_bytes(serialization.Encoding.DER),
    )


def exit_with_parent(parent: int) -> None:
    """Ends this process when Terraform is gone without having said Shutdown (a crash, a kill)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def serve(schema_path: str) -> None:
    if os.environ.get(MAGIC_COOKIE[0]) != MAGIC_COOKIE[1]:
        sys.exit("This is a Terraform provider plugin; Terraform starts it.")
    stopped = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    with open(schema_path, "rb") as schema_file:
        rpc.add_ProviderServicer_to_server(StandInProvider(schema_file.read()), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(stopped), server)

    # Terraform verifies this certificate (sent in the handshake line). It also offers its own
    # (PLUGIN_CLIENT_CERT), but that is a P-521 key, which BoringSSL does not accept for client
    # authentication, so the client is not verified: the port is on 127.0.0.1 and lives for one
    # command, and the plugin holds nothing but a public schema.
    key_pem, cert_pem, cert_der = server_certificate()
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    certificate = base64.b64encode(cert_der).decode().rstrip("=")
    print(f"1|6|tcp|127.0.0.1:{port}|grpc|{certificate}", flush=True)
    stopped.wait()
    server.stop(grace=0.2).wait()
    os._exit(0)


if __name__ == "__main__":
    serve(sys.argv[1])
