"""Start Rasa's own command line inside ``.venv-rasa`` (Python 3.10), with two measured fixes.

This is the only project file that imports rasa, and it runs only in the Rasa venv as a script:
``.venv-rasa/bin/python rasa_runtime/linli_rasa.py run --model ...`` takes the same arguments as ``rasa``.

1. Rasa 3.6 checks every action-server response with ``jsonschema.validate``, which re-validates the
   (constant) response schema against its meta-schema on each call — 16 ms per custom action on our
   2-core machine, most of a form turn's time. Building the validator once keeps the same check at 0.7 ms.
2. ``PUT /model`` (the live reload's swap) loads the new model inside the server's event loop, so every
   resident waited 27–30 s while it loaded, and some got "try again" (the kiosk's client gives up after
   30 s). Here the new model is loaded and warmed up (one parse, so TensorFlow builds its graph) in a
   worker thread while the old model keeps answering; the route then switches to it in one assignment,
   keeping the lock store, as Rasa's own route does.
3. ``PUT /model`` takes any path, a model server URL or a remote storage from whoever has the token. Here it
   takes only a ``.tar.gz`` inside the models folder given as ``--linli-models-dir DIR`` (our own first
   argument, set by ``linli run`` and removed before Rasa reads its arguments): a leaked token must not make the
   assistant load a model from anywhere else.
4. Rasa's token comes in the environment (``LINLI_RASA_SERVE_TOKEN``), not on the command line: it is put into
   Rasa's own argument list inside this process (``take_token``).
"""

from __future__ import annotations

import sys
from pathlib import Path
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


WARM_UP_TEXT = "hello"


def _load_swapped_models_off_the_event_loop(models_dir: str | None) -> None:
    import asyncio

    import rasa.server as server

    load_on_the_loop = server._load_agent

    async def load_in_a_thread(*args: Any, **kwargs: Any) -> Any:
        refusal = refuse_model(kwargs.get("model_path", args[0] if args else None), kwargs.get("model_server"),
                               kwargs.get("remote_storage"), models_dir)
        if refusal is not None:
            from http import HTTPStatus

            raise server.ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest", refusal)

        def load() -> Any:
            # A loop of the thread's own: the agent's stores are plain SQLAlchemy and in-memory objects,
            # not tied to a loop, and the route replaces the lock store with the running one.
            agent = asyncio.run(load_on_the_loop(*args, **kwargs))
            asyncio.run(agent.parse_message(WARM_UP_TEXT))
            return agent
        return await asyncio.to_thread(load)

    server._load_agent = load_in_a_thread


def refuse_model(model_path: Any, model_server: Any, remote_storage: Any, models_dir: str | None) -> str | None:
    """Why a ``PUT /model`` is refused, or ``None`` to load it (no models folder given: Rasa's own rules)."""
    if not models_dir:
        return None
    if model_server or remote_storage:
        return "Only a model file from the models folder can be loaded here."
    if not isinstance(model_path, str) or not model_path.endswith(".tar.gz"):
        return "Give the path of a model file (.tar.gz) in the models folder."
    folder = Path(models_dir).resolve()
    path = Path(model_path).resolve()  # symlinks and '..' resolved: the real file must be in the folder
    if path.parent != folder or not path.is_file():
        return "Only a model file from the models folder can be loaded here."
    return None


MODELS_DIR_FLAG = "--linli-models-dir"
TOKEN_HANDOFF = "LINLI_RASA_SERVE_TOKEN"
"""Rasa's token, handed over in the environment by ``linli run`` (``assistant/dialogue/engine.py``) so that it is
never on a command line: ``/proc/<pid>/cmdline`` is readable by every local user; ``sys.argv`` is not."""


def take_token(args: list[str], environ: dict[str, str] | Any) -> list[str]:
    """``args`` with ``--auth-token <token>`` added after ``run`` when the token was handed over in ``environ``
    (removed from it, so that nothing Rasa starts inherits it)."""
    token = environ.pop(TOKEN_HANDOFF, "")
    if not token or not args or args[0] != "run":
        return args
    return [args[0], "--auth-token", token, *args[1:]]


def take_models_dir(argv: list[str]) -> tuple[str | None, list[str]]:
    """Our own ``--linli-models-dir DIR`` out of the arguments (Rasa would refuse an unknown flag)."""
    if MODELS_DIR_FLAG in argv:
        i = argv.index(MODELS_DIR_FLAG)
        if i + 1 < len(argv):
            return argv[i + 1], argv[:i] + argv[i + 2:]
    return None, argv


REDACT_FILE = Path(__file__).resolve().parents[1] / "foundation" / "redact.py"


def _private_and_redacted() -> None:
    """Files Rasa creates (the tracker database, its log) are mode 600, and what it logs is redacted.

    ``foundation/redact.py`` is standard library only and valid Python 3.10, so it is loaded here by its path:
    the project itself is not installed in this venv (docs/privacy.md). Without the file Rasa runs unredacted.
    """
    import importlib.util
    import os

    os.umask(0o077)
    spec = importlib.util.spec_from_file_location("linli_redact", REDACT_FILE)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except OSError:
        return
    module.install()


def main() -> None:
    import os

    models_dir, args = take_models_dir(sys.argv[1:])
    _private_and_redacted()
    args = take_token(args, os.environ)
    _validate_action_results_with_one_validator()
    _load_swapped_models_off_the_event_loop(models_dir)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
