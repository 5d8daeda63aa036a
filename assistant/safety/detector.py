"""A small emergency detector on the resident's own words (English and Chinese), for when the dialogue cannot
decide: Rasa or the action server down, an empty answer, or the dialogue answering a clear emergency with
something else (docs/emergency-triage.md).

Word patterns, on purpose: it must work with no model loaded, and a reviewer must be able to read why it
fired. Each pattern marks its trigger (the group ``t``); a trigger is dropped when the words just before it in
the same clause negate it ("I have not fallen", "nobody is hurt", "我没有摔倒"), when the sentence is about
the past or a "what if" ("I had a fall last year", "what should I do if I fall", "如果着火怎么办"), or when it
is a known near-miss ("the smoke alarm's battery", "fire drill", "the picture fell off the wall").

Tuned on ``bench/data/emergency_validation.yml`` only; ``tests/data/emergency_holdout.yml`` measures it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["clear", "possible"]


@dataclass(frozen=True)
class Detection:
    level: Level
    """``clear``: alert at once; ``possible``: ask "Do you need help right now?"."""
    kind: str
    """``fire``, ``gas``, ``fall``, ``medical`` or ``other`` (a break-in, a bare call for help)."""
    words: str
    """The words that triggered it (for the log and the tests)."""


_PERSON = (r"(?:i|i've|i'm|me|he|he's|she|she's|they|someone|somebody|person|man|woman|lady|gentleman|guy|"
           r"child|kid|baby|boy|girl|husband|wife|mum|mom|mother|dad|father|son|daughter|grandson|granddaughter|"
           r"grandma|grandpa|granny|grandad|grandfather|grandmother|neighbour|neighbor|friend|brother|sister|"
           r"partner|uncle|aunt|auntie|resident|who)")
_OWNER = r"(?:my|his|her|their|our)"
_NOT_FIRE = (r"alarms?|drills?|doors?|extinguishers?|exits?|safety|escape|stations?|hydrants?|blankets?|checks?|"
             r"inspections?|regulations?|insurance|hazards?|risks?|certificates?|wardens?|practice|proof|wood")
_NOT_SMOKE = r"alarms?|detectors?|sensors?|free"
_NOT_EMERGENCY = r"numbers?|exits?|lights?|lighting|contacts?|buttons?|plans?|services|cords?|stairs"
_THINGS = (r"(?:picture|shelf|shelves|tree|branch|pot|plant|tile|plaster|ceiling|lamp|frame|leaves|sign|letter|"
           r"post|bag|phone|glasses|cup|plate|vase|fence|gate|window|door|handle|keys?|mirror|clock|bottle|box|"
           r"books?|washing|curtain|rail|paint|bricks?|stone|snow|rain|price|prices|temperature|level|it|that)")

# (level, kind, pattern) — the first clear match wins, else the first possible one. Each has a group ``t``.
_EN: tuple[tuple[Level, str, str], ...] = (
    # fire, smoke, gas
    ("clear", "fire", rf"(?P<t>\bfire\b)(?!\s+(?:{_NOT_FIRE})\b)"),
    ("clear", "fire", r"(?P<t>\bflames?\b|\bon fire\b|\bcaught fire\b|\bablaze\b)"),
    ("clear", "fire", rf"(?P<t>\bsmoke\b)(?!\s+(?:{_NOT_SMOKE})\b)|(?P<t2>\bsmoky\b)"),
    ("clear", "fire", r"(?P<t>\b(?:something(?:'s| is)|it's|is) burning\b|\bburning smell\b|\bsmell(?:s|ing)? "
                      r"(?:of )?burning\b)"),
    ("clear", "gas", r"(?P<t>\bgas leak|\bleaking gas\b|\bsmell(?:s|ing)? (?:of )?gas\b|\bgas smell\b|"
                     r"\bstinks? of gas\b)"),
    # breathing, heart, chest
    ("clear", "medical", r"(?P<t>\b(?:can't|cannot|can not|couldn't|unable to|not|stopped|struggling to|"
                         r"trouble) (?:properly )?breath(?:e|ing)\b|\bgasping\b|\bcan't catch (?:my|his|her) "
                         r"breath\b|\bsuffocating\b)"),
    ("clear", "medical", rf"(?P<t>\bchest (?:is )?(?:so |very |really )?(?:pains?|hurts?|hurting|tight|painful|"
                         rf"sore)\b|\bpains? in {_OWNER} chest\b|\bheart attack\b|\bcardiac arrest\b)"),
    ("clear", "medical", r"(?P<t>\b(?:lips|face|he|she|lips are|face is) (?:is |are |has |have )?(?:gone |going |"
                         r"turning |turned )?(?:blue|purple)\b)"),
    # not conscious, not moving
    ("clear", "medical", r"(?P<t>\bunconscious\b|\bpassed out\b|\bfainted\b|\bblacked out\b|\bcollapsed\b|"
                         r"\bkeeled over\b|\bunresponsive\b|\b(?:not|isn't|is not|stopped) (?:moving|responding)\b|"
                         r"\b(?:won't|will not|can't|cannot) wake\b|\b(?:gone|went) (?:all )?floppy\b)"),
    # bleeding, stroke, choking, fits
    ("clear", "medical", r"(?P<t>\bbleeding\b|\b(?:lot of|lots of|so much|pool of) blood\b|\bblood (?:everywhere|"
                         r"all over|is pouring|pouring|gushing)\b)"),
    ("clear", "medical", r"(?P<t>\bstroke\b|\bface (?:has )?(?:dropped|drooping|droops|gone droopy)\b)"),
    ("clear", "medical", r"(?P<t>\bchok(?:ing|ed)\b|\bseizure\b|\b(?:having|had) a fit\b|\bfitting\b|"
                         r"\bconvulsing\b|\bjerking\b|\boverdose\b)"),
    # falls: a person fell (the picture that fell off the wall is not an emergency)
    ("clear", "fall", rf"\b{_PERSON}\b(?:\W+\w+){{0,4}}?\W+(?P<t>fell|fallen|has had a fall|'ve had a fall|have had a "
                      rf"fall|taken a fall|slipped|tripped|gone down on the floor)\b"),
    ("clear", "fall", r"(?P<t>\b(?:can't|cannot|can not|unable to) get (?:myself |him |her )?up\b|"
                      r"\b(?:lying|lie|laying) (?:there )?on the (?:floor|ground)\b)"),
    # calls for help, police
    ("clear", "medical", r"(?P<t>\bambulance\b|\b(?:call|ring|phone|dial) 120\b)"),
    ("clear", "other", rf"(?P<t>\bemergency\b)(?!\s+(?:{_NOT_EMERGENCY})\b)|(?P<t2>\bsos\b)"),
    ("clear", "other", r"(?P<t>\bhelp\W+(?:me\W+)?help\b|\b(?:somebody|someone|anybody|anyone) (?:help|come)\b)"),
    ("clear", "other", r"(?P<t>\bbreak(?:ing)? in(?:to)?\b|\bbroken into\b|\bburglar|\bintruder|\battack(?:ing|ed)\b|"
                       r"\bhas a knife\b)"),
    # possible: ask the question
    ("possible", "medical", r"(?P<t>\bdizzy\b|\bfaint\b|\blight-?headed\b|\bunwell\b|\bpoorly\b|\b(?:not|don't) "
                            r"feel(?:ing)? (?:well|right|good)\b|\bfeel(?:ing)? (?:very |really |so )?(?:sick|ill|"
                            r"funny|strange|terrible|awful|bad|weak|shaky)\b|\bshak(?:y|ing)\b|\bconfused\b|"
                            r"\bvery ill\b)"),
    ("possible", "medical", r"(?P<t>\bheart (?:is )?(?:racing|pounding|going (?:very |really )?fast|beating fast)\b|"
                            r"\bpalpitations\b|\bshort of breath\b|\bbreathless\b|\bout of breath\b)"),
    ("possible", "medical", rf"(?P<t>\bhurt (?:myself|himself|herself|{_OWNER})\b|\binjured\b|\b(?:burn(?:ed|t)|cut|"
                            rf"scalded) (?:myself|{_OWNER})\b|\bpain\b|\blegs? (?:have |has )?(?:gone|are|is) (?:weak|"
                            rf"wobbly|numb)\b|\bcan't (?:stand|walk|move|speak|talk)\b|\bweak\b)"),
    ("possible", "other", r"(?P<t>\bstuck in the lift\b|\btrapped\b|\bhaven't seen (?:my |the )?\w+\b|"
                          r"\bnot answering\b|"
                          r"\bhasn't (?:opened|answered) (?:his|her|the|their) door\b|"
                          r"\bisn't answering\b|\b(?:funny|strange|odd) smell\b)"),
    ("possible", "fall", r"(?P<t>\bfell\b|\bfallen\b|\bhad a fall\b)"),
    ("possible", "other", r"^(?P<t>(?:please )?help(?: me)?(?: please)?)$"),
)
_ZH: tuple[tuple[Level, str, str], ...] = (
    ("clear", "fire", r"(?P<t>着火|失火|火灾|起火|冒烟|有烟|浓烟|烧起来|火很大)"),
    ("clear", "gas", r"(?P<t>煤气味|燃气味|天然气味|煤气泄[漏露]|燃气泄[漏露]|漏气)"),
    ("clear", "medical", r"(?P<t>胸口(?:很|好|非常|特别)?(?:痛|疼|闷)|胸痛|心脏病(?:发作|犯了)?|喘不过气|不能呼吸|"
                         r"呼吸困难|没有?呼吸|晕倒|昏倒|昏迷|昏过去|晕过去|不省人事|叫不醒|不动了|流(?:了很多)?血|"
                         r"出血|中风|抽搐|噎住|救护车|急救|打120|叫120)"),
    ("clear", "fall", r"(?P<t>摔倒|摔了|跌倒|跌了|摔跤|摔一跤|倒在地上|倒地|起不来)"),
    ("clear", "other", r"(?P<t>救命|快来人|来人啊|有小偷|抢劫|有人闯进)"),
    ("possible", "medical", r"(?P<t>头(?:很|好|有点)?晕|不舒服|难受|心慌|没力气|受伤|站不起来|疼|痛)"),
    ("possible", "other", r"(?P<t>困住|被困|困在|关在电梯)"),
)

_EN_COMPILED = tuple((level, kind, re.compile(p)) for level, kind, p in _EN)
_ZH_COMPILED = tuple((level, kind, re.compile(p)) for level, kind, p in _ZH)

_NEGATION_EN = re.compile(r"\b(?:not|never|no one|nobody|no-one|didn't|did not|haven't|hasn't|hadn't|wasn't|"
                          r"isn't|aren't|don't|doesn't|without|no)\b")
_NEGATION_ZH = re.compile(r"(?:没有|没|不是|并没|未|别|不用|不会)")
_CLAUSE_BREAK = re.compile(r"[.,;:!?，。；！？]|\b(?:and|but|so|because|then)\b")
_NOT_NOW_EN = re.compile(r"\b(?:what (?:should|do|would|can|shall) (?:i|we|you|one) do (?:if|when|in case)|"
                         r"if (?:i|you|we|he|she|someone|somebody|there(?:'s| is| was)?|a|my)\b|in case|"
                         r"last (?:year|month|week|winter|summer|spring|autumn|time)|(?:years?|months?|weeks?) ago|"
                         r"recovering|recovered|worried (?:that|it|i|about)|afraid (?:that|of|i)|when was|used to|"
                         r"history of|prevent)")
_NOT_NOW_ZH = re.compile(r"(?:如果|万一|要是|假如|去年|以前|上个月|上周|怎么预防|演习)")
_NEAR_MISS_ZH = re.compile(r"(?:烟雾报警器|烟感|灭火器|消防演习|火警演习|吸烟|抽烟|禁烟)")
_THING_FELL = re.compile(rf"\b{_THINGS}\b(?:\W+\w+){{0,2}}?\W+(?:fell|fallen|falling|dropped)\b")
_CJK = re.compile(r"[\u3400-\u9fff]")
_BETWEEN_CJK = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, one space; no spaces between Chinese characters (Vosk puts them)."""
    low = (text or "").lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    low = " ".join(low.split())
    return _BETWEEN_CJK.sub("", low)


