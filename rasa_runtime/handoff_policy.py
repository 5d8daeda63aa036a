"""While a person from the office talks with the resident, the assistant stays quiet and passes words on.

``action_human_handoff`` sets the slot ``handoff_reference`` when the office opened a live conversation. While
it is set, this policy predicts ``action_relay_to_person`` for each resident turn (typed, tapped or said: they
all arrive as the same REST turn), then ``action_listen``. These intents go through to the rules as usual:
``back_to_assistant`` (ends the handoff), ``emergency_help`` and ``emergency_confirmed`` (an emergency, or the
front end's unanswered "Do you need help right now?", is never only relayed) and Rasa's
own ``restart``/``session_start``. Why a policy and not rules: rules need one per intent (and per form); one
small deterministic policy with a priority above the ``RulePolicy`` says the same thing once, keeps the state
in Rasa's own tracker, and needs no training.

Loaded by name (``handoff_policy.HandoffPolicy`` in ``config.yml``): ``rasa_runtime/linli_rasa.py`` runs with
this folder first on ``sys.path``, for training as well as serving.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

HANDOFF_SLOT = "handoff_reference"
RELAY_ACTION = "action_relay_to_person"
PASS_THROUGH_INTENTS = frozenset({"back_to_assistant", "emergency_help", "emergency_confirmed", "restart",
                                  "session_start"})
PRIORITY = 7
"""Above the RulePolicy (6): on equal confidence the handoff wins."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": PRIORITY}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the behaviour is the rule above

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_action(tracker.get_slot(HANDOFF_SLOT), tracker.latest_action_name,
                             (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None)
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)


def next_action(handoff: object, latest_action: str | None, intent: str | None) -> str | None:
    """The action this policy insists on, or ``None`` to leave the turn to the others."""
    if not handoff:
        return None
    if latest_action == ACTION_LISTEN_NAME:
        return None if intent in PASS_THROUGH_INTENTS else RELAY_ACTION
    if latest_action == RELAY_ACTION:
        return ACTION_LISTEN_NAME
    return None
