"""rasa_client: cleaning what residents type, and a client whose every failure is a readable LinliError."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from assistant.dialogue.rasa_client import (
    MAX_TEXT_CHARS,
    UNAVAILABLE,
    ConversationClient,
    check_sender,
    clean_text,
)
from assistant.shared.errors import DialogueUnavailable, InputError, LinliError
from assistant.shared.events import Button, Reply, SpeechRate, StartIntent, navigate

from .helpers import closed_port

# --- clean_text ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("hello", "hello"),
    ("  my tap   is leaking \n", "my tap is leaking"),
    ("line one\nline two\tand a tab", "line one line two and a tab"),
    ("我家的水龙头漏水了", "我家的水龙头漏水了"),
    ("thank you 😀👍🏽", "thank you 😀👍🏽"),
    ("family 👨‍👩‍👧 and flag 🇨🇳 and ❤️", "family 👨‍👩‍👧 and flag 🇨🇳 and ❤️"),
    ("new emoji \U0001fae8", "new emoji \U0001fae8"),  # newer than this Python's Unicode tables
    ("bell\x07 null\x00 esc\x1b[31m red", "bell null esc[31m red"),
    ("del\x7f and c1\x85 gone", "del and c1 gone"),
    ("bidi \u202eevil\u202c text", "bidi evil text"),
    ("zero\u200bwidth space", "zerowidth space"),
    ("private \ue000 use", "private use"),
    ("\ufeffbom first", "bom first"),
])
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\t\r", "\x00\x01\x02", "\u200b\u202e", " \x1b "])
def test_empty_text_is_refused_kindly(text: str) -> None:
    with pytest.raises(InputError) as err:
        clean_text(text)
    assert err.value.message == "I did not get any words. Please type or say your question."


def test_longest_allowed_text() -> None:
    text = "a" * MAX_TEXT_CHARS
    assert clean_text(text) == text
    assert clean_text("  " + text + "  \n") == text  # counted after cleaning


def test_20_kb_paste_is_refused_kindly() -> None:
    with pytest.raises(InputError) as err:
        clean_text("my tap is leaking " * 1200)  # ~21 kB
    assert err.value.message == "That is too long for me. Please say it in one or two short sentences."


def test_20_kb_of_spaces_is_empty_not_too_long() -> None:
    with pytest.raises(InputError, match="did not get any words"):
        clean_text(" " * 20_000)


@pytest.mark.parametrize("value", [None, 42, 3.5, b"bytes", ["list"], {"text": "hi"}, object()])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(InputError) as err:
        clean_text(value)
    assert err.value.message == "Please type or say your question in words."


# --- check_sender ----------------------------------------------------------------------------------

@pytest.mark.parametrize("sender", ["kiosk-1", "chat-0a1b2c3d4e", "a", "user@lobby:2", "x.y_z", "A" * 64])
def test_valid_senders(sender: str) -> None:
    assert check_sender(sender) == sender


@pytest.mark.parametrize("sender", ["", " ", "has space", "a/b", "../tracker", "A" * 65, "é", "kiosk\n1",
                                    None, 7, b"kiosk", ["kiosk"]])
def test_invalid_senders(sender: object) -> None:
    with pytest.raises(InputError, match="invalid id"):
        check_sender(sender)


# --- ConversationClient against nothing ------------------------------------------------------------

@pytest.fixture
def down() -> Iterator[ConversationClient]:
    with ConversationClient(f"http://127.0.0.1:{closed_port()}", "token", timeout=2) as client:
        yield client


def test_unreachable_send_is_dialogue_unavailable(down: ConversationClient) -> None:
    with pytest.raises(DialogueUnavailable) as err:
        down.send("kiosk-1", "hello")
    assert err.value.message == UNAVAILABLE
    assert "try again" in err.value.message.lower()
    assert "http" not in err.value.message.lower() and "127.0.0.1" not in err.value.message
    assert isinstance(err.value.__cause__, httpx.HTTPError)


@pytest.mark.parametrize("call", [
    lambda c: c.status(),
    lambda c: c.tracker("kiosk-1"),
    lambda c: c.reset("kiosk-1"),
])
def test_unreachable_api_calls_are_dialogue_unavailable(down: ConversationClient,
                                                        call: Callable[[ConversationClient], Any]) -> None:
    with pytest.raises(DialogueUnavailable, match="not running"):
        call(down)


def test_unreachable_health_is_false(down: ConversationClient) -> None:
    assert down.health() is False


def test_bad_input_is_refused_before_any_request(down: ConversationClient) -> None:
    with pytest.raises(InputError):
        down.send("kiosk-1", "   ")
    with pytest.raises(InputError):
        down.send("bad sender", "hello")


# --- ConversationClient against a fake Rasa ---------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def fake(handler: Handler) -> ConversationClient:
    return ConversationClient("http://rasa.test/", "secret", transport=httpx.MockTransport(handler))


def test_send_posts_to_the_rest_channel_and_parses_replies() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[
            {"recipient_id": "kiosk-1", "text": "Where is the leak?"},
            {"text": "Pick one", "buttons": [{"title": "Kitchen", "payload": "/inform{\"place\": \"kitchen\"}"},
                                             {"title": "Bathroom"}, "not a button"]},
            {"custom": {"speech_rate": "slower"}},
            {"image": "http://x/y.png"},
            "not a message",
        ])

    with fake(handler) as client:
        assert client.base_url == "http://rasa.test"
        replies = client.send("kiosk-1", "  my tap\x00 is leaking ", metadata={"kiosk": "lobby"})
    assert replies == [
        Reply(text="Where is the leak?"),
        Reply(text="Pick one", buttons=(Button("Kitchen", '/inform{"place": "kitchen"}'), Button("Bathroom", ""))),
        Reply(text="", data=(SpeechRate("slower"),)),
        Reply(text=""),
    ]
    [request] = seen
    assert request.method == "POST"
    assert request.url.path == "/webhooks/rest/webhook"
    assert request.url.params["token"] == "secret"
    assert json.loads(request.content) == {"sender": "kiosk-1", "message": "my tap is leaking",
                                           "metadata": {"kiosk": "lobby"}}


@pytest.mark.parametrize("response", [
    httpx.Response(500, text="boom"),
    httpx.Response(503),
    httpx.Response(401, json={"message": "bad token"}),
    httpx.Response(404),
    httpx.Response(204),
    httpx.Response(200, text="<html>not json</html>"),
    httpx.Response(200, json={"not": "a list"}),
    httpx.Response(200, json="text"),
])
def test_send_failures_are_dialogue_unavailable(response: httpx.Response) -> None:
    with fake(lambda request: response) as client, pytest.raises(DialogueUnavailable) as err:
        client.send("kiosk-1", "hello")
    assert err.value.message and "Traceback" not in err.value.message


def test_empty_reply_list_is_fine() -> None:
    with fake(lambda request: httpx.Response(200, json=[])) as client:
        assert client.send("kiosk-1", "hello") == []


@pytest.mark.parametrize("status", [401, 403, 404, 500])
@pytest.mark.parametrize("call", ["status", "tracker", "reset"])
def test_api_errors_are_linli_errors(status: int, call: str) -> None:
    with fake(lambda request: httpx.Response(status, json={"message": "no"})) as client, \
            pytest.raises(LinliError):
        getattr(client, call)(*(() if call == "status" else ("kiosk-1",)))


def test_status_tracker_and_reset_requests() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz", "fingerprint": {}})
        if request.url.path == "/":
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        return httpx.Response(200, json={"sender_id": "kiosk-1", "events": []})

    with fake(handler) as client:
        assert client.health() is True
        assert client.status()["model_file"] == "m.tar.gz"
        assert client.tracker("kiosk-1")["sender_id"] == "kiosk-1"
        client.reset("kiosk-1")
        with pytest.raises(InputError):
            client.tracker("../../etc")
    assert [(r.method, r.url.path) for r in seen] == [
        ("GET", "/"), ("GET", "/status"), ("GET", "/conversations/kiosk-1/tracker"),
        ("POST", "/conversations/kiosk-1/tracker/events"),
    ]
    assert json.loads(seen[-1].content) == {"event": "restart"}
    assert all(r.url.params.get("token") == "secret" for r in seen[1:])


def test_health_is_false_on_errors() -> None:
    with fake(lambda request: httpx.Response(503)) as client:
        assert client.health() is False


def test_a_command_is_sent_in_rasas_intent_syntax() -> None:
    """Front ends send a typed command; the client writes Rasa's ``/intent{...}`` (tests/dialogue/test_wire.py)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with fake(handler) as client:
        client.send("kiosk-1", StartIntent("report_repair"))
        client.send("kiosk-1", navigate("community-clinic", step_free=True))
    assert [json.loads(r.content)["message"] for r in seen] == [
        "/report_repair", '/navigate_to{"facility": "community-clinic", "access": "step-free"}']


