"""``ssl_context_factory`` as txredisapi took it, turned into what the asyncio core needs.

The core speaks TLS through ``ssl.SSLContext``; txredisapi took Twisted's pyOpenSSL context
factories. Accepted here:

* ``False``/``None``: plain TCP. ``True``: the core's default context, which **verifies** the
  server certificate against the system CAs and the host name (txredisapi's ``True`` verified
  nothing; pass ``twisted.internet.ssl.ClientContextFactory()`` to keep that).
* an ``ssl.SSLContext``: used as is.
* ``twisted.internet.ssl.ClientContextFactory`` (and subclasses): TLS without verification.
* ``twisted.internet.ssl.CertificateOptions``: its ``verify``, ``caCerts``/``trustRoot`` (CA
  certificates or ``platformTrust()``), ``certificate``/``privateKey`` (client certificate),
  ``extraCertChain`` and ``method`` are carried over.
* ``optionsForClientTLS(hostname, trustRoot=..., clientCertificate=...)`` results: the same
  conversion of the ``CertificateOptions`` inside (trust root, client certificate), plus host
  name verification (against the host connected to).
* any other object with ``getContext()``: accepted when that context does not verify (mode
  ``VERIFY_NONE``), else ``TypeError`` naming the supported forms.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from typing import Any, Union

__all__ = ["to_ssl_option"]

SSLOption = Union[bool, ssl.SSLContext]


def _no_verify() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _load_client_cert(ctx: ssl.SSLContext, cert_pems: list[bytes], key_pem: bytes) -> None:
    # ssl only loads certificate chains from files: write a private temp file, load, delete.
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem + b"".join(cert_pems))
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def _pem(x509: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    obj = getattr(x509, "original", x509)  # twisted.internet.ssl.Certificate wraps pyOpenSSL's
    cert = obj.to_cryptography() if hasattr(obj, "to_cryptography") else obj
    return bytes(cert.public_bytes(Encoding.PEM))


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization as ser

    obj = getattr(key, "original", key)  # twisted.internet.ssl.KeyPair wraps pyOpenSSL's PKey
    k = obj.to_cryptography_key() if hasattr(obj, "to_cryptography_key") else obj
    return bytes(k.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()))


def _from_certificate_options(opts: Any) -> ssl.SSLContext:
    from twisted.internet import _sslverify

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # CertificateOptions never checked host names
    trust = getattr(opts, "trustRoot", None)
    if not getattr(opts, "verify", False) and trust is None:
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        cas = list(getattr(opts, "caCerts", None) or [])
        if isinstance(trust, _sslverify.OpenSSLCertificateAuthorities):
            cas += list(trust._caCerts)
        elif trust is not None and not cas:
            ctx.load_default_certs()
        if cas:
            ctx.load_verify_locations(cadata="".join(_pem(c).decode() for c in cas))
    cert, key = getattr(opts, "certificate", None), getattr(opts, "privateKey", None)
    if cert is not None and key is not None:
        chain = [_pem(cert)] + [_pem(c) for c in getattr(opts, "extraCertChain", None) or []]
        _load_client_cert(ctx, chain, _key_pem(key))
    return ctx


def to_ssl_option(opt: Any) -> Any:
    """Translate an ``ssl_context_factory`` value for the core (see the module docstring)."""
    if opt is None or opt is False:
        return False
    if opt is True or isinstance(opt, ssl.SSLContext):
        return opt
    from OpenSSL import SSL
    from twisted.internet import ssl as tssl
    from twisted.internet._sslverify import ClientTLSOptions

    if isinstance(opt, tssl.ClientContextFactory):
        return _no_verify()
    if isinstance(opt, tssl.CertificateOptions):
        return _from_certificate_options(opt)
    if isinstance(opt, ClientTLSOptions):
        # optionsForClientTLS keeps its CertificateOptions as the bound connection maker.
        inner = getattr(getattr(opt, "_createConnection", None), "__self__", None)
        ctx = (_from_certificate_options(inner) if isinstance(inner, tssl.CertificateOptions)
               else ssl.create_default_context())
        ctx.verify_mode = ssl.CERT_REQUIRED  # ClientTLSOptions always verifies, host name too
        ctx.check_hostname = True
        return ctx
    get = getattr(opt, "getContext", None)
    if get is not None and get().get_verify_mode() == SSL.VERIFY_NONE:
        return _no_verify()
    raise TypeError(
        "ssl_context_factory must be True/False, an ssl.SSLContext, a Twisted ClientContextFactory, "
        "CertificateOptions or optionsForClientTLS(...) result, or a context factory that does not "
        f"verify; got {type(opt).__name__}"
    )
