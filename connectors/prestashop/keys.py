"""Secrets of a shop (webservice key, webhook secret) sealed at rest with the project's SECRET_KEY.

No cryptography package is installed, so this is a small authenticated stream cipher from the
standard library: a keystream of HMAC-SHA256(key, nonce ‖ counter) blocks XORed with the text,
and an HMAC-SHA256 tag over nonce ‖ ciphertext. A database dump alone does not reveal the keys;
changing SECRET_KEY makes them unreadable (re-enter them)."""

import base64
import hashlib
import hmac
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 16
TAG_BYTES = 32


def _key(purpose: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"prestashop-secrets/" + purpose, hashlib.sha256).digest()


def _keystream(nonce: bytes, length: int) -> bytes:
    key, blocks, counter = _key(b"stream"), [], 0
    while sum(map(len, blocks)) < length:
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
        counter += 1
    return b"".join(blocks)[:length]


def seal(text: str) -> str:
    data = text.encode()
    nonce = os.urandom(NONCE_BYTES)
    cipher = bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data)), strict=True))
    tag = hmac.new(_key(b"tag"), nonce + cipher, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(nonce + tag + cipher).decode()


def unseal(sealed: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    nonce, tag, cipher = raw[:NONCE_BYTES], raw[NONCE_BYTES : NONCE_BYTES + TAG_BYTES], raw[NONCE_BYTES + TAG_BYTES :]
    if not hmac.compare_digest(tag, hmac.new(_key(b"tag"), nonce + cipher, hashlib.sha256).digest()):
        raise ImproperlyConfigured("A PrestaShop secret cannot be read: was DJANGO_SECRET_KEY changed? Enter it again.")
    return bytes(a ^ b for a, b in zip(cipher, _keystream(nonce, len(cipher)), strict=True)).decode()


def hint(text: str) -> str:
    """The last four characters: enough to recognise a key, never enough to use it."""
    return text[-4:]
