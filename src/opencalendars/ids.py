"""Identifiers shaped like the real service's: 20 unguessable alphanumeric characters."""

import secrets
import string

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 20


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
