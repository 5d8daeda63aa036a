"""action_knowledge_answer with the real knowledge base and the real sentence model.

Each test writes a few entries into its own knowledge folder (``knowledge_dir_override``), runs the action
on a tracker as Rasa sends it and checks what the resident is told. The model is loaded once per process
(``encoder._load`` keeps it), so a fresh knowledge base per test costs only the embedding of its questions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue import knowledge_action
from assistant.dialogue.core_actions import KNOWLEDGE_HIT_SLOT, register_skills, skill_help
from assistant.dialogue.knowledge_action import (
    ANSWER,
    ANSWER_SOURCED,
    ANSWER_UNTRANSLATED,
    GONE,
    NOT_FOUND,
    NOT_SURE,
    SHOW_WAY,
    ActionKnowledgeAnswer,
)
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.index import KnowledgeSettings
from assistant.shared.config import Settings
from assistant.skill_runtime import context
from assistant.skill_runtime.outbox import Outbox
from community_services.client import ServicesClient

from .helpers import closed_port

FAQ = """\
entries:
  - id: pets
    questions:
      - Can I keep a dog?
      - am I allowed to have a dog in my flat
      - what are the rules for pets here
    answer: Yes. Dogs must be registered and vaccinated, and kept on a lead in the community.
    source: Community office question sheet
  - id: water-bill
    questions:
      - How do I pay my water and electricity bills?
      - where do I pay the electricity bill
    answer: At the Property Management Office, or at the self-service machine in the Service Centre lobby.
    source: Community office question sheet
    place: property-management-office
  - id: library-card
    questions:
      - How do I get a library card?
      - what do I need for a library card
    answer: Bring your identity card to the Library on the first floor of the Service Centre; the card is free.
    place: library
"""
PETS_ANSWER = "Yes. Dogs must be registered and vaccinated, and kept on a lead in the community."
WIFI = """\
entries:
  - id: wifi
    questions:
      - Is there free internet in the community?
      - is there free wifi here
    answer: There is free Wi-Fi in the Service Centre, the Library and the Elderly Activity Room.
    source: Community office notice board
"""
WIFI_QUESTION = "is there free wifi here"
EXPIRED_QUESTION = "When is the free flu jab campaign this autumn?"
NOT_YET_QUESTION = "When does the outdoor swimming pool open for the summer?"

BETWEEN = "can I keep a cat in my flat"
"""Near the dog entry, but not near enough to answer: a "did you mean" (0.64 with all-MiniLM-L6-v2)."""
UNRELATED = "what is the weather tomorrow"

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.7},
    {"name": "greet", "confidence": 0.4},
    {"name": "facility_hours", "confidence": 0.3},
    {"name": "report_repair", "confidence": 0.2},
    {"name": "out_of_scope", "confidence": 0.1},
    {"name": "navigate_to", "confidence": 0.08},
    {"name": "ask_events", "confidence": 0.05},
]
GUESSES = ["facility_hours", "report_repair", "navigate_to"]
"""``RANKING`` without what is never a guess (nlu_fallback, greet, out_of_scope), best first."""


def dated_entries(today: date) -> str:
    """One entry that expired yesterday and one valid from tomorrow."""
    return f"""\
entries:
  - id: flu-campaign
    questions:
      - {EXPIRED_QUESTION}
    answer: The campaign was on Saturday at the Community Clinic.
    source: Community office notice board
    valid_until: {today - timedelta(days=1)}
    place: community-clinic
  - id: summer-pool
    questions:
      - {NOT_YET_QUESTION}
    answer: The pool opens at nine every morning during the summer holidays.
    source: Community office notice board
    valid_from: {today + timedelta(days=1)}
