"""Secret: redacted in every ordinary way of turning it into text."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass

import pytest

from spprov.secret import Secret

VALUE = "Atzr|very-secret-refresh-token"


@dataclass(frozen=True)
class Holder:
    token: Secret


def test_text_forms_are_redacted() -> None:
    secret = Secret(VALUE)
    for text in (str(secret), repr(secret), f"{secret}", f"{secret!r}", f"{secret:>40}",
                 "%s" % secret, "{}".format(secret),  # noqa: UP031, UP032 - the old ways too
                 repr([secret]), repr({"k": secret}),
                 repr(Holder(secret))):
        assert VALUE not in text
    assert str(secret) == "***"
    assert repr(secret) == "Secret('***')"


def test_reveal_equality_and_hash() -> None:
    assert Secret(VALUE).reveal() == VALUE
    assert Secret(VALUE) == Secret(VALUE) and Secret(VALUE) != Secret("other")
    assert Secret(VALUE) != VALUE
    assert len({Secret(VALUE), Secret(VALUE)}) == 1
    assert not Secret("") and Secret(VALUE)


def test_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(VALUE))


def test_logging_redacts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spprov.test")
    logging.getLogger("spprov.test").debug("token %s in %r", Secret(VALUE), Holder(Secret(VALUE)))
    assert VALUE not in caplog.text and "***" in caplog.text


def test_exception_messages_redact() -> None:
    error = ValueError(f"bad token {Secret(VALUE)}")
    assert VALUE not in str(error)
