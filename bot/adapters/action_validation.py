"""Rasa's check of every action-server response, with the validator built once.

Rasa 3.6 checks each response of the action server against a JSON schema with
`jsonschema.validate(result, schema)`. That call first validates the *schema* against
its meta-schema and builds a new validator, every time: under load it was 41 % of the
Rasa process's CPU (docs/BENCHMARKS.md). `install()` replaces
`RemoteAction._validate_action_result` with the same check (same schema, same error,
same message) made by one validator built and checked once.

It is a patch of Rasa's code, so it is applied only to the method it was written for: it
compares the installed Rasa version and the method's source with what it expects, and
when either differs it leaves Rasa alone and logs an error (a test fails on the same
condition, so an upgrade cannot pass CI unnoticed). Imported from `bot/adapters/__init__.py`,
so it is in place whenever Rasa loads any of our components.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any

import rasa
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

logger = logging.getLogger(__name__)

PATCHED_RASA_VERSION = "3.6.21"
# The line of Rasa's method that builds a validator on every call.
PATCHED_LINE = "validate(result, self.action_response_format_spec())"
# Rasa's own hint, appended to the error as Rasa does.
RASA_HINT = (
    ". Failed to validate Action server response from API, "
    "make sure your response from the Action endpoint is valid. "
    "For more information about the format visit "
    "{docs}/custom-actions"
)

_original = RemoteAction._validate_action_result


@functools.lru_cache(maxsize=1)
def response_validator() -> Validator:
    """The validator of Rasa's action response schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """What Rasa's `_validate_action_result` does, with the validator built once."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(response_validator().iter_errors(result))
    if error is not None:
        assert isinstance(error, ValidationError)
        error.message += RASA_HINT.format(docs=DOCS_BASE_URL)
        raise error
    return True


def patch_problem() -> str | None:
    """None when the installed Rasa is the one this patch was written for, else why not."""
    if rasa.__version__ != PATCHED_RASA_VERSION:
        return f"Rasa {rasa.__version__} is installed; the patch is for {PATCHED_RASA_VERSION}"
    try:
        source = inspect.getsource(_original)
    except (OSError, TypeError) as exc:
        return f"the source of RemoteAction._validate_action_result cannot be read: {exc}"
    if PATCHED_LINE not in source:
        return "RemoteAction._validate_action_result no longer has the line this patch replaces"
    return None


def install() -> bool:
    """Put the one-validator check in place; True if it is (now or already)."""
    if RemoteAction._validate_action_result is validate_action_result:
        return True
    problem = patch_problem()
    if problem:
        logger.error("Action responses are validated the slow stock way: %s", problem)
        return False
    RemoteAction._validate_action_result = validate_action_result
    return True