"""


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "faq.yml").write_text(FAQ, "utf-8")
    return folder


@pytest.fixture
def kiosk(tmp_path: Path, knowledge_dir: Path) -> Iterator[context.SkillContext]:
    """The action server's context: this test's knowledge folder and var dir (services unreachable, unused)."""
    client = ServicesClient(f"http://127.0.0.1:{closed_port()}", "test-kiosk-token", timeout=1.0)
    settings = Settings(var_dir=tmp_path / "var", knowledge_dir_override=knowledge_dir)
    ctx = context.SkillContext(settings=settings, services=client, outbox=Outbox(tmp_path / "outbox.db", client))
    knowledge_action.forget()
    context.configure(ctx)
    yield ctx
    context.configure(None)
    knowledge_action.forget()
    client.close()


def user_turn(text: str) -> dict[str, Any]:
    return {"event": "user", "timestamp": 1700000000.0, "text": text}


def missed_turn(text: str = "blorp the wibble") -> list[dict[str, Any]]:
    """A previous turn the knowledge base could not answer (no knowledge_hit slot)."""
    return [user_turn(text), {"event": "action", "name": "action_knowledge_answer"},
            {"event": "bot", "text": "I am sorry, I cannot help with that yet."},
            {"event": "action", "name": "action_listen"}]


def answered_turn(text: str = "Can I keep a dog?") -> list[dict[str, Any]]:
    """A previous turn the knowledge base answered (as Rasa records it: the slot after the action)."""
    return [user_turn(text), {"event": "action", "name": "action_knowledge_answer"},
            {"event": "bot", "text": PETS_ANSWER}, {"event": "slot", "name": KNOWLEDGE_HIT_SLOT, "value": True},
            {"event": "action", "name": "action_listen"}]


def tracker(text: str, intent: str, *, entities: list[dict[str, Any]] | None = None,
            ranking: list[dict[str, Any]] | None = None, before: list[dict[str, Any]] | None = None) -> Tracker:
    """The tracker Rasa sends for the resident's latest message (``before``: the earlier turns' events)."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or [],
               "intent_ranking": ranking if ranking is not None else [{"name": intent, "confidence": 0.9}]}
    events = [*(before or []), user_turn(text)]
    return Tracker("tester", {KNOWLEDGE_HIT_SLOT: None}, message, events, False, None, {}, "action_listen")


