"""Columns encrypted at rest in certified Parquet files (Parquet modular encryption).

A policy names the columns (``encryption: {columns: [customer_email]}``). ``certify``
writes them encrypted with AES-GCM, each file's data keys wrapped by a master key that a
KMS client holds; the footer stays plaintext, so the other columns (moved before the
encrypted ones), the schema and the row counts read as before, while a reader without the
key cannot read those columns. The
certificate lists the encrypted files' hashes (and the staged files' hashes that
validation and approvals are bound to).

KMS clients are plug-ins chosen by name (``encryption.kms``), as pyarrow's
``KmsClient``:

- ``local`` (built in): one 32-byte master key from $PRIVENANCE_PARQUET_KEY (hex or
  base64) or the file $PRIVENANCE_PARQUET_KEY_FILE names; keys are wrapped with AES-GCM
  under a subkey per master-key id. For tests and small teams.
- any other name: a ``pyarrow.parquet.encryption.KmsClient`` factory registered under
  the ``privenance.kms`` entry-point group (e.g. ``vault = acme_kms:VaultClient``), called
  with pyarrow's ``KmsConnectionConfig``; it wraps and unwraps keys in the real KMS, so
  the master key never leaves it.

Encryption uses fresh random data keys and nonces: an encrypted file's bytes differ from
one run to the next (its content does not), so outputs are byte-identical across runs
only without encrypted columns.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

from privenance.errors import ConfigError

KEY_ENV = "PRIVENANCE_PARQUET_KEY"
FOOTER_KEY_ID = "privenance-footer"
COLUMN_KEY_ID = "privenance-columns"
ALGORITHM = "AES_GCM_V1"


def _local_master() -> bytes:
    from privenance.keys import _from_env
    secret = _from_env(KEY_ENV)
    if secret is None:
        raise ConfigError(f"encrypted columns need the Parquet master key: set {KEY_ENV} or "
                          f"{KEY_ENV}_FILE (32 bytes, hex or base64)", field=KEY_ENV)
    return secret.reveal()[:32]


def _local_client_class():
    import pyarrow.parquet.encryption as pe
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    class LocalKeyFileKms(pe.KmsClient):
        """Wraps data keys with AES-GCM under HMAC(master key, master-key id)."""

        def __init__(self, config):
            pe.KmsClient.__init__(self)
            self._master = _local_master()

        def _aead(self, key_id: str) -> AESGCM:
            return AESGCM(hmac.new(self._master, key_id.encode(), hashlib.sha256).digest())

        def wrap_key(self, key_bytes, master_key_identifier):
            nonce = os.urandom(12)
            sealed = self._aead(master_key_identifier).encrypt(
                nonce, bytes(key_bytes), master_key_identifier.encode())
            return base64.b64encode(nonce + sealed).decode()

        def unwrap_key(self, wrapped_key, master_key_identifier):
            from cryptography.exceptions import InvalidTag
            raw = base64.b64decode(wrapped_key)
            try:
                return self._aead(master_key_identifier).decrypt(
                    raw[:12], raw[12:], master_key_identifier.encode())
            except InvalidTag:
                raise ConfigError(f"the Parquet master key (${KEY_ENV}) is not the key these "
                                  "columns were encrypted with", field=KEY_ENV) from None

    return LocalKeyFileKms


def kms_factory(name: str):
    """The KMS client factory registered under ``name``."""
    if name == "local":
        return _local_client_class()
    from importlib.metadata import entry_points
    found = [ep for ep in entry_points(group="privenance.kms") if ep.name == name]
    if not found:
        raise ConfigError(f"no KMS client named {name!r}: use 'local' or register one under "
                          "the privenance.kms entry-point group", field="encryption.kms")
    return found[0].load()


def _crypto(kms: str):
    import pyarrow.parquet.encryption as pe
    factory = kms_factory(kms)
    if kms == "local":
        _local_master()  # a missing key is one clear error here, not one inside pyarrow
    return pe.CryptoFactory(lambda config: factory(config)), pe.KmsConnectionConfig()


def facts(columns: list[str], kms: str) -> dict:
    """What run.json and the certificate record of the encryption."""
    return {"columns": list(columns), "kms": kms, "algorithm": ALGORITHM, "footer": "plaintext"}


def properties(columns: list[str], kms: str = "local"):
    """Parquet file encryption properties for ``columns`` (plaintext footer)."""
    import pyarrow.parquet.encryption as pe
    crypto, connection = _crypto(kms)
    config = pe.EncryptionConfiguration(
        footer_key=FOOTER_KEY_ID, column_keys={COLUMN_KEY_ID: list(columns)},
        encryption_algorithm=ALGORITHM, plaintext_footer=True, double_wrapping=True)
    return crypto.file_encryption_properties(connection, config)


def encrypted_last(table, columns: list[str]):
    """``table`` with ``columns`` moved to the end: pyarrow (25) cannot read two plain
    columns that have an encrypted one between them without its key."""
    return table.select([c for c in table.column_names if c not in columns]
                        + [c for c in columns if c in table.column_names])


def read_table(path, encryption: dict | None = None, **options):
    """``pq.read_table(path, **options)``, decrypting with the KMS that ``encryption`` (the
    facts recorded in run.json or the certificate) names; plain when it is None."""
    import pyarrow.parquet as pq
    import pyarrow.parquet.encryption as pe
    if not encryption:
        return pq.read_table(path, **options)
    crypto, connection = _crypto(encryption["kms"])
    return pq.read_table(path, decryption_properties=crypto.file_decryption_properties(
        connection, pe.DecryptionConfiguration()), **options)