def detect(text: str) -> Detection | None:
    """What the words say: a clear emergency, a possible one, or nothing (``None``). Never raises for text."""
    words = normalise(text)
    if not words or words.startswith("/"):  # nothing said, or a button's payload
        return None
    found: Detection | None = None
    if _CJK.search(words):
        found = _first(words, _ZH_COMPILED, _NEGATION_ZH, chinese=True)
    english = _first(words, _EN_COMPILED, _NEGATION_EN, chinese=False)
    if english is not None and (found is None or (english.level == "clear" and found.level == "possible")):
        found = english
    return found


def _first(words: str, patterns: tuple[tuple[Level, str, re.Pattern[str]], ...], negation: re.Pattern[str], *,
           chinese: bool) -> Detection | None:
    not_now = (_NOT_NOW_ZH if chinese else _NOT_NOW_EN).search(words) is not None
    if chinese:
        words_checked = _NEAR_MISS_ZH.sub("　", words)  # a full-width space: the near-miss cannot match
    else:
        words_checked = _THING_FELL.sub(lambda m: " " * len(m.group(0)), words)
    possible: Detection | None = None
    for level, kind, pattern in patterns:
        for match in pattern.finditer(words_checked):
            group = "t" if match.group("t") is not None else "t2"
            start = match.start(group)
            if _negated(words_checked[:start], negation, chinese):
                continue
            if not_now:
                continue
            detection = Detection(level, kind, match.group(group))
            if level == "clear":
                return detection
            possible = possible or detection
            break
    return possible


def _negated(before: str, negation: re.Pattern[str], chinese: bool) -> bool:
    """A negation in the same clause, just before the trigger."""
    window = before[-6:] if chinese else before[-30:]
    pieces = _CLAUSE_BREAK.split(window)
    clause = pieces[-1] if pieces else window
    return negation.search(clause) is not None
