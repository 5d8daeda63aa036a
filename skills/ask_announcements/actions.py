"""Read the current notices briefly: at most four, newest first, the ones about the question first.

Only the notices for this kiosk's buildings (``LINLI_KIOSK_BUILDINGS``) and for the buildings the resident names
("is there a notice for Building 3"), besides those for every building; a kiosk serving the whole community with
no building named hears them all. Urgent ones say so. The notices are asked for in the conversation's language;
every sentence around them is a response (skill.yml, locale/zh-CN.yml).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services, settings
from assistant.skill_runtime.words import language_of
from community_services.client import ServicesError
from community_services.schemas import Announcement, clean_text

MAX_NOTICES = 4
MAX_CHARS = 300
SERVICES_DOWN = "utter_notices_services_down"
_STOPWORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "be", "to", "of", "in", "on", "at", "for", "and", "or", "any",
    "there", "what", "which", "when", "will", "it", "its", "this", "that", "these", "those", "about",
    "anything", "new", "news", "notice", "notices", "announcement", "announcements", "please", "tell", "me",
    "read", "you", "i", "my", "we", "do", "does", "going", "go", "off", "soon", "week", "today", "tomorrow",
    "know", "should", "happening", "happen", "community", "office", "hello", "hi", "can", "could", "would",
    "there's", "whats", "what's", "some"
})
_BUILDINGS = re.compile(r"\b(?:buildings?|blocks?|bldgs?)\s+((?:\d{1,2}(?:\s*(?:,|and|&|or|to)\s*)?)+)"
                        r"|(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:号楼|號樓|号|栋|棟|幢)", re.I)
_CHINESE_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九")}
# Two-character words that say nothing about which notice is meant ("有没有通知").
_ZH_STOPWORDS = frozenset({
    "通知", "公告", "有没", "没有", "什么", "请问", "一下", "我们", "你们", "小区", "最近", "今天", "明天", "这个",
    "那个", "告诉", "听说", "是不", "不是", "知道", "物业", "社区", "消息", "新闻", "有什", "么通", "么事", "事情",
    "麻烦", "帮我", "念念", "一念", "念一", "看看", "号楼", "近有", "天有", "有啥", "啥通", "么新", "新的", "的通",
})


def _building_number(word: str) -> int:
    """"3", "三", "十二" → 3, 3, 12 (building numbers are 1 to 12)."""
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if word.startswith("十"):
        return 10 + _CHINESE_DIGITS.get(word[1:], 0)
    if "十" in word:
        tens, _, ones = word.partition("十")
        return _CHINESE_DIGITS.get(tens, 0) * 10 + _CHINESE_DIGITS.get(ones, 0)
    return _CHINESE_DIGITS.get(word, 0) if len(word) == 1 else 0


def buildings_named(text: str) -> tuple[str, ...]:
    """Building numbers (1-12) the resident named: "Building 3", "buildings 7, 8 and 9", "3号楼", "三号楼", "３号楼"."""
    found: list[int] = []
    for listed, chinese in _BUILDINGS.findall(unicodedata.normalize("NFKC", text or "")):
        found += [int(n) for n in re.findall(r"\d{1,2}", listed)] if listed else [_building_number(chinese)]
    return tuple(dict.fromkeys(str(n) for n in found if 1 <= n <= 12))


def buildings_for(question: str) -> tuple[str, ...]:
    """The buildings to read notices for: this kiosk's and the ones asked about; none means all."""
    try:
        kiosk = settings().kiosk_building_list
    except Exception:  # no configured context (a bare action server in a test): the whole community
        kiosk = ()
    return tuple(dict.fromkeys((*kiosk, *buildings_named(question))))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _keywords(text: str) -> set[str]:
    """English words, and two-character pieces of Chinese ("停水", "电梯"), that may say what a notice is about."""
    low = unicodedata.normalize("NFKC", text or "").lower()
    words = {_stem(w) for w in re.findall(r"[a-z0-9]+", low) if w not in _STOPWORDS}
    for run in re.findall(r"[\u4e00-\u9fff]+", low):
        words |= {run[i:i + 2] for i in range(len(run) - 1)} - _ZH_STOPWORDS
    return words


def order_notices(notices: list[Announcement], question: str) -> tuple[list[Announcement], int]:
    """Newest first, but notices sharing words with the question ("is the water going off") lead.

    Returns the order and how many notices match the question best.
    """
    newest = sorted(notices, key=lambda n: (n.valid_from, n.id), reverse=True)
    asked = _keywords(question)
    scores = {n.id: len(asked & _keywords(f"{n.title} {n.body}")) for n in newest}
    best = max(scores.values(), default=0)
    if best == 0:
        return newest, 0
    ordered = sorted(newest, key=lambda n: -scores[n.id])  # stable: newest first among equals
    return ordered, sum(1 for score in scores.values() if score == best)


def notice_text(notice: Announcement) -> str:
    text = clean_text(notice.body or notice.title)
    text = text if isinstance(text, str) and text else str(notice.title)
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS]
        cut = cut.rsplit(" ", 1)[0] if " " in cut[MAX_CHARS // 2:] else cut  # Chinese has no spaces to cut at
        text = cut.rstrip(",;:，；：") + " ..."
    return text


class ActionReadAnnouncements(Action):
    def name(self) -> str:
        return "action_read_announcements"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question: Any = (tracker.latest_message or {}).get("text") or ""
        question = "" if str(question).startswith("/") else str(question)[:500]
        try:
            notices = services().list_announcements(buildings_for(question), lang=language_of(tracker))
        except ServicesError:
            dispatcher.utter_message(response=SERVICES_DOWN)
            return []
        if not notices:
            dispatcher.utter_message(response="utter_no_notices")
            return []
        ordered, about = order_notices(notices, question)
        chosen = ordered[:MAX_NOTICES]
        count = len(notices)
        if count == 1:
            dispatcher.utter_message(response="utter_notices_one")
        else:
            dispatcher.utter_message(response="utter_notices_count", count=count)
            if about and about < count:
                dispatcher.utter_message(response="utter_notices_about_first" if about == 1
                                         else "utter_notices_about_first_many")
            else:
                dispatcher.utter_message(response="utter_notices_newest_first")
            if count > MAX_NOTICES:
                dispatcher.utter_message(response="utter_notices_reading_some", shown=MAX_NOTICES)
        for position, notice in enumerate(chosen, start=1):
            urgent = "_urgent" if notice.urgent else ""
            if len(chosen) > 1:
                dispatcher.utter_message(response=f"utter_notice_numbered{urgent}", position=position,
                                         notice=notice_text(notice))
            else:
                dispatcher.utter_message(response=f"utter_notice{urgent}", notice=notice_text(notice))
        dispatcher.utter_message(response="utter_notices_repeat_hint")
        return []
