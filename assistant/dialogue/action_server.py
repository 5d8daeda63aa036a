"""The action server: rasa-sdk's HTTP endpoint serving the core actions and every skill's actions.

Run with ``python -m assistant.dialogue.action_server``. It sets up the skills' context (services
client, outbox, kiosk settings), starts the outbox sender, and wraps each action so an unexpected error
becomes a kind sentence for the resident and a traceback in the log — never a broken conversation.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from assistant.dialogue import core_actions, knowledge_action
from assistant.dialogue.action_server_reload import SkillActionsReloader, add_reload_route
from assistant.dialogue.handoff_actions import HANDOFF_ACTIONS
from assistant.dialogue.knowledge_action import ActionKnowledgeAnswer
from assistant.shared.config import LOOPBACK, Settings, current, load_settings
from assistant.skill_runtime import context
from assistant.skill_runtime.loader import LoadedSkill, load_skills
from assistant.skill_runtime.outbox import CONVERSATION, Outbox
from assistant.skill_runtime.retention import Sweeper
from community_services.client import ServicesClient
from foundation import redact
from foundation.private_files import private_umask

log = logging.getLogger("linli.actions")
SORRY = "utter_something_went_wrong"
"""Core response said when an action fails unexpectedly."""


def safe(action_class: type[Action]) -> type[Action]:
    """Subclass that turns any unexpected exception into a spoken apology (form rejections pass through)."""

    class Safe(action_class):
        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[dict[str, Any]]:
            conversation = CONVERSATION.set(tracker.sender_id)  # outbox items remember their conversation
            try:
                result = super().run(dispatcher, tracker, domain)
                if inspect.isawaitable(result):
                    result = await result
                return list(result or [])
            except ActionExecutionRejection:
                raise
            except Exception:
                log.exception("action %s failed", self.name())
                dispatcher.utter_message(response=SORRY)
                return []
            finally:
                CONVERSATION.reset(conversation)

    Safe.__name__ = Safe.__qualname__ = action_class.__name__
    Safe.__module__ = action_class.__module__
    return Safe


def build_executor(skills: list[LoadedSkill]) -> ActionExecutor:
    executor = ActionExecutor()
    for cls in (*core_actions.CORE_ACTIONS, *HANDOFF_ACTIONS, ActionKnowledgeAnswer):
        executor.register_action(safe(cls))
    for skill in skills:
        for cls in skill.action_classes.values():
            executor.register_action(safe(cls))
    core_actions.register_skills([
        {"name": s.name, "help": s.spec.help, "intents": list(s.spec.intents)}
        for s in sorted(skills, key=lambda s: (s.spec.rank, s.name))
    ])
    return executor


def setup_context(settings: Settings) -> context.SkillContext:
    client = ServicesClient(settings.services_url, settings.kiosk_token)
    outbox = Outbox(settings.outbox_path, client)
    ctx = context.SkillContext(settings=settings, services=client, outbox=outbox)
    context.configure(ctx)
    return ctx


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Linli action server (rasa-sdk)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--sender-interval", type=float, default=5.0,
                        help="seconds between outbox delivery attempts while items wait")
    args = parser.parse_args(argv)
    private_umask()  # the outbox and anything else this process creates: mode 600
    logging.basicConfig(level=current("log_level"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact.install()
    settings = load_settings()
    port = args.port or settings.actions_port
    skills = load_skills(settings.root / "skills", settings.root / "nlu_data")
    executor = build_executor(skills)
    ctx = setup_context(settings)
    ctx.outbox.start_sender(args.sender_interval)
    # privacy by retention (docs/privacy.md): old conversations and finished outbox items, now and every hour
    sweeper = Sweeper(settings.tracker_db_path, ctx.outbox, settings.retention_days)
    sweeper.start()
    # the sentence model takes a few seconds to load: before the first resident asks, not during
    threading.Thread(target=knowledge_action.warm_up, name="linli-knowledge-warm-up", daemon=True).start()
    app = create_app(executor, cors_origins=[])
    # live reload (docs/knowledge.md): `linli run` asks for new skill actions after a skill change
    add_reload_route(app, SkillActionsReloader(executor, settings, build_executor), settings.reload_token)
    # loopback only, whatever LINLI_HOST says: /webhook takes any slots from whoever calls it (docs/security.md)
    log.info("action server: %d skills, listening on %s:%d", len(skills), LOOPBACK, port)
    try:
        app.run(host=LOOPBACK, port=port, single_process=True, access_log=False, motd=False)
    finally:
        sweeper.stop()
        ctx.outbox.stop_sender()


if __name__ == "__main__":
    main()