# --- the conversation's language ------------------------------------------------------------------------------

def sent_bodies(client_kwargs: dict[str, Any], turns: list[str | StartIntent]) -> tuple[list[dict[str, Any]],
                                                                                     list[str]]:
    seen: list[dict[str, Any]] = []
    switched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=[])

    with ConversationClient("http://rasa.test/", "secret", transport=httpx.MockTransport(handler),
                            on_language=switched.append, **client_kwargs) as client:
        for turn in turns:
            client.send("kiosk-1", turn, {"source": "text"})
    return seen, switched


def test_every_turn_carries_the_conversations_locale() -> None:
    bodies, switched = sent_bodies({"language": "zh-CN", "languages": ("en", "zh-CN")},
                                   ["3", StartIntent("report_repair"), "/affirm"])
    assert [b["metadata"] for b in bodies] == [{"source": "text", "locale": "zh-CN"}] * 3
    assert switched == []  # digits, a command, a payload say nothing about the language


def test_typed_chinese_switches_the_conversation_before_the_turn_is_sent() -> None:
    bodies, switched = sent_bodies({"language": "en", "languages": ("en", "zh-CN")},
                                   ["hello", "请问那个诊所几点开门", "/affirm", "I want to book"])
    assert [b["metadata"].get("locale") for b in bodies] == ["en", "zh-CN", "zh-CN", "en"]
    assert switched == ["zh-CN", "en"]


def test_a_language_the_community_does_not_offer_does_not_switch() -> None:
    bodies, switched = sent_bodies({"language": "en", "languages": ("en",)}, ["我家厨房漏水了"])
    assert bodies[0]["metadata"]["locale"] == "en" and switched == []


def test_no_language_sends_no_locale() -> None:
    bodies, _ = sent_bodies({}, ["我家厨房漏水了"])
    assert bodies[0]["metadata"] == {"source": "text"}
