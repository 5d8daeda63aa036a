"""IdlePolicy: clear after inactivity, but ask first when something is half done, and never cut off speech."""

from __future__ import annotations

import pytest

from kiosk_app.idle import Action, IdlePolicy


class FakeClock:
    """Fake: the policy's clock, moved by hand so no test sleeps."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(clock: FakeClock) -> IdlePolicy:
    return IdlePolicy(idle_seconds=90, confirm_seconds=20, clock=clock)


def tick(policy: IdlePolicy, now: float, *, form: bool = False, speaking: bool = False, listening: bool = False,
         on_home: bool = False) -> Action:
    return policy.tick(now, form_in_progress=form, speaking=speaking, listening=listening, on_home=on_home)


def test_defaults() -> None:
    policy = IdlePolicy()
    assert (policy.idle_seconds, policy.confirm_seconds) == (90, 20)
    assert not policy.asking


@pytest.mark.parametrize(("idle", "confirm"), [(0, 20), (90, 0), (-1, 20), (90, -5)])
def test_times_must_be_positive(idle: float, confirm: float) -> None:
    with pytest.raises(ValueError):
        IdlePolicy(idle, confirm)


def test_nothing_happens_before_the_idle_time(policy: IdlePolicy, clock: FakeClock) -> None:
    for dt in (0, 1, 45, 89.9):
        assert tick(policy, clock.now + dt) is Action.NONE
    assert not policy.asking


def test_nothing_half_done_resets_directly(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90) is Action.RESET
    assert not policy.asking


def test_reset_is_returned_once_then_the_idle_time_starts_again(policy: IdlePolicy, clock: FakeClock) -> None:
    t = clock.now + 90
    assert tick(policy, t) is Action.RESET
    assert tick(policy, t + 1) is Action.NONE
    assert tick(policy, t + 89) is Action.NONE
    assert tick(policy, t + 90) is Action.RESET


def test_touch_restarts_the_idle_time(policy: IdlePolicy, clock: FakeClock) -> None:
    clock.now += 80
    policy.touch()
    assert tick(policy, clock.now + 80) is Action.NONE
    assert tick(policy, clock.now + 90) is Action.RESET


def test_activity_counts_like_a_touch(policy: IdlePolicy, clock: FakeClock) -> None:
    clock.now += 85
    policy.activity()  # e.g. a reply was being spoken
    assert tick(policy, clock.now + 10) is Action.NONE


def test_touch_accepts_an_explicit_time(policy: IdlePolicy, clock: FakeClock) -> None:
    policy.touch(clock.now + 50)
    assert tick(policy, clock.now + 139) is Action.NONE
    assert tick(policy, clock.now + 140) is Action.RESET


def test_ask_first_when_a_form_is_half_done(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 89, form=True) is Action.NONE
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    assert policy.asking


def test_ask_is_returned_once_while_waiting_for_an_answer(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    for dt in (91, 100, 109.9):
        assert tick(policy, clock.now + dt, form=True) is Action.NONE
    assert policy.asking


def test_unanswered_ask_resets_after_confirm_seconds(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    assert tick(policy, clock.now + 109, form=True) is Action.NONE
    assert tick(policy, clock.now + 110, form=True) is Action.RESET
    assert not policy.asking
    assert tick(policy, clock.now + 111, form=True) is Action.NONE


def test_answer_cancels_the_question(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    clock.now += 100
    policy.touch()  # "Yes, I'm here" or any tap
    assert not policy.asking
    assert tick(policy, clock.now + 20, form=True) is Action.NONE  # the old deadline is gone
    assert tick(policy, clock.now + 89, form=True) is Action.NONE
    assert tick(policy, clock.now + 90, form=True) is Action.ASK  # a full idle time later, ask again


def test_speech_heard_during_the_question_answers_it(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    policy.activity(clock.now + 95)
    assert not policy.asking
    assert tick(policy, clock.now + 115, form=True) is Action.NONE


@pytest.mark.parametrize("busy", ["speaking", "listening"])
def test_never_reset_while_the_resident_is_speaking(policy: IdlePolicy, clock: FakeClock, busy: str) -> None:
    flags = {busy: True}
    assert tick(policy, clock.now + 90, **flags) is Action.ASK  # nothing half done, but speech: ask
    for dt in (110, 200, 1000, 10_000):  # long past confirm_seconds: still no reset
        assert tick(policy, clock.now + dt, **flags) is Action.NONE
        assert policy.asking
    assert tick(policy, clock.now + 10_001) is Action.RESET  # the speech ended unanswered: now it may


def test_speech_ending_before_the_confirm_time_still_waits_for_it(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, listening=True) is Action.ASK
    assert tick(policy, clock.now + 100) is Action.NONE
    assert tick(policy, clock.now + 110) is Action.RESET


def test_never_reset_while_speaking_even_with_a_form(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True, speaking=True) is Action.ASK
    assert tick(policy, clock.now + 500, form=True, speaking=True) is Action.NONE
    assert tick(policy, clock.now + 501, form=True) is Action.RESET


def test_form_finished_during_the_question_still_needs_the_answer_time(policy: IdlePolicy,
                                                                       clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    assert tick(policy, clock.now + 95) is Action.NONE
    assert tick(policy, clock.now + 110) is Action.RESET


def test_nothing_to_do_on_the_home_screen(policy: IdlePolicy, clock: FakeClock) -> None:
    for dt in (90, 500, 5000):
        assert tick(policy, clock.now + dt, on_home=True) is Action.NONE
        assert tick(policy, clock.now + dt, on_home=True, form=True, speaking=True) is Action.NONE
    assert not policy.asking


def test_idle_time_counts_from_leaving_home(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 1000, on_home=True) is Action.NONE
    assert tick(policy, clock.now + 1001) is Action.NONE  # left home a second ago: not idle yet
    assert tick(policy, clock.now + 1089) is Action.NONE
    assert tick(policy, clock.now + 1090) is Action.RESET


def test_going_home_cancels_a_question(policy: IdlePolicy, clock: FakeClock) -> None:
    assert tick(policy, clock.now + 90, form=True) is Action.ASK
    assert tick(policy, clock.now + 95, on_home=True) is Action.NONE
    assert not policy.asking
    assert tick(policy, clock.now + 120, form=True) is Action.NONE


def test_custom_times(clock: FakeClock) -> None:
    policy = IdlePolicy(idle_seconds=5, confirm_seconds=2, clock=clock)
    assert tick(policy, clock.now + 5, form=True) is Action.ASK
    assert tick(policy, clock.now + 6.9, form=True) is Action.NONE
    assert tick(policy, clock.now + 7, form=True) is Action.RESET
