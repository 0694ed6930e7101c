"""The learned paragraph model: features, the shipped weights, and its place in the boilerplate pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import article_html

from newsd.config.rules import PARAGRAPH_MODEL
from newsd.daemon.boilerplate import apply_rules
from newsd.daemon.extract import extract
from newsd.daemon.paragraph_model import (KNOWN_WORDS_SHARE, SHORT_WORDS, ParagraphModel, article_words,
                                          default_model, features)

TRAINING_DATA = Path(__file__).resolve().parent.parent / "tools" / "paragraph_data"

STORY = [
    "The city council voted on Tuesday to expand the network of protected bicycle lanes across the northern "
    "districts, after a year of public consultations.",
    "The plan adds 40 kilometres of lanes by 2027. The council's transport committee estimates the cost "
    "at 18 million euros, to be shared between the city and the regional government.",
    "Cycling groups welcomed the council vote, while some shop owners in the northern districts fear "
    "losing parking spaces in front of their stores.",
    "Work on the first lanes is due to start in the spring, the council said.",
]

# Written for this test, in none of the training files (checked below): boilerplate
# in the wording of sites the model has not seen, and story paragraphs that share
# its vocabulary.
UNSEEN_BOILERPLATE = [
    "Fearless local reporting needs you. Pitch in with a recurring gift today.",
    "Never miss an update from the Riverside Ledger: join our daily email digest.",
    "Please keep the conversation respectful. Off-topic posts will be removed.",
    "Find the Ledger on Bluesky, Threads and Mastodon.",
    "Unterstützen Sie den Stadtanzeiger mit einem Beitrag Ihrer Wahl.",
    "Abonnieren Sie jetzt den Wochenend-Newsletter des Stadtanzeigers.",
]
STORY_WITH_THE_SAME_WORDS = [
    "The council said residents who want to comment on the lane plan can do so online until the end of March.",
    "Cycling groups had collected more than 3,000 signatures and donations to pay for a traffic survey of "
    "the northern districts.",
    "Der Stadtrat will die neuen Radwege im Frühjahr freigeben, sagte die Verkehrsdezernentin am Dienstag.",
]


def _training_texts() -> set[str]:
    return {json.loads(line)["text"] for path in TRAINING_DATA.glob("*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def test_the_test_phrasings_are_not_training_data():
    seen = _training_texts()
    assert not [text for text in UNSEEN_BOILERPLATE + STORY_WITH_THE_SAME_WORDS if text in seen]


@pytest.mark.parametrize("phrasing", UNSEEN_BOILERPLATE)
def test_unseen_boilerplate_inside_a_story_is_taken(phrasing):
    paragraphs = [*STORY[:2], phrasing, *STORY[2:]]
    cleaned = apply_rules(paragraphs, (), model=default_model())
    assert phrasing not in cleaned.paragraphs
    assert [r.rule for r in cleaned.removed] == [PARAGRAPH_MODEL]


@pytest.mark.parametrize("sentence", STORY_WITH_THE_SAME_WORDS)
def test_story_sentences_with_boilerplate_words_stay(sentence):
    paragraphs = [*STORY[:2], sentence, *STORY[2:]]
    assert apply_rules(paragraphs, (), model=default_model()).paragraphs == tuple(paragraphs)


def test_the_story_itself_stays():
    assert apply_rules(STORY, (), model=default_model()).paragraphs == tuple(STORY)


def test_disabling_the_model_keeps_what_only_it_would_take():
    paragraphs = [*STORY[:2], UNSEEN_BOILERPLATE[0], *STORY[2:]]
    cleaned = apply_rules(paragraphs, (), model=default_model(), disabled=frozenset({PARAGRAPH_MODEL}))
    assert cleaned.paragraphs == tuple(paragraphs)


def test_a_page_that_is_all_appeal_is_left_whole():
    # A fund-raising post is what it reads like; the model takes nothing from it.
    appeal = UNSEEN_BOILERPLATE[:2] + ["Thank you, readers: 2,400 of you gave last year."]
    assert apply_rules(appeal, (), model=default_model()).paragraphs == tuple(appeal)


# A byline-minded toy model: it takes "Signed reader 3" lines (probability
# 0.993), "cookies" and "opt" lines (1.0) and "maybe" lines (0.9).
SIGNATURE_MODEL = ParagraphModel({"w:signed": 10.0, "w:cookies": 20.0, "w:opt": 20.0, "w:maybe": 7.2}, -5.0, 0.5)


def letters(count: int) -> list[str]:
    """Letters to the editor, each signed: short name lines the toy model would take one by one."""
    return [part for i in range(count) for part in (STORY[i % len(STORY)] + f" ({i})", f"Signed reader {i}")]


def test_the_model_takes_nothing_when_it_would_take_many_paragraphs():
    # Past MODEL_MAX_PARAGRAPHS the page is what it reads like: it takes none of the signatures.
    from newsd.daemon.boilerplate import MODEL_MAX_PARAGRAPHS

    few, many = letters(MODEL_MAX_PARAGRAPHS), letters(MODEL_MAX_PARAGRAPHS + 1)
    assert len(apply_rules(few, (), model=SIGNATURE_MODEL).removed) == MODEL_MAX_PARAGRAPHS
    assert apply_rules(many, (), model=SIGNATURE_MODEL).paragraphs == tuple(many)


def test_past_the_limits_the_model_still_takes_a_sure_line_off_the_topic():
    # A cookie notice pasted among the signatures: the model is all but sure
    # of it and it shares no topic word with the page. The signatures share
    # "signed" and "reader" with each other, and an unsure line stays too.
    from newsd.daemon.boilerplate import MODEL_MAX_PARAGRAPHS

    many = letters(MODEL_MAX_PARAGRAPHS + 1)
    notice, unsure = "Manage cookies", "Maybe later"
    page = [*many[:4], notice, *many[4:8], unsure, *many[8:]]
    cleaned = apply_rules(page, (), model=SIGNATURE_MODEL)
    assert [removed.text for removed in cleaned.removed] == [notice]
    assert cleaned.paragraphs == tuple(paragraph for paragraph in page if paragraph != notice)


def test_past_the_limits_a_round_up_keeps_even_sure_lines():
    # Letters on as many topics as there are letters: every letter is off the
    # topic of the rest, so a line being off it says nothing, and nothing goes.
    from newsd.daemon.boilerplate import MODEL_MAX_PARAGRAPHS

    topics = ["potholes", "library hours", "stadium financing", "school lunches", "hospital parking",
              "river pollution", "bakery closures", "tram timetables", "museum tickets", "garden allotments"]
    page = [part for i, topic in enumerate(topics[:MODEL_MAX_PARAGRAPHS + 1])
            for part in (f"Why not fix the {topic} now? It is a mess.", f"Signed reader {i}")]
    page.insert(5, "Manage cookies")
    assert apply_rules(page, (), model=SIGNATURE_MODEL).paragraphs == tuple(page)


def test_past_the_limits_sure_lines_are_held_to_the_limits_too():
    # More sure lines off the topic ("Opt out 3": no word of five letters or more) than the limit allows: none goes.
    from newsd.daemon.boilerplate import MODEL_MAX_PARAGRAPHS

    many = letters(MODEL_MAX_PARAGRAPHS + 1)
    for count, left in ((MODEL_MAX_PARAGRAPHS, 0), (MODEL_MAX_PARAGRAPHS + 1, MODEL_MAX_PARAGRAPHS + 1)):
        page = [*many, *(f"Opt out {i}" for i in range(count))]
        kept = apply_rules(page, (), model=SIGNATURE_MODEL).paragraphs
        assert sum(1 for paragraph in kept if paragraph.startswith("Opt out")) == left


def test_the_model_does_not_judge_headings():
    # A story's subheadings are its structure ("What happens next?"); a
    # boilerplate heading goes with its section as an orphan.
    from newsd.daemon.page_facts import PageFacts

    toy = ParagraphModel({"w:next": 10.0}, -5.0, 0.5)
    subheading, line = "What happens next", "What comes next"
    paragraphs = [STORY[0], subheading, STORY[1], line, STORY[2]]
    cleaned = apply_rules(paragraphs, (), PageFacts(headings=frozenset({subheading})), model=toy)
    assert subheading in cleaned.paragraphs
    assert [r.text for r in cleaned.removed] == [line]


@pytest.mark.parametrize("line", [
    "ニュースレターに登録してください",
    "Подписаться на канал: https://t.me/our_news_channel_official_2024",  # the URL's Latin letters do not count
    "Ακολουθήστε μας στο Facebook και στο Instagram",
])
def test_paragraphs_in_scripts_it_was_not_trained_on_are_left_to_the_rules(line):
    assert default_model().probability(line, article_words([*STORY, line])) == 0.0


def test_table_rows_are_data_and_not_scored():
    # trafilatura writes table rows as "| a | b |": standings, results, prices.
    row = "| 7 | Follow | Share | 2339 | Subscribe |"
    model = default_model()
    assert model.probability(row, article_words([*STORY, row])) == 0.0
    assert model.probability(row.strip("| "), article_words([*STORY, row])) > 0.0


def test_long_paragraphs_are_not_scored():
    appeal = "Donate today. " * 60
    assert default_model().probability(appeal, article_words([*STORY, appeal])) == 0.0


def test_boilerplate_repeated_on_the_page_does_not_vouch_for_itself():
    # A share line at the top and the bottom: its words occur "elsewhere" only in its copy.
    line = UNSEEN_BOILERPLATE[3]
    paragraphs = [line, *STORY, line]
    assert apply_rules(paragraphs, (), model=default_model()).paragraphs == tuple(STORY)


def test_extract_explains_what_the_model_took():
    line = UNSEEN_BOILERPLATE[3]  # no shipped rule matches it
    html = article_html("Bike lanes", [*STORY[:2], line, *STORY[2:]])
    document = extract(html, "https://example.org/bike-lanes")
    assert line not in document.text and STORY[2] in document.text
    assert (line, PARAGRAPH_MODEL) in [(r.text, r.rule) for r in document.removed]


def test_features_fold_numbers_and_see_the_context():
    context = article_words(STORY)
    found = features("Give 25 euros to the council.", context)
    assert "w:##" in found and "w:25" not in found
    assert "ctx:low" in found or "ctx:mid" in found or "ctx:high" in found  # "council" is in the story
    assert "ctx:0" in features("Give 25 euros today.", context)


def test_features_count_the_topic_words_a_share_rests_on():
    story = "The council approved the budget for the harbour and the museum this month."

    def found(line: str) -> set[str]:
        return features(line, article_words([story, line]))  # the context holds the paragraph itself

    # all it has is shared, but that is one word; a story line shares several
    assert {"ctx:high", "topic:1/0"} <= found("Try one month for free.")
    assert {"ctx:high", "topic:3/0"} <= found("The council said the harbour and the museum cost more.")
    assert {"ctx:0", "topic:0/3"} <= found("Please donate generously to support independent journalism.")
    assert not any(name.startswith("topic:") for name in found("Sign up now!"))  # no topic word


def test_model_round_trips_through_json():
    for model in (ParagraphModel({"w:donate": 2.5, "pair:sign up": 1.25}, -1.0, 0.8),
                  ParagraphModel({"w:donate": 2.5}, -1.0, 0.85, 0.5),
                  ParagraphModel({"w:donate": 2.5}, -1.0, 0.85, 0.5, 0.6)):
        assert ParagraphModel.from_json(model.to_json()) == model


def test_short_lines_have_their_own_threshold():
    # One weight, so the probability is the same for both lengths: only the threshold differs.
    model = ParagraphModel({"w:pledge": 1.0}, 0.0, 0.85, 0.5)
    short = "Pledge"
    long = "Pledge " + "x " * SHORT_WORDS
    context = article_words([*STORY, short, long])
    probability = model.probability(short, context)
    assert 0.5 <= probability < 0.85 and model.probability(long, context) == pytest.approx(probability, abs=0.2)
    assert model.is_boilerplate(short, context) and not model.is_boilerplate(long, context)
    assert ParagraphModel({"w:pledge": 1.0}, 0.0, 0.85).threshold_for(short) == 0.85  # no short threshold


APPEAL = "Pledge what you can for the shelter's winter appeal before Friday"


def knowing(*paragraphs: str, weights: dict[str, float]) -> dict[str, float]:
    """``weights`` plus a zero weight for every other word of ``paragraphs``: words the model
    knows (the training tool keeps every word's weight) that lean neither way."""
    words = {"w:" + word for paragraph in paragraphs for word in article_words([paragraph])}
    return {**dict.fromkeys(words, 0.0), **weights}


def test_a_paragraph_off_the_articles_topic_needs_less_evidence():
    """The same probability: taken when none of its topic words is elsewhere in the article, kept when one is."""
    model = ParagraphModel(knowing(APPEAL, weights={"w:pledge": 1.0}), 0.0, 0.85, 0.85, 0.6)
    off_topic = article_words([*STORY, APPEAL])
    on_topic = article_words([*STORY, APPEAL, "The shelter opened its winter doors."])
    assert 0.6 <= model.probability(APPEAL, off_topic) < 0.85
    assert model.is_boilerplate(APPEAL, off_topic) and not model.is_boilerplate(APPEAL, on_topic)
    unset = ParagraphModel(model.weights, 0.0, 0.85, 0.85)
    assert not unset.is_boilerplate(APPEAL, off_topic)  # no off-topic threshold: the length's one


def test_off_the_topic_is_not_enough_in_words_the_model_does_not_know():
    """A language the model hardly saw: its words give no evidence, and the length's threshold holds."""
    paragraph = "Kaupunginvaltuusto hyväksyi talousarvion äänin kolmekymmentä yhdeksän"
    context = article_words([*STORY, paragraph])
    unknown = ParagraphModel({"ctx:0": 1.0}, 0.0, 0.85, 0.85, 0.6)
    assert 0.6 <= unknown.probability(paragraph, context) < 0.85
    assert not unknown.is_boilerplate(paragraph, context)
    # The same probability in words the model knows: there its words had their say.
    known = ParagraphModel(knowing(paragraph, weights={"ctx:0": 1.0}), 0.0, 0.85, 0.85, 0.6)
    assert known.probability(paragraph, context) == unknown.probability(paragraph, context)
    assert known.is_boilerplate(paragraph, context)


def test_the_off_topic_bar_needs_half_of_the_words_known():
    """Exactly half known: taken; one known word fewer: kept (digits are not words)."""
    paragraph = "Kaupunginvaltuusto hyväksyi talousarvion äänin 45 kolmekymmentä yhdeksän"  # six words and a number
    context = article_words([*STORY, paragraph])
    def model_knowing(words: list[str]) -> ParagraphModel:
        return ParagraphModel({"ctx:0": 1.0, **{"w:" + word: 0.0 for word in words}}, 0.0, 0.85, 0.85, 0.6)
    half = model_knowing(["kaupunginvaltuusto", "hyväksyi", "talousarvion"])
    assert KNOWN_WORDS_SHARE == 0.5 and half.is_boilerplate(paragraph, context)
    assert not model_knowing(["kaupunginvaltuusto", "hyväksyi"]).is_boilerplate(paragraph, context)
    assert not model_knowing(["kaupunginvaltuusto", "hyväksyi", "##"]).is_boilerplate(paragraph, context)
    numbers = "2024 45 12"  # no words at all: nothing known
    no_words = ParagraphModel({"ctx:none": 1.0}, 0.0, 0.85, 0.85, 0.6)
    assert 0.6 <= no_words.probability(numbers, article_words([*STORY, numbers])) < 0.85
    assert not no_words.is_boilerplate(numbers, article_words([*STORY, numbers]))


def test_training_keeps_the_weights_of_words_that_lean_neither_way():
    """They make the model's vocabulary, which the off-topic bar reads; other tiny weights go."""
    tool = _training_tool()
    appeals = [f"Donate now to support us, {name}." for name in ("friends", "readers", "all")]
    stories = [f"The {thing} rose by two percent in May." for thing in ("price", "rate", "tax")]
    examples = [(text, 1, article_words([text])) for text in appeals] + [(text, 0, article_words([text])) for text in stories]
    model = tool.train(examples, epochs=10, min_count=1, min_weight=100.0)  # prunes every weight but words'
    assert "w:donate" in model.weights and "w:the" in model.weights
    assert not any(name.startswith(("pair:", "stem:", "first:", "len:")) for name in model.weights)


ROUND_UP = ["Storms closed three airports in Norway overnight.",
            "Chile elected a new central bank governor on Monday.",
            "Tokyo's subway raised fares for the first time since 1995."]


def test_an_article_with_many_paragraphs_off_its_topic_keeps_to_the_length_thresholds():
    """A round-up has many paragraphs sharing nothing: no lower bar there."""
    from newsd.daemon.boilerplate import _model_pass
    from newsd.daemon.page_facts import PageFacts

    model = ParagraphModel(knowing(APPEAL, *STORY, *ROUND_UP, weights={"w:pledge": 1.0}), 0.0, 0.85, 0.85, 0.6)
    story = list(enumerate(STORY))
    with_story = _model_pass([*story, (len(story), APPEAL)], {}, model, PageFacts())
    assert APPEAL not in [paragraph for _, paragraph in with_story]  # one off-topic paragraph: taken
    round_up = [*enumerate(ROUND_UP), (len(ROUND_UP), APPEAL)]
    assert _model_pass(round_up, {}, model, PageFacts()) == round_up  # everything off topic: nothing taken


def test_boilerplate_the_model_is_sure_of_does_not_make_an_article_a_round_up():
    """Lines taken at the length's threshold are the boilerplate looked for: they are not counted
    as paragraphs off the topic, so a short story keeps its lower bar for the unsure one."""
    from newsd.daemon.boilerplate import _model_pass
    from newsd.daemon.page_facts import PageFacts

    sure = ["Donate to our newsroom.", "Subscribe for weekly emails.", "Follow us elsewhere."]
    weights = {"w:pledge": 1.0, "w:donate": 5.0, "w:subscribe": 5.0, "w:follow": 5.0}
    model = ParagraphModel(knowing(APPEAL, *STORY, *sure, weights=weights), 0.0, 0.85, 0.85, 0.6)
    article = list(enumerate([*STORY, *sure, APPEAL]))  # 4 of 8 off the topic, 1 of 5 once the sure ones are out
    kept = [paragraph for _, paragraph in _model_pass(article, {}, model, PageFacts())]
    assert kept == STORY


def test_the_shipped_model_is_the_one_the_training_tool_makes_by_default():
    model = default_model()
    tool = _training_tool()
    assert len(model.weights) > 1000 and model.threshold == tool.THRESHOLD
    assert model.short_threshold == tool.SHORT_THRESHOLD
    assert model.off_topic_threshold == tool.OFF_TOPIC_THRESHOLD


def _training_tool():
    import importlib.util
    path = Path(__file__).resolve().parent.parent / "tools" / "train_paragraph_model.py"
    spec = importlib.util.spec_from_file_location("train_paragraph_model", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_separates_a_toy_set_and_is_deterministic():
    tool = _training_tool()
    appeals = [f"Donate now to support us, {name}." for name in ("friends", "readers", "all")]
    stories = [f"The {thing} rose by two percent in May." for thing in ("price", "rate", "tax")]
    examples = [(text, 1, article_words([text])) for text in appeals] + [(text, 0, article_words([text])) for text in stories]
    first = tool.train(examples, epochs=10, min_count=1)
    appeal, story = "Donate now to support us.", "The price rose in June."
    assert first.probability(appeal, article_words([appeal])) > 0.5 > first.probability(story, article_words([story]))
    assert tool.train(examples, epochs=10, min_count=1) == first


def test_the_shipped_weights_are_the_mean_of_several_runs(capsys):
    """Each run draws its own contexts and order; the mean leans less on one draw's chance words."""
    tool = _training_tool()
    labelled = [(f"Donate now to support us, {name}.", 1, "toy") for name in ("friends", "readers", "all")]
    labelled += [(f"The {thing} rose by two percent in May.", 0, "toy") for thing in ("price", "rate", "tax")]
    articles = [("a.example", ["The council met on Monday.", "It voted on the budget.", "The vote was close."]),
                ("b.example", ["Storms hit the coast.", "Ferries were cancelled.", "Power returned by night."])]
    runs = [tool.train(tool.build(labelled, articles, seed), seed=seed, min_weight=0.0) for seed in (1, 2)]
    averaged = tool.train_averaged(labelled, articles, 1, runs=2)
    assert runs[0].weights != runs[1].weights  # the runs differ, so the mean is not any one of them
    for name in ("w:donate", "w:price", "ctx:none"):
        mean = (runs[0].weights.get(name, 0.0) + runs[1].weights.get(name, 0.0)) / 2
        assert averaged.weights.get(name, 0.0) == pytest.approx(mean, abs=0.001)
    assert averaged.bias == pytest.approx((runs[0].bias + runs[1].bias) / 2, abs=0.001)
    # pruned after averaging: a feature is kept where the mean of its weights is large enough
    means = {name: (runs[0].weights.get(name, 0.0) + runs[1].weights.get(name, 0.0)) / 2
             for name in set(runs[0].weights) | set(runs[1].weights) if not name.startswith("w:")}
    assert {name for name, mean in means.items() if abs(mean) >= 0.0205} <= set(averaged.weights)
    assert not {name for name, mean in means.items() if abs(mean) < 0.0195} & set(averaged.weights)
    assert averaged == tool.train_averaged(labelled, articles, 1, runs=2)  # deterministic
    assert tool.main(["--runs", "0"]) == 2
    assert "--runs 0: at least one model" in capsys.readouterr().err


def test_the_checks_hold_writers_out_one_at_a_time_or_in_folds(capsys):
    tool = _training_tool()
    writers = [f"pool-{letter}" for letter in "abcdefg"]
    assert tool.writer_groups(writers, 0, 1) == [[writer] for writer in writers]
    folds = tool.writer_groups(writers, 3, 1)
    assert len(folds) == 3 and sorted(w for fold in folds for w in fold) == writers
    assert folds == tool.writer_groups(writers, 3, 1) != tool.writer_groups(writers, 3, 2)
    assert tool.main(["--check", "--folds", "1"]) == 2
    assert "--folds 1: give 2 or more groups" in capsys.readouterr().err


def test_training_data_files_are_labelled():
    rows = [json.loads(line) for path in TRAINING_DATA.glob("*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert {row["label"] for row in rows} == {0, 1}
    assert all(row["text"].strip() and row["source"] for row in rows)


def _held_out_phrasings() -> list[frozenset[str]]:
    """The word sets of every phrasing of the benchmark's held-out pools, folded."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parent.parent / "bench" / "extraction.py"
    spec = importlib.util.spec_from_file_location("bench_extraction", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    return [_words(bench.phrase_text(entry)) for pool in bench.HELD_OUT for *_, entry in bench.pool_entries(pool)]


def _words(text: str) -> frozenset[str]:
    import re

    return frozenset(re.findall(r"\w+", text.casefold()))


def _near_copy(words: frozenset[str], phrasings_by_size: dict[int, list[frozenset[str]]]) -> bool:
    """Whether ``words`` is a held-out phrasing, or shares 80% of the longer one's words with one of 4 words or more."""
    if any(words == phrasing for phrasing in phrasings_by_size.get(len(words), ())):
        return True
    for size in range(max(4, int(len(words) * 0.8)), int(len(words) / 0.8) + 1):
        if any(len(words & phrasing) >= 0.8 * max(len(words), size) for phrasing in phrasings_by_size.get(size, ())):
            return True
    return False


def test_no_training_line_is_a_held_out_benchmark_phrasing_or_a_near_copy_of_one():
    """The held-out pools measure wording nobody trained on; a writer who happens to write the
    same line, or the same line with a name or a word changed, must not put it in the training
    data (the count only: the pools are not shown)."""
    by_size: dict[int, list[frozenset[str]]] = {}
    for phrasing in _held_out_phrasings():
        by_size.setdefault(len(phrasing), []).append(phrasing)
    assert sum(map(len, by_size.values())) > 700
    rows = [json.loads(line) for path in TRAINING_DATA.glob("*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    near = sum(_near_copy(_words(row["text"]), by_size) for row in rows)
    assert near == 0, f"{near} training lines equal or nearly copy a held-out phrasing: remove them and retrain"
    # the measure itself: a changed name still counts, an unrelated line does not
    phrasing = _words("Sign up for the Morning Briefing newsletter today")
    assert _near_copy(_words("Sign up for the Evening Briefing newsletter today"), {len(phrasing): [phrasing]})
    assert not _near_copy(_words("The council approved the budget on Tuesday"), {len(phrasing): [phrasing]})


def test_decomposed_letters_make_the_same_words():
    """A page in NFD ("e" + combining accent) reads as the same words as one in NFC."""
    import unicodedata

    composed = "Unterstützen Sie unabhängigen Journalismus: café, crème, Größe."
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    context = article_words([*STORY, composed])
    assert features(decomposed, context) == features(composed, context)
    assert article_words([decomposed]) == article_words([composed])
