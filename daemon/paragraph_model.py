"""A learned second opinion on single paragraphs: boilerplate or story?

The rules in ``boilerplate.toml`` catch the phrasings someone wrote down; a
site that words its donation appeal or newsletter prompt differently slips
through them. This model generalises from many phrasings: a logistic
regression over cheap features of one paragraph (its words and word pairs,
word stems, the first and last words, length, punctuation and shape). It is
trained by ``tools/train_paragraph_model.py`` on the labelled paragraphs in
``tools/paragraph_data/`` and shipped as weights in
``newsd/config/paragraph_model.json``.

Pure and deterministic: the same paragraph always gets the same score.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from newsd.daemon.text import composed, strip_bullet

MODEL_FILE = "paragraph_model.json"
MAX_CHARS = 300  # longer paragraphs are story text (all but two boilerplate examples in the training data are shorter)
SHORT_WORDS = 8  # a paragraph of at most this many words is judged by the lower short_threshold
STEM_CHARS = 5
CONTENT_CHARS = 5
TOPIC_COUNT_CAP = 3  # shared and unshared topic words are counted up to this
# Off the article's topic lowers the bar only for a paragraph with at least this share
# of its words known to the model (``w:`` weights): one in a language it can read.
KNOWN_WORDS_SHARE = 0.5

_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = "|•·»›/–—"
# Letters of scripts other than Latin (Greek, Cyrillic, Armenian, Hebrew,
# Arabic, Indic, Thai, Georgian, kana, CJK, Hangul): the model learned from
# Latin-script languages only.
_NOT_LATIN = re.compile(r"[\u0370-\u03FF\u0400-\u052F\u0530-\u08FF\u0900-\u0DFF\u0E00-\u0FFF"
                        r"\u1000-\u10FF\u1100-\u11FF\u3040-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF]")
_LETTER = re.compile(r"[^\W\d_]")

# Word-count buckets: boilerplate is mostly short, stories rarely are.
_LENGTH_BUCKETS = (1, 2, 3, 5, 8, 12, 20, 35, 60)


def _bucket(value: int, bounds: tuple[int, ...]) -> int:
    for index, bound in enumerate(bounds):
        if value <= bound:
            return index
    return len(bounds)


def _word_form(word: str) -> str:
    # "2024", "13" and "5,99" carry their shape, not their value
    return word if word.isalpha() else "#" * min(len(word), 4)


def _latin_script(text: str) -> bool:
    """True unless a fifth or more of the letters are of another script (a URL in a Cyrillic line counts for little)."""
    if text.isascii():
        return True
    other = len(_NOT_LATIN.findall(text))
    return other == 0 or other * 5 < len(_LETTER.findall(text))


def words_of(text: str) -> list[str]:
    """The casefolded words of ``text``, its letters composed first (NFC): a page in decomposed
    form ("a" + combining accent) would otherwise split words at every accent."""
    return _WORD.findall(composed(text).casefold())


def _is_topic_word(word: str) -> bool:
    return len(word) >= CONTENT_CHARS and word.isalpha()


def content_words(paragraph: str) -> set[str]:
    """The words long enough to carry the topic (names, nouns), casefolded."""
    return {w for w in words_of(paragraph) if _is_topic_word(w)}


def article_words(paragraphs: list[str]) -> Counter[str]:
    """How often each word occurs in the whole article (casefolded)."""
    return Counter(words_of("\n".join(paragraphs)))


def _topic_counts(words: list[str], context: Counter[str]) -> tuple[int, int]:
    """How many of the paragraph's topic words occur outside it in the article, and how many in all."""
    own = Counter(words)
    topic = [word for word in own if _is_topic_word(word)]
    return sum(1 for word in topic if context[word] > own[word]), len(topic)


def _fit(shared: int, topic: int) -> str:
    if not topic:
        return "ctx:none"
    share = shared / topic
    return "ctx:0" if shared == 0 else "ctx:low" if share < 0.2 else "ctx:mid" if share < 0.5 else "ctx:high"


