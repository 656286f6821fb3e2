#!/usr/bin/env python3
"""A complete SshHsmCa client in Python, with Debian's python3-grpcio and python3-protobuf.

Stubs (see docs/clients.md):
  protoc -I src/Protos -I examples/python/protos --python_out=OUT \
      sshhsmca/v1/ca.proto google/rpc/status.proto google/rpc/error_details.proto
  python3 -m grpc_tools.protoc -I src/Protos --grpc_python_out=OUT sshhsmca/v1/ca.proto

  PYTHONPATH=OUT python3 ca_client.py --server 127.0.0.1:8443 --ca ca.pem \
      --cert client.pem --key client.key --socket /run/ssh-hsm-ca/ca.sock --public-key "ssh-ed25519 AAAA..."

It signs a user certificate over mTLS (setting nothing optional: the policy's defaults), reads the
audit log on the operator socket, then sends a bad request and a request policy denies, and
prints what the error details say. Exit status 0 when every step behaved as documented.
"""
import argparse
import sys

import grpc

from google.rpc import error_details_pb2, status_pb2
from sshhsmca.v1 import ca_pb2, ca_pb2_grpc


def details(error):
    """The ErrorInfo and the specific detail of a failed call, from grpc-status-details-bin."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            found = {}
            for any_detail in status.details:
                for kind in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.PreconditionFailure):
                    if any_detail.Is(kind.DESCRIPTOR):
                        message = kind()
                        any_detail.Unpack(message)
                        found[kind.__name__] = message
            return found
    return {}


def expect_error(call, code, reason):
    """Runs a call that must fail with this status code and ErrorInfo reason; returns its details."""
    try:
        call()
    except grpc.RpcError as error:
        found = details(error)
        info = found.get("ErrorInfo")
        if error.code() != code or info is None or info.reason != reason:
            raise SystemExit(f"expected {code.name} {reason}, got {error.code().name} {info.reason if info else None}: {error.details()}")
        return found
    raise SystemExit(f"expected {code.name} {reason}, but the call succeeded")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="HOST:PORT of the TLS listener")
    parser.add_argument("--ca", required=True, help="the CA's TLS root (PEM)")
    parser.add_argument("--cert", required=True, help="client certificate (PEM)")
    parser.add_argument("--key", required=True, help="client key (PEM)")
    parser.add_argument("--socket", required=True, help="the operator socket")
    parser.add_argument("--public-key", required=True, help="an OpenSSH public key line")
    args = parser.parse_args()

    with open(args.ca, "rb") as f:
        root = f.read()
    with open(args.cert, "rb") as f:
        cert = f.read()
    with open(args.key, "rb") as f:
        key = f.read()
    credentials = grpc.ssl_channel_credentials(root_certificates=root, private_key=key, certificate_chain=cert)
    failures = 0

    with grpc.secure_channel(args.server, credentials) as channel:
        ca = ca_pb2_grpc.CertificateAuthorityServiceStub(channel)

        # Nothing optional set: the policy's principals, validity and default extensions.
        issued = ca.SignUserCertificate(ca_pb2.SignUserCertificateRequest(public_key=args.public_key)).certificate
        print(f"signed: serial {issued.serial}, principals {list(issued.principals)}")
        print(f"certificate: {issued.certificate}")

        # A bad request: BadRequest names the field.
        found = expect_error(lambda: ca.SignUserCertificate(ca_pb2.SignUserCertificateRequest(public_key="")),
                             grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
        bad = found.get("BadRequest")
        print(f"bad request: INVALID_ARGUMENT {found['ErrorInfo'].reason} {found['ErrorInfo'].domain} "
              f"fields {[v.field for v in bad.field_violations] if bad else None}")
        failures += 0 if bad and bad.field_violations[0].field == "public_key" else 1

        # A principal the policy does not grant: PreconditionFailure gives every reason.
        found = expect_error(lambda: ca.SignUserCertificate(ca_pb2.SignUserCertificateRequest(public_key=args.public_key, principals=["someone-else"])),
                             grpc.StatusCode.PERMISSION_DENIED, "POLICY_DENIED")
        failure = found.get("PreconditionFailure")
        print(f"denied: PERMISSION_DENIED {found['ErrorInfo'].reason} "
              f"reasons {[(v.type, v.subject) for v in failure.violations] if failure else None}")
        failures += 0 if failure and failure.violations[0].type == "principal-not-allowed" else 1

    # The operator socket: no TLS, the caller is who the kernel says it is.
    with grpc.insecure_channel("unix:" + args.socket) as channel:
        ca = ca_pb2_grpc.CertificateAuthorityServiceStub(channel)
        records = ca.ListCertificates(ca_pb2.ListCertificatesRequest(page_size=10)).records
        print(f"audit: {len(records)} records, newest serial {records[0].serial if records else None}")
        failures += 0 if records and records[0].serial == issued.serial else 1

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
