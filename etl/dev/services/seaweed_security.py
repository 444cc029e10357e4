"""Credentials of the embedded SeaweedFS: JWT signing keys and a private CA for mutual TLS, in `security.toml`.

Reads no settings (the caller passes the folder under NEWSARCHIVE_STATE_DIR). `weed mini` reads
`security.toml` from its working directory: with it, the filer's and the volume server's HTTP ports refuse
every request without a JWT signed by these keys (read, write, delete), and every gRPC port (master, volume,
filer, S3, admin) refuses clients without a certificate of this CA. Everything is generated once, in a
folder only the invoking user can read. `cryptography` comes with Airflow (a dependency of the project).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
from pathlib import Path

SECURITY_TOML = "security.toml"
_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")
_GRPC_SECTIONS = ("master", "volume", "filer", "s3", "admin", "client", "msg_broker")


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _certificates(folder: Path) -> None:
    """A CA and one node certificate (127.0.0.1, localhost) signed by it, both EC P-256, for ten years."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, node_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsarchive embedded SeaweedFS CA")])

    def builder(subject: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=3650)))

    ca = builder(ca_name, ca_key).add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    node = builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), node_key).add_extension(
        x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
        critical=False)
    pem = serialization.Encoding.PEM
    _private_write(folder / "ca.crt", ca.sign(ca_key, hashes.SHA256()).public_bytes(pem))
    _private_write(folder / "node.crt", node.sign(ca_key, hashes.SHA256()).public_bytes(pem))
    _private_write(folder / "node.key", node_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))


def write_security(base_dir: Path) -> Path:
    """Create (first time) the keys, certificates and `base_dir/security.toml`; return the toml's path."""
    folder = base_dir / "security"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    if not (folder / "node.key").exists():
        _certificates(folder)
    keys = folder / "jwt.keys"
    if not keys.exists():
        _private_write(keys, "".join(f"{secrets.token_urlsafe(32)}\n" for _ in _JWT_SECTIONS).encode())
    lines = [f'[{section}]\nkey = "{key}"\nexpires_after_seconds = 60\n'
             for section, key in zip(_JWT_SECTIONS, keys.read_text().split(), strict=True)]
    lines.append(f'[grpc]\nca = "{folder / "ca.crt"}"\n')
    lines += [f'[grpc.{name}]\ncert = "{folder / "node.crt"}"\nkey = "{folder / "node.key"}"\n'
              for name in _GRPC_SECTIONS]
    toml = base_dir / SECURITY_TOML
    _private_write(toml, "".join(lines).encode())
    return toml