def _context_features(words: list[str], context: Counter[str]) -> tuple[str, ...]:
    """How the paragraph's topic words sit in the article: the share of them that occur
    outside it ("ctx:..."), and how many do and do not ("topic:1/0", each counted up to 3).

    A story paragraph shares names and topic words with the rest of its
    article; an appeal or a share line pasted into it shares almost none.
    The counts say how much the share rests on: a one-line offer whose one
    topic word ("month") the story happens to use shares all it has, as a
    story paragraph sharing five names does.
    """
    shared, topic = _topic_counts(words, context)
    if not topic:
        return ("ctx:none",)
    return _fit(shared, topic), "topic:%d/%d" % (min(shared, TOPIC_COUNT_CAP), min(topic - shared, TOPIC_COUNT_CAP))


def _context_feature(words: list[str], context: Counter[str]) -> str:
    """The share feature of ``_context_features`` alone."""
    return _fit(*_topic_counts(words, context))


_MARKS = (("@", "at"), ("©", "copyright-sign"), ("http", "url"), ("www.", "url"), ("=", "equals"),
          ("?", "question"), ("!", "exclamation"), ("€", "money"), ("$", "money"), ("£", "money"),
          ('"', "quote"), ("“", "quote"), ("„", "quote"), ("«", "quote"), ("'", "apostrophe"))
_ENDS = frozenset(".:!?=)*»\"”")


def features(paragraph: str, context: Counter[str]) -> set[str]:
    """The features of one paragraph, as strings (a prefix names the kind).

    ``context`` is ``article_words`` of the article's story text, this paragraph included.
    """
    text = " ".join(paragraph.split())
    raw = words_of(text)
    return _features(text, raw, _context_features(raw, context))


# The context features of a paragraph none of whose topic words occurs elsewhere in the article.
_OFF_TOPIC = frozenset({"ctx:0", "ctx:none"})


def is_off_topic(paragraph: str, context: Counter[str]) -> bool:
    """Whether none of the paragraph's topic words occurs elsewhere in the article (or it has none)."""
    return _context_feature(words_of(paragraph), context) in _OFF_TOPIC


def _clearly_story(raw: list[str], fit: str) -> bool:
    # A sentence-length paragraph that shares much of its topic with the rest
    # of the article: no training example of boilerplate is like this (1 in
    # 3,100), a third of all story paragraphs are, and skipping them keeps
    # the model cheap.
    return (fit == "ctx:high" and len(raw) >= 12) or (fit == "ctx:mid" and len(raw) >= 20)


def _features(text: str, raw: list[str], fits: tuple[str, ...]) -> set[str]:
    words = [_word_form(w) for w in raw]
    found: set[str] = {"len:%d" % _bucket(len(words), _LENGTH_BUCKETS), *fits}
    if words:
        found.add("first:" + words[0])
        found.add("last:" + words[-1])
        if len(words) > 1:
            found.add("first2:" + words[0] + " " + words[1])
    # comprehensions rather than one loop: this runs on every short paragraph
    found.update(["w:" + word for word in words])
    found.update(["stem:" + word[:STEM_CHARS] for word in words if len(word) > STEM_CHARS])
    found.update(["pair:" + first + " " + second for first, second in zip(words, words[1:])])
    end = text[-1:]
    found.add("end:" + (end if end in _ENDS else "alnum" if end.isalnum() else "other"))
    sentences = text.count(".") + text.count("!") + text.count("?")
    found.add("sentences:%d" % min(sentences, 4))
    if ":" in text[:40]:
        found.add("colon-early")
    separators = sum(text.count(mark) for mark in _SEPARATORS)
    if separators:
        found.add("separators:%d" % min(separators, 3))
    if sentences == 0 and text.count(",") >= 3:
        found.add("comma-list")
    if len(text) >= 4 and text.isupper():
        found.add("upper")
    if words and sum(1 for w in words if w[0] == "#") * 3 > len(words):
        found.add("numeric")
    found.update(name for mark, name in _MARKS if mark in text)
    return found


