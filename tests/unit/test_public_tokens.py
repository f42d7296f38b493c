"""Public tokens (survey and unsubscribe links): unguessable, tenant-prefixed, stored only as a hash."""
import base64
import hashlib

import pytest

from services.common.errors import NotFound
from services.common.tokens import new_public_token, tenant_of_token, token_digest


def test_a_token_names_its_council_and_carries_192_random_bits():
    token = new_public_token("toronto")
    tenant, secret = token.split(".", 1)
    assert tenant == "toronto" and len(secret) == 32
    assert len(base64.urlsafe_b64decode(secret + "==")) * 8 == 192
    assert new_public_token("toronto") != token


def test_only_the_sha256_hex_of_the_token_is_kept():
    token = new_public_token("toronto")
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(token_digest(token)) == 64 and token.split(".")[1] not in token_digest(token)


def test_the_tenant_is_read_back_from_the_token():
    assert tenant_of_token(new_public_token("ottawa-east")) == "ottawa-east"


@pytest.mark.parametrize("token", ["toronto", "toronto.", "Toronto.abc", ".abc", "t.abc"])
def test_a_token_that_names_no_tenant_is_not_found(token):
    with pytest.raises(NotFound):
        tenant_of_token(token)
