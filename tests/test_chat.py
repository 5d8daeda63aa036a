"""chat: the terminal conversation loop, driven by a script of lines and a fake dialogue client."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from assistant.chat import chat_loop, render
from assistant.shared.errors import DialogueUnavailable, InputError, LinliError
from assistant.shared.events import Button, Reply

YES_NO = Reply(text="Did you mean a repair?", buttons=(Button("Yes, a repair", "/affirm"), Button("No", "/deny")))


class FakeClient:
    """Answers each ``send`` with the next scripted item: a list of replies, or an error to raise."""

    def __init__(self, answers: Iterable[list[Reply] | LinliError]) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str]] = []

    def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[Reply]:
        self.sent.append((sender_id, text))
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, LinliError):
            raise answer
        return answer


def script(*lines: str | BaseException) -> Callable[[str], str]:
    """A ``read`` that returns the lines in order, raises any exception given, then EOF."""
    queue = list(lines)

    def read(prompt: str) -> str:
        assert prompt == "You: "
        if not queue:
            raise EOFError
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    return read


def run(client: FakeClient, *lines: str | BaseException, sender_id: str | None = "test-sender") -> list[str]:
    out: list[str] = []
    chat_loop(client, read=script(*lines), write=out.append, sender_id=sender_id)  # type: ignore[arg-type]
    return out


def test_conversation_turns_and_quit() -> None:
    client = FakeClient([[Reply(text="Hello. How can I help?")], [Reply(text="Where is the leak?")]])
    out = run(client, "hello", "my tap is leaking", "quit", "never read")
    assert client.sent == [("test-sender", "hello"), ("test-sender", "my tap is leaking")]
    assert out[0].startswith("Linli text chat.")
    assert out[1:] == ["Linli: Hello. How can I help?", "Linli: Where is the leak?", "Goodbye."]


@pytest.mark.parametrize("word", ["quit", "exit", "/quit", "/exit", "  QUIT  ", "Exit"])
def test_exit_words(word: str) -> None:
    client = FakeClient([])
    assert run(client, word)[-1] == "Goodbye."
    assert client.sent == []


@pytest.mark.parametrize("end", [EOFError(), KeyboardInterrupt()])
def test_eof_and_ctrl_c_end_politely(end: BaseException) -> None:
    client = FakeClient([[Reply(text="Hi.")]])
    out = run(client, "hello", end)
    assert out[-2:] == ["", "Goodbye."]
    assert client.sent == [("test-sender", "hello")]


def test_immediate_eof() -> None:
    out = run(FakeClient([]))
    assert len(out) == 3 and out[1:] == ["", "Goodbye."]


def test_number_picks_a_button_payload() -> None:
    client = FakeClient([[YES_NO], [Reply(text="What is broken?")], [YES_NO], []])
    out = run(client, "the thing is broken", "1", "kitchen tap", " 2 ")
    assert [text for _, text in client.sent] == ["the thing is broken", "/affirm", "kitchen tap", "/deny"]
    assert "   [1] Yes, a repair" in out and "   [2] No" in out


def test_buttons_are_numbered_across_replies() -> None:
    first = Reply(text="One", buttons=(Button("A", "/a"),))
    second = Reply(text="Two", buttons=(Button("B", "/b"),))
    client = FakeClient([[first, second], []])
    out = run(client, "hi", "2")
    assert client.sent[-1] == ("test-sender", "/b")
    assert out[1:5] == ["Linli: One", "   [1] A", "Linli: Two", "   [2] B"]


@pytest.mark.parametrize("choice", ["0", "3", "12", "-1"])
def test_number_without_such_button_is_sent_as_text(choice: str) -> None:
    client = FakeClient([[YES_NO], []])
    run(client, "hi", choice)
    assert client.sent[-1] == ("test-sender", choice)


def test_number_refers_only_to_the_latest_buttons() -> None:
    client = FakeClient([[YES_NO], [Reply(text="No buttons now.")], []])
    run(client, "hi", "something else", "1")
    assert client.sent[-1] == ("test-sender", "1")


def test_linli_error_message_is_shown_and_the_chat_goes_on() -> None:
    client = FakeClient([
        DialogueUnavailable("I cannot answer right now. Please try again in a minute."),
        InputError("I did not get any words."),
        [Reply(text="Back again.")],
    ])
    out = run(client, "hello", "   ", "hello again")
    assert out[1:] == ["Linli: I cannot answer right now. Please try again in a minute.",
                       "Linli: I did not get any words.", "Linli: Back again.", "", "Goodbye."]


def test_hint_is_not_shown_to_the_resident() -> None:
    client = FakeClient([LinliError("Something went wrong.", hint="check var/logs/rasa.log")])
    out = run(client, "hello")
    assert "Linli: Something went wrong." in out
    assert not any("rasa.log" in line for line in out)


def test_other_errors_are_not_swallowed() -> None:
    class Broken(FakeClient):
        def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[Reply]:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        run(Broken([]), "hello")


def test_a_fresh_sender_id_per_chat() -> None:
    first, second = FakeClient([]), FakeClient([])
    run(first, "hi", sender_id=None)
    run(second, "hi", sender_id=None)
    sender_a, sender_b = first.sent[0][0], second.sent[0][0]
    assert sender_a.startswith("chat-") and sender_b.startswith("chat-")
    assert sender_a != sender_b


def test_render_skips_empty_text_but_keeps_buttons() -> None:
    out: list[str] = []
    buttons = render([Reply(text="", buttons=(Button("Call staff", "/human_handoff"),))], out.append)
    assert out == ["   [1] Call staff"]
    assert buttons == [Button("Call staff", "/human_handoff")]
