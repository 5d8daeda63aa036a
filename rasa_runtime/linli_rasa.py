"""Start Rasa's own command line inside ``.venv-rasa`` (Python 3.10), with one measured speed fix.

This is the only project file that imports rasa, and it runs only in the Rasa venv as a script:
``.venv-rasa/bin/python rasa_runtime/linli_rasa.py run --model ...`` takes the same arguments as ``rasa``.

The fix: Rasa 3.6 checks every action-server response with ``jsonschema.validate``, which re-validates
the (constant) response schema against its meta-schema on each call — 16 ms per custom action on our
2-core machine, most of a form turn's time. Building the validator once keeps the same check at 0.7 ms.
"""

from __future__ import annotations

import sys
from typing import Any


def _validate_action_results_with_one_validator() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as e:
            e.message += (". Failed to validate Action server response from API, make sure your response "
                          "from the Action endpoint is valid.")
            raise
        return True

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


def main() -> None:
    _validate_action_results_with_one_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