def run(tracker_: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events the action returns and the messages it sent."""
    dispatcher = CollectingDispatcher()
    events = ActionKnowledgeAnswer().run(dispatcher, tracker_, {})
    return events, dispatcher.messages


def ask(text: str, intent: str = "out_of_scope", **kwargs: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run(tracker(text, intent, **kwargs))


def confirm(entry_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The resident presses the "did you mean" button of ``entry_id``."""
    payload = json.dumps({"knowledge_entry": entry_id})
    return ask(f"/knowledge_confirm{payload}", "knowledge_confirm",
               entities=[{"entity": "knowledge_entry", "value": entry_id}])


def only(messages: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(messages) == 1, messages
    return messages[0]


def assert_not_found(events: list[dict[str, Any]], messages: list[dict[str, Any]]) -> None:
    said = only(messages)
    assert said["response"] == NOT_FOUND  # its YAML holds the person buttons
    assert said["buttons"] == []
    assert events == []


def answered(messages: list[dict[str, Any]], answer: str, source: str | None = None,
             place: str | None = None) -> None:
    """The entry's answer (with its source when it has one), and the way when it concerns a place."""
    said, *way = messages
    if source is None:
        assert (said["response"], said["answer"]) == (ANSWER, answer)
    else:
        assert (said["response"], said["answer"], said["source"]) == (ANSWER_SOURCED, answer, source)
    if place is None:
        assert way == []
    else:
        assert [(w["response"], w["place"]) for w in way] == [(SHOW_WAY, place)]


def confirm_button(entry_id: str, title: str) -> dict[str, str]:
    return {"title": title, "payload": f'/knowledge_confirm{{"knowledge_entry": "{entry_id}"}}'}


@pytest.fixture(autouse=True)
def skills_loaded() -> Iterator[None]:
    """The skills the action server would have registered: the ladder guesses them by their intents."""
    register_skills([{"name": name, "intents": [name]} for name in (*GUESSES, "ask_events")])
    yield
    register_skills([])


def ladder(messages: list[dict[str, Any]]) -> tuple[list[dict[str, str]], list[str]]:
    """The fallback ladder as said: the entries offered first (buttons of its opening response) and the skills
    guessed (one help response each, with its own button), between its opening and its "something else"."""
    names = [m.get("response") for m in messages]
    assert names[0] == "utter_fallback_guess" and names[-1] == "utter_fallback_something_else", names
    guessed = [str(n).removeprefix("utter_skill_help_") for n in names[1:-1]]
    assert all(skill_help(g) == n for g, n in zip(guessed, names[1:-1], strict=True)), names
    return list(messages[0].get("buttons") or []), guessed


@pytest.fixture
def consult_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the knowledge base is consulted with (the real search still runs)."""
    calls: list[str] = []
    real = KnowledgeBase.consult

    def spy(self: KnowledgeBase, text: str, language: str = "en") -> Any:
        calls.append(text)
        return real(self, text, language)

    monkeypatch.setattr(KnowledgeBase, "consult", spy)
    return calls


# --- 1. a confident answer ----------------------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_a_confident_question_is_answered_with_its_source_and_the_way() -> None:
    events, messages = ask("where can I pay my electricity bill")
    answered(messages, "At the Property Management Office, or at the self-service machine in the Service "
             "Centre lobby.", "Community office question sheet", "property-management-office")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


@pytest.mark.usefixtures("kiosk")
def test_an_entry_without_a_place_has_no_way_button() -> None:
    events, messages = ask("am I allowed to keep a dog in my flat?")
    answered(messages, PETS_ANSWER, "Community office question sheet")
    assert SlotSet(KNOWLEDGE_HIT_SLOT, True) in events


@pytest.mark.usefixtures("kiosk")
def test_an_entry_without_a_source_names_none() -> None:
    events, messages = ask("what do I need to get a library card")
    answered(messages, "Bring your identity card to the Library on the first floor of the Service Centre; "
             "the card is free.", None, "library")
    assert "source" not in messages[0]
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


# --- 2. nothing near ----------------------------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_an_unrelated_question_is_offered_a_person() -> None:
    base = knowledge_action.knowledge_base()
    assert base is not None and base.search(UNRELATED)[0].score < KnowledgeSettings().suggest
    events, messages = ask(UNRELATED)
    assert_not_found(events, messages)


# --- 3. between the thresholds: "did you mean" ---------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_a_question_between_the_thresholds_is_offered_the_entry() -> None:
    settings = KnowledgeSettings()
    base = knowledge_action.knowledge_base()
    assert base is not None
    best, *rest = base.search(BETWEEN)
    assert best.entry.id == "pets"
    assert settings.suggest <= best.score < settings.threshold, best.score
    assert all(m.score < settings.suggest for m in rest)  # only the dog entry is offered

    events, messages = ask(BETWEEN)
    said = only(messages)
    assert said["response"] == NOT_SURE  # "No, ask a person" is in its YAML
    assert said["buttons"] == [confirm_button("pets", "Can I keep a dog?")]
    assert events == []


@pytest.mark.usefixtures("kiosk")
def test_the_offered_button_answers_when_pressed() -> None:
    _, messages = ask(BETWEEN)
    payload = only(messages)["buttons"][0]["payload"]
    intent, _, entities = payload[1:].partition("{")
    entry_id = json.loads("{" + entities)["knowledge_entry"]
    assert intent == "knowledge_confirm" and entry_id == "pets"
    events, messages = confirm(entry_id)
    answered(messages, PETS_ANSWER, "Community office question sheet")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


# --- 4. a "did you mean" button pressed ----------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_a_confirmed_entry_is_answered() -> None:
    events, messages = confirm("water-bill")
    answered(messages, "At the Property Management Office, or at the self-service machine in the Service "
             "Centre lobby.", "Community office question sheet", "property-management-office")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


@pytest.mark.usefixtures("kiosk")
def test_an_unknown_or_missing_entry_is_gone() -> None:
    for events, messages in (confirm("no-such-entry"),
                             ask('/knowledge_confirm{"knowledge_entry": "pets"}', "knowledge_confirm")):
        said = only(messages)
        assert said["response"] == GONE
        assert events == []


@pytest.mark.usefixtures("kiosk")
def test_an_expired_entry_is_gone_when_confirmed(knowledge_dir: Path) -> None:
    (knowledge_dir / "notices.yml").write_text(dated_entries(date.today()), "utf-8")
    base = knowledge_action.knowledge_base()
    assert base is not None and {e.id for e in base.entries} >= {"flu-campaign", "summer-pool"}
    for entry_id in ("flu-campaign", "summer-pool"):
        events, messages = confirm(entry_id)
        said = only(messages)
        assert said["response"] == GONE, entry_id
        assert events == []


# --- 5. low confidence: the fallback ladder ------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_no_hit_goes_down_the_ladder() -> None:
    events, messages = ask(UNRELATED, "nlu_fallback", ranking=RANKING)
    assert ladder(messages) == ([], GUESSES)
    assert events == []


@pytest.mark.usefixtures("kiosk")
def test_a_suggestion_comes_first_on_the_ladder() -> None:
    events, messages = ask(BETWEEN, "nlu_fallback", ranking=RANKING)
    assert ladder(messages) == ([confirm_button("pets", "Can I keep a dog?")], GUESSES[:2])
    assert events == []


@pytest.mark.usefixtures("kiosk")
def test_a_confident_hit_answers_instead_of_the_ladder() -> None:
    events, messages = ask("where do I pay the electricity bill", "nlu_fallback", ranking=RANKING,
                           before=missed_turn())
    assert messages[0]["answer"].startswith("At the Property Management Office")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


@pytest.mark.usefixtures("kiosk")
def test_a_second_miss_in_a_row_offers_a_person() -> None:
    events, messages = ask(UNRELATED, "nlu_fallback", ranking=RANKING, before=missed_turn())
    assert only(messages)["response"] == "utter_fallback_offer_person"  # its YAML holds the person buttons
    assert events == []


@pytest.mark.usefixtures("kiosk")
def test_a_second_miss_closer_to_an_entry_still_offers_it_with_a_person() -> None:
    events, messages = ask(BETWEEN, "nlu_fallback", ranking=RANKING, before=missed_turn())
    said = only(messages)
    assert said["response"] == "utter_fallback_still_unsure"  # with the person button of its YAML
    assert said["buttons"] == [confirm_button("pets", "Can I keep a dog?")]
    assert events == []


@pytest.mark.usefixtures("kiosk")
@pytest.mark.parametrize("intent", ["knowledge_question", "out_of_scope"])
def test_a_question_the_model_routes_here_is_answered_or_offered(intent: str) -> None:
    events, messages = ask("Can I keep a dog?", intent)
    assert only(messages)["answer"] == PETS_ANSWER and events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]
    _, near = ask(BETWEEN, intent, ranking=RANKING)
    if intent == "out_of_scope":
        said = only(near)
        assert said["response"] == NOT_SURE
        assert said["buttons"][0] == confirm_button("pets", "Can I keep a dog?")
    else:  # the model may have mistaken a skill's phrasing for a knowledge question: its guesses come too
        assert ladder(near) == ([confirm_button("pets", "Can I keep a dog?")], GUESSES[:2])


@pytest.mark.usefixtures("kiosk")
def test_a_turn_the_knowledge_base_answered_is_not_a_miss() -> None:
    events, messages = ask(UNRELATED, "nlu_fallback", ranking=RANKING, before=[*missed_turn(), *answered_turn()])
    assert ladder(messages) == ([], GUESSES)
    assert events == []


@pytest.mark.usefixtures("kiosk")
def test_a_miss_two_turns_back_is_not_in_a_row() -> None:
    events, messages = ask(UNRELATED, "nlu_fallback", ranking=RANKING,
                           before=[*missed_turn(), user_turn("hello"), {"event": "action", "name": "utter_greet"},
                                   {"event": "action", "name": "action_listen"}])
    assert ladder(messages)[1] == GUESSES


# --- 6. entries outside their dates ---------------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_entries_outside_their_dates_are_never_answered(knowledge_dir: Path) -> None:
    today = date.today()
    (knowledge_dir / "notices.yml").write_text(dated_entries(today), "utf-8")
    base = knowledge_action.knowledge_base()
    assert base is not None
    for question, entry_id in ((EXPIRED_QUESTION, "flu-campaign"), (NOT_YET_QUESTION, "summer-pool")):
        # the exact question: it would be answered if the dates were not checked
        every = base.index.search(question, today, valid_only=False)
        assert every[0].entry.id == entry_id and every[0].score > 0.99
        assert all(m.entry.id != entry_id for m in base.search(question))

        assert_not_found(*ask(question))
        events, messages = ask(question, "nlu_fallback", ranking=RANKING)
        assert ladder(messages) == ([], GUESSES)
        assert events == []


@pytest.mark.usefixtures("kiosk")
def test_dated_entries_are_answered_within_their_dates(knowledge_dir: Path) -> None:
    """The other side of the test above: the same entries, valid today, are answered."""
    today = date.today()
    (knowledge_dir / "notices.yml").write_text(dated_entries(today + timedelta(days=1)), "utf-8")
    events, messages = ask(EXPIRED_QUESTION)  # valid until today
    answered(messages, "The campaign was on Saturday at the Community Clinic.", "Community office notice board",
             "community-clinic")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]
    (knowledge_dir / "notices.yml").write_text(dated_entries(today - timedelta(days=1)), "utf-8")
    events, messages = ask(NOT_YET_QUESTION)  # valid from today
    assert only(messages)["answer"].startswith("The pool opens at nine")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


# --- 7. button payloads and empty text ------------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
@pytest.mark.parametrize("text", ["/Can I keep a dog?", '/out_of_scope{"x": "Can I keep a dog?"}', "", "   "])
def test_payloads_and_empty_text_are_never_searched(text: str, consult_calls: list[str]) -> None:
    assert_not_found(*ask(text))
    assert consult_calls == []
    events, messages = ask("Can I keep a dog?")  # the same question, typed, is searched and answered
    assert consult_calls == ["Can I keep a dog?"]
    assert only(messages)["answer"] == PETS_ANSWER


# --- 8. broken and changing folders -------------------------------------------------------------


@pytest.mark.usefixtures("kiosk")
def test_a_broken_folder_offers_a_person(knowledge_dir: Path) -> None:
    (knowledge_dir / "faq.yml").write_text("entries:\n  - id: pets\n    questions: [Can I keep a dog?\n", "utf-8")
    events, messages = ask("Can I keep a dog?")
    assert_not_found(events, messages)
    base = knowledge_action.knowledge_base()
    assert base is not None and base.problem is not None and "faq.yml" in base.problem
    assert base.entries == ()
    events, messages = ask("Can I keep a dog?", "nlu_fallback", ranking=RANKING)
    assert ladder(messages)[1] == GUESSES

    (knowledge_dir / "faq.yml").write_text(FAQ, "utf-8")  # the admin fixes the file: no restart needed
    events, messages = ask("Can I keep a dog?")
    assert only(messages)["answer"] == PETS_ANSWER
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


def test_a_missing_model_offers_a_person(kiosk: context.SkillContext, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The knowledge base cannot be built at all (the sentence model is not installed): no exception."""
    monkeypatch.setenv("LINLI_KB_MODEL", str(tmp_path / "no-model"))
    assert_not_found(*ask("Can I keep a dog?"))
    assert knowledge_action.knowledge_base() is None
    events, messages = ask("Can I keep a dog?", "nlu_fallback", ranking=RANKING)
    assert ladder(messages) == ([], GUESSES)
    events, messages = confirm("pets")
    assert only(messages)["response"] == GONE


@pytest.mark.usefixtures("kiosk")
def test_a_file_added_later_is_answered_on_the_next_question(knowledge_dir: Path) -> None:
    assert_not_found(*ask(WIFI_QUESTION))
    base = knowledge_action.knowledge_base()
    (knowledge_dir / "wifi.yml").write_text(WIFI, "utf-8")
    events, messages = ask(WIFI_QUESTION)
    assert knowledge_action.knowledge_base() is base  # the same knowledge base: nothing restarted
    answered(messages, "There is free Wi-Fi in the Service Centre, the Library and the Elderly Activity Room.",
             "Community office notice board")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]
    assert only(confirm("wifi")[1])["answer"].startswith("There is free Wi-Fi")


def test_a_knowledge_base_that_failed_to_load_is_tried_again_after_a_while(
        kiosk: context.SkillContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """E.g. the sentence model was installed after the action server started: no restart needed."""
    from assistant.knowledge import base as base_module
    from assistant.shared.errors import LinliError

    real = base_module.KnowledgeBase
    attempts: list[int] = []

    def not_yet(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise LinliError("the sentence model is not installed")
        return real(*args, **kwargs)

    monkeypatch.setattr(base_module, "KnowledgeBase", not_yet)
    now = [1000.0]
    assert knowledge_action.knowledge_base(clock=lambda: now[0]) is None
    now[0] += knowledge_action.RETRY_AFTER_S / 2
    assert knowledge_action.knowledge_base(clock=lambda: now[0]) is None
    assert len(attempts) == 1, "a resident's turn must not pay for a failing load every time"
    now[0] += knowledge_action.RETRY_AFTER_S
    loaded = knowledge_action.knowledge_base(clock=lambda: now[0])
    assert loaded is not None and len(attempts) == 2
    assert loaded.answer("Can I keep a dog?") is not None


# --- 9. the conversation's language ----------------------------------------------------------------

FAQ_ZH = """\
entries:
  pets:
    answer: 可以养。狗要登记、要打疫苗，在小区里要牵绳。
    source: 社区办事问答单
    questions:
      - 小区里能养狗吗？
      - 我想养只小狗，有什么规定没有
  water-bill:
    answer: 可以到物业办公室交，也可以用服务中心大厅的自助机交。
    questions:
      - 水电费在哪儿交？
  library-card:
    questions:
      - 借书证怎么办？
"""
"""Chinese answers for two of the three FAQ entries: the library card has Chinese questions, no answer yet."""


@pytest.fixture
def chinese(knowledge_dir: Path) -> Path:
    (knowledge_dir / "faq.zh-CN.yml").write_text(FAQ_ZH, "utf-8")
    return knowledge_dir


def turn_in(text: str, locale: str | None, intent: str = "out_of_scope") -> tuple[list[dict[str, Any]],
                                                                                  list[dict[str, Any]]]:
    """The resident's turn as a front end sends it: ``locale`` in the metadata (the kiosk's 中文 button)."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
               "intent_ranking": [{"name": intent, "confidence": 0.9}]}
    event = {**user_turn(text), **({"metadata": {"locale": locale}} if locale else {})}
    return run(Tracker("tester", {KNOWLEDGE_HIT_SLOT: None}, message, [event], False, None, {}, "action_listen"))


@pytest.mark.usefixtures("kiosk", "chinese")
def test_a_chinese_question_is_answered_in_chinese_with_the_chinese_source() -> None:
    events, messages = turn_in("请问，小区让不让养狗啊？", None)
    answered(messages, "可以养。狗要登记、要打疫苗，在小区里要牵绳。", "社区办事问答单")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]


@pytest.mark.usefixtures("kiosk", "chinese")
def test_a_chinese_answer_without_its_own_source_keeps_the_entry_s() -> None:
    _, messages = turn_in("电费要去哪里交", None)
    answered(messages, "可以到物业办公室交，也可以用服务中心大厅的自助机交。", "Community office question sheet",
             "property-management-office")


@pytest.mark.usefixtures("kiosk", "chinese")
def test_the_kiosk_locale_decides_even_for_words_typed_in_english() -> None:
    """中文 pressed on the kiosk, "wifi"-style English typed: the answer is still in Chinese."""
    _, messages = turn_in("Can I keep a dog?", "zh-CN")
    answered(messages, "可以养。狗要登记、要打疫苗，在小区里要牵绳。", "社区办事问答单")
    _, english = turn_in("Can I keep a dog?", "en")
    answered(english, PETS_ANSWER, "Community office question sheet")


@pytest.mark.usefixtures("kiosk", "chinese")
def test_an_entry_without_chinese_is_said_in_english_with_a_note() -> None:
    events, messages = turn_in("我想办个借书证，要带什么", None)
    said, way = messages
    assert said["response"] == ANSWER_UNTRANSLATED
    assert said["answer"] == ("Bring your identity card to the Library on the first floor of the Service Centre; "
                              "the card is free.")
    assert (way["response"], way["place"]) == (SHOW_WAY, "library")
    assert events == [SlotSet(KNOWLEDGE_HIT_SLOT, True)]
    _, english = turn_in("what do I need to get a library card", None)  # English: no note
    assert english[0]["response"] == ANSWER


@pytest.mark.usefixtures("kiosk", "chinese")
def test_did_you_mean_buttons_are_titled_in_the_conversation_s_language() -> None:
    base = knowledge_action.knowledge_base()
    assert base is not None
    chinese_index = base.index_for("zh-CN")
    question = "家里养猫有没有什么规定"  # near the dog entry, not near enough to answer
    best = chinese_index.search(question, date.today())[0]
    assert best.entry.id == "pets"
    assert chinese_index.settings.suggest <= best.score < chinese_index.settings.threshold, best.score
    _, messages = turn_in(question, None)
    said = only(messages)
    assert said["response"] == NOT_SURE
    assert said["buttons"] == [confirm_button("pets", "小区里能养狗吗？")]
    events, pressed = run(tracker('/knowledge_confirm{"knowledge_entry": "pets"}', "knowledge_confirm",
                                  entities=[{"entity": "knowledge_entry", "value": "pets"}],
                                  before=[{**user_turn(question), "metadata": {"locale": "zh-CN"}}]))
    answered(pressed, "可以养。狗要登记、要打疫苗，在小区里要牵绳。", "社区办事问答单")


@pytest.mark.usefixtures("kiosk", "chinese")
def test_an_unrelated_chinese_question_is_offered_a_person() -> None:
    assert_not_found(*turn_in("明天天气怎么样", None))
