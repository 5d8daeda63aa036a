"""What a front end says by itself about emergencies and unanswered turns, per language (words are data).

The kiosk's ``texts.py`` takes these keys from here, so the kiosk and the voice terminal say the same thing.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "dialogue_down": ("I can't answer right now. Please try again in a minute, or ask at the reception. "
                          "If you need help now, press the red Emergency button or call 120."),
        "no_reply": ("I could not answer that just now. Please try again in a minute, or ask at the reception. "
                     "If you need help now, press the red Emergency button or call 120."),
        "confirm_question": "Do you need help right now?",
        "confirm_yes": "Yes, send help",
        "confirm_no": "No, I am all right",
        "confirm_declined": "All right, I am glad. If you need help, press the red button or say help.",
        "alert_sent": "Help is coming. I have alerted the staff. Please stay where you are.",
        "alert_queued": ("Help is being called. Your call for help is saved and I keep sending it. "
                         "If you are in danger, call 120."),
        "alert_failed": "Please call 120 now, or press the red alarm on the wall. I could not send your call for help.",
        "already_called": "Help has already been called. Please stay where you are.",
    },
    "zh-CN": {
        "dialogue_down": "现在无法回答，请稍后再试，或到服务台询问。如需紧急帮助，请按红色紧急按钮或拨打120。",
        "no_reply": "我现在回答不了。请稍后再试，或到服务台询问。如需紧急帮助，请按红色紧急按钮或拨打120。",
        "confirm_question": "您现在需要帮助吗？",
        "confirm_yes": "需要，请派人来",
        "confirm_no": "不用，我没事",
        "confirm_declined": "好的，您没事就好。需要帮助时，请按红色按钮或说“救命”。",
        "alert_sent": "救助人员正在赶来。我已通知工作人员。请留在原地。",
        "alert_queued": "正在呼叫救助。您的求助已保存，会一直发送。如有危险，请拨打120。",
        "alert_failed": "请立即拨打120，或按墙上的红色报警按钮。本机未能发出您的求助。",
        "already_called": "已经呼叫救助了。请留在原地。",
    },
}


def words(language: str) -> dict[str, str]:
    """The words of ``language`` (``zh`` means ``zh-CN``); any key it lacks falls back to English."""
    if language not in WORDS and language.split("-")[0] == "zh":
        language = "zh-CN"
    return {**WORDS["en"], **WORDS.get(language, {})}
