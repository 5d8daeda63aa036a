"""A tokenizer for residents who write English, Mandarin, or both in one sentence (docs/languages.md).

Rasa's WhitespaceTokenizer splits on spaces, and Chinese has none: a whole Chinese sentence would be one
token. Rasa's JiebaTokenizer splits Chinese well but keeps spaces and punctuation as tokens in English text.
This one does what each does best, on text first made even:

- NFKC per character: full-width digits, letters and punctuation (３号楼５０２，) become their plain forms;
- traditional characters become simplified (報修 → 报修), one character for one, so a resident writing
  traditional characters meets the same words the model learnt;
- Latin text is split as WhitespaceTokenizer does, runs of Chinese characters with jieba.

Every change keeps the text's length, so token offsets (and entity values) still point into what the
resident wrote. Loaded through ``rasa_runtime/linli_rasa.py`` (this folder is on its path).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import regex
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
PUNCTUATION_ONLY = re.compile(r"^[\W_]+$")
WHITESPACE_TOKENIZER_PUNCTUATION = (
    # as rasa.nlu.tokenizers.whitespace_tokenizer: punctuation before a space or the end, after a space or the
    # start, and between words (not inside numbers, e-mail or web addresses)
    r"[^\w#@&]+(?=\s|$)|(\s|^)[^\w#@&]+(?=[^0-9\s])|(?<=[^0-9\s])[^\w._~:/?#\[\]()@!$&*+,;=-]+(?=[^0-9\s])"
)


def _even(char: str) -> str:
    """One character made plain: NFKC where it stays one character, then simplified."""
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        folded = char
    if HAN.match(folded):
        from hanziconv import HanziConv

        simple = HanziConv.toSimplified(folded)
        if len(simple) == 1:
            folded = simple
    return folded


def even_text(text: str) -> str:
    """``text`` with full-width forms and traditional characters made plain, the same length."""
    return "".join(_even(c) for c in text)


def _split_chinese(word: str) -> list[str]:
    """A whitespace word split into jieba's words for its Chinese runs and the rest as they are."""
    import jieba

    pieces: list[str] = []
    at = 0
    for run in HAN.finditer(word):
        pieces.append(word[at:run.start()])
        pieces.extend(jieba.lcut(run.group(), HMM=True))
        at = run.end()
    pieces.append(word[at:])
    # punctuation between Chinese words (，。？) is not a word
    return [p for part in pieces for p in re.split(r"[^\w#@&.:/-]+", part) if p and not PUNCTUATION_ONLY.match(p)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedTokenizer(WhitespaceTokenizer):
    """English by spaces, Chinese by jieba, after making full-width and traditional text plain."""

    @staticmethod
    def not_supported_languages() -> None:
        return None

    @staticmethod
    def required_packages() -> list[str]:
        return ["jieba", "hanziconv"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        import jieba

        jieba.setLogLevel(logging.WARNING)  # its dictionary loading is printed at INFO on every start

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        original = message.get(attribute)
        text = even_text(original)
        words: list[str] = []
        for word in regex.sub(WHITESPACE_TOKENIZER_PUNCTUATION, " ", text).split():
            if HAN.search(word):
                words.extend(_split_chinese(word))
            elif self.remove_emoji(word):  # Rasa's emoji pattern also matches Chinese: only here
                words.append(word)
        if not words:
            words = [text]
        tokens = self._convert_words_to_tokens(words, text)
        return self._apply_token_pattern(tokens)