@dataclass(frozen=True)
class ParagraphModel:
    """Logistic-regression weights over ``features`` and the probabilities that remove.

    Short lines (``SHORT_WORDS`` or fewer) have a lower threshold than
    longer paragraphs: a story line taken by mistake costs a few words, a
    story paragraph a whole thought, and most boilerplate the rules miss is
    short labels and one-liners. A paragraph that shares none of its topic
    words with the rest of the article (an appeal, a legal line or a
    cross-reference pasted into a story) needs less evidence still: few
    story paragraphs are like that, and wording the model never saw seldom
    gets past an unsure probability.
    """

    weights: dict[str, float]
    bias: float
    threshold: float
    short_threshold: float | None = None  # None: the same as ``threshold``
    off_topic_threshold: float | None = None  # None: the same as the length's threshold

    def probability(self, paragraph: str, context: Counter[str]) -> float:
        """How likely ``paragraph`` is boilerplate, from 0 to 1 (``context``: see ``features``)."""
        text = " ".join(paragraph.split())
        if len(text) > MAX_CHARS or text.startswith("|") or not _latin_script(text):
            return 0.0  # long, a table row (trafilatura writes "| a | b |": data, not prose) or another script
        raw = words_of(text)
        fits = _context_features(raw, context)
        if _clearly_story(raw, fits[0]):
            return 0.0
        # map/filter keep the lookups in C; a feature without a weight gives None
        score = self.bias + sum(filter(None, map(self.weights.get, _features(text, raw, fits))))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def is_boilerplate(self, paragraph: str, context: Counter[str]) -> bool:
        """Whether the model takes ``paragraph`` on its own: its probability reaches its threshold
        (by its length, or ``off_topic_threshold``, see ``takes_off_topic``).

        The boilerplate pass (``boilerplate._model_pass``) decides the same way,
        less the off-topic bar in an article with many paragraphs off its topic.
        """
        probability = self.probability(paragraph, context)
        return probability >= self.threshold_for(paragraph) or self.takes_off_topic(paragraph, context, probability)

    def takes_off_topic(self, paragraph: str, context: Counter[str], probability: float) -> bool:
        """Whether ``paragraph`` (of ``probability``) reaches ``off_topic_threshold``: off the article's
        topic, in words the model knows.

        Off the topic alone is not enough: in a language the model hardly knows,
        or one whose words change form (Finnish), a story paragraph's words are
        unknown to it and seldom repeat in the same form, so it shares no word
        with the article and scores near 0.5 on that alone. Where most of its
        words are known, the words themselves have had their say.
        """
        if self.off_topic_threshold is None or probability < self.off_topic_threshold:
            return False
        raw = words_of(paragraph)
        if _context_feature(raw, context) not in _OFF_TOPIC:
            return False
        words = [word for word in raw if word.isalpha()]
        known = sum(1 for word in words if "w:" + word in self.weights)
        return bool(words) and known >= KNOWN_WORDS_SHARE * len(words)

    def threshold_for(self, paragraph: str) -> float:
        words = strip_bullet(paragraph).split()  # a list item's bullet is not a word
        if self.short_threshold is not None and len(words) <= SHORT_WORDS:
            return self.short_threshold
        return self.threshold

    def to_json(self) -> str:
        return json.dumps({"bias": self.bias, "threshold": self.threshold, "short_threshold": self.short_threshold,
                           "off_topic_threshold": self.off_topic_threshold,
                           "weights": dict(sorted(self.weights.items()))}, ensure_ascii=False, indent=0)

    @classmethod
    def from_json(cls, data: str) -> ParagraphModel:
        parsed = json.loads(data)
        def optional(key: str) -> float | None:
            return None if parsed.get(key) is None else float(parsed[key])

        return cls({str(k): float(v) for k, v in parsed["weights"].items()},
                   float(parsed["bias"]), float(parsed["threshold"]),
                   optional("short_threshold"), optional("off_topic_threshold"))


@lru_cache(maxsize=1)
def default_model() -> ParagraphModel:
    """The model shipped with newsd."""
    return ParagraphModel.from_json(resources.files("newsd.config").joinpath(MODEL_FILE).read_text(encoding="utf-8"))
