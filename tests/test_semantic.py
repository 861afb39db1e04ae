"""Semantic matching: the bundled model, its checks, the on-disk cache of the
knowledge's vectors, and the hybrid retriever beside the lexical one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from structlog.testing import capture_logs

from bot.answers.replies import EXAMPLES
from bot.knowledge import loading
from bot.knowledge.models import Entry, Knowledge
from bot.search.calibration import Thresholds
from bot.search.evaluation import load_set
from bot.search.index import Index
from bot.search.library import Library
from bot.search.retriever import HYBRID, Retriever, RetrieverConfig
from bot.search.semantic import (
    MODEL_FILE,
    SHORTLIST,
    TOKENIZER_FILE,
    Embedder,
    EmbeddingCache,
    ModelError,
    SemanticIndex,
    Vectors,
    load_embedder,
    verified_files,
)
from bot.search.subject import subject_of
from bot.settings import DEFAULT_MODEL_DIR
from bot.text.normalize import Normalizer
from tests.support.cli import cli
from tests.support.paths import EVAL, FIXTURES, KNOWLEDGE_DIR

PROTECT = "how do I protect our systems from hackers as a tpm, does it matter"


class Counting:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.version = embedder.version
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self.embedder.embed(texts)


# What most STPM entries share: a phrasing of only these asks about the
# role as a whole.
SUBJECT_WORDS = {"senior", "technical", "program", "manager", "skill", "requir"}


@pytest.fixture(scope="session")
def model() -> Embedder:
    embedder = load_embedder(DEFAULT_MODEL_DIR)
    assert embedder is not None, "the bundled model did not load"
    return embedder


@pytest.fixture
def counting(model: Embedder) -> Counting:
    return Counting(model)


@pytest.fixture(scope="session")
def hybrid(knowledge: Knowledge, model: Embedder) -> Retriever:
    index = SemanticIndex(knowledge, EmbeddingCache(None, model))
    return Retriever(knowledge, HYBRID, index)


def test_the_shipped_model_is_the_one_its_hashes_name() -> None:
    lines = (DEFAULT_MODEL_DIR / "model.sha256").read_text().splitlines()
    listed = {name: digest for digest, name in (line.split() for line in lines)}
    assert listed == verified_files(DEFAULT_MODEL_DIR)


def test_vectors_are_unit_length_and_depend_only_on_the_text(model: Embedder) -> None:
    text = "how important is cloud computing"
    alone = model.embed([text])
    together = model.embed(["a much longer text first, to change any batch", text])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(alone[0], together[1])


def copy_model(into: Path) -> Path:
    folder = into / "model"
    folder.mkdir()
    for name in (MODEL_FILE, TOKENIZER_FILE, "model.sha256"):
        shutil.copy(DEFAULT_MODEL_DIR / name, folder / name)
    return folder


def test_an_altered_model_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    tokenizer = folder / TOKENIZER_FILE
    tokenizer.write_bytes(tokenizer.read_bytes().replace(b'"[UNK]"', b'"[UNX]"', 1))
    with pytest.raises(ModelError, match=TOKENIZER_FILE):
        verified_files(folder)
    with capture_logs() as logs:
        assert load_embedder(folder) is None
    [off] = logs
    assert "semantic.off" == off["event"]
    assert TOKENIZER_FILE in off["reason"]


def test_a_file_altered_after_its_check_was_remembered_is_refused(
    tmp_path: Path,
) -> None:
    """The hashes of files checked before are remembered with their inode,
    size and times; a file written since, even to the same size with its
    modification time put back, is hashed again and refused."""
    folder = copy_model(tmp_path)
    checked = tmp_path / "cache" / "model-checked.json"
    first = verified_files(folder, checked)
    assert checked.exists()
    assert first == verified_files(folder, checked)  # unchanged: the same answer
    tokenizer = folder / TOKENIZER_FILE
    before = tokenizer.stat()
    data = tokenizer.read_bytes()
    tokenizer.write_bytes(data.replace(b'"[UNK]"', b'"[UNX]"', 1))
    os.utime(tokenizer, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert tokenizer.stat().st_size == before.st_size
    with pytest.raises(ModelError, match=TOKENIZER_FILE):
        verified_files(folder, checked)
    with capture_logs() as logs:
        assert load_embedder(folder, checked=checked) is None
    assert ["semantic.off"] == [log["event"] for log in logs]


def test_a_garbled_record_of_checked_files_only_means_hashing_again(
    tmp_path: Path,
) -> None:
    folder = copy_model(tmp_path)
    checked = tmp_path / "model-checked.json"
    checked.write_text("{not json")
    assert verified_files(folder) == verified_files(folder, checked)
    assert isinstance(json.loads(checked.read_text()), dict)  # rewritten whole


@pytest.mark.parametrize("missing", [MODEL_FILE, "model.sha256"])
def test_a_missing_model_file_means_lexical_only(tmp_path: Path, missing: str) -> None:
    folder = copy_model(tmp_path)
    (folder / missing).unlink()
    with capture_logs() as logs:
        assert load_embedder(folder) is None
    assert [missing in log["reason"] for log in logs] == [True]


def test_the_cache_embeds_each_text_once_across_starts(
    tmp_path: Path, knowledge: Knowledge, counting: Counting
) -> None:
    SemanticIndex(knowledge, EmbeddingCache(tmp_path, counting))
    cold = len(counting.texts)
    assert cold > len(knowledge.entries)  # names and phrasings
    SemanticIndex(knowledge, EmbeddingCache(tmp_path, counting))  # a restart
    assert cold == len(counting.texts)


def test_the_cached_vectors_are_the_ones_the_model_gives(
    tmp_path: Path, knowledge: Knowledge, model: Embedder
) -> None:
    question = "how important is cloud computing for an stpm"
    fresh = SemanticIndex(knowledge, EmbeddingCache(tmp_path, model))
    cached = SemanticIndex(knowledge, EmbeddingCache(tmp_path, model))
    assert np.array_equal(fresh.similarities(question), cached.similarities(question))


def with_phrasing(knowledge: Knowledge, entry_id: str, phrasing: str) -> Knowledge:
    entries = [
        e.model_copy(update={"questions": (*e.questions, phrasing)})
        if e.id == entry_id
        else e
        for e in knowledge.entries
    ]
    return Knowledge.of(entries, knowledge.tips, knowledge.synonyms)


def test_a_reload_embeds_only_what_changed(
    tmp_path: Path, knowledge: Knowledge, counting: Counting
) -> None:
    cache = EmbeddingCache(tmp_path, counting)
    library = Library(
        knowledge, lambda k: Retriever(k, HYBRID, SemanticIndex(k, cache))
    )
    before = len(counting.texts)
    library.swap(with_phrasing(knowledge, "skill-cloud", "is the cloud a big deal"))
    assert ["is the cloud a big deal"] == counting.texts[before:]
    best = library.snapshot().retriever.ask("is the cloud a big deal").best
    assert best is not None and "skill-cloud" == best.entry.id


def test_a_half_written_cache_file_is_rebuilt_not_fatal(
    tmp_path: Path, knowledge: Knowledge, counting: Counting
) -> None:
    cache = EmbeddingCache(tmp_path, counting)
    SemanticIndex(knowledge, cache)
    assert cache.path is not None
    data = cache.path.read_bytes()
    cache.path.write_bytes(data[: len(data) // 2])
    cold = len(counting.texts)
    with capture_logs() as logs:
        again = EmbeddingCache(tmp_path, counting)
        SemanticIndex(knowledge, again)
    assert ["embeddings.cache_unreadable"] == [log["event"] for log in logs]
    assert 2 * cold == len(counting.texts)  # embedded again, all of it
    SemanticIndex(knowledge, EmbeddingCache(tmp_path, counting))
    assert 2 * cold == len(counting.texts)  # and the rewritten file is whole


def test_an_unwritable_cache_still_answers(
    tmp_path: Path, knowledge: Knowledge, model: Embedder
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with capture_logs() as logs:
        index = SemanticIndex(knowledge, EmbeddingCache(blocked / "cache", model))
    assert ["embeddings.cache_unwritable"] == [log["event"] for log in logs]
    best = Retriever(knowledge, HYBRID, index).ask("is cloud computing important").best
    assert best is not None and "skill-cloud" == best.entry.id


def test_hybrid_offers_the_entry_a_question_means_in_other_words(
    knowledge: Knowledge, hybrid: Retriever
) -> None:
    """No word of the question names cybersecurity: the lexical score finds
    nothing, the hybrid one puts cybersecurity first."""
    lexical = Retriever(knowledge).ask(PROTECT)
    assert lexical.status == "no_match"
    result = hybrid.ask(PROTECT)
    assert result.status in ("answered", "suggested")
    assert "skill-cybersecurity" == result.ranked[0].entry.id


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how important is cybersecurity for a sr tpm", "skill-cybersecurity"),
        ("wat does an stpm do all day", "responsibilities"),
        ("how do stpms avoid falling behind on new tech", "bp-stay-current"),
        ("is cloud important?", "skill-cloud"),
    ],
)
def test_hybrid_answers_what_the_knowledge_answers(
    hybrid: Retriever, question: str, expected: str
) -> None:
    best = hybrid.ask(question).best
    assert best is not None and expected == best.entry.id
    assert 0 <= best.score <= 100


@pytest.mark.parametrize(
    "question",
    [
        "whats the salary of a senior tpm",
        "which security training is mandatory for us",
        "where do I file my expense report",
        "what's the wifi password",
    ],
)
def test_hybrid_does_not_guess(hybrid: Retriever, question: str) -> None:
    assert hybrid.ask(question).best is None


@pytest.mark.parametrize(
    ("name", "floor"),
    [("nearmiss.yaml", 0.96), ("nearmiss2.yaml", 0.92), ("nearmiss3.yaml", 0.95)],
)
def test_hybrid_refuses_career_questions_the_article_does_not_answer(
    hybrid: Retriever, name: str, floor: float
) -> None:
    """Pay, levels, credentials, hiring, this company, tools the article
    never covers: no confident answer, at least `floor` of the time."""
    _, out_of_scope = load_set(EVAL / name)
    answered = [q for q in out_of_scope if hybrid.ask(q).best is not None]
    assert 1 - len(answered) / len(out_of_scope) >= floor, answered


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_the_examples_the_bot_offers_are_answered(
    hybrid: Retriever, knowledge: Knowledge, mode: str
) -> None:
    """The questions the help suggests ("What does a senior TPM do?") get a
    confident answer in both modes, not a "did you mean"."""
    retriever = hybrid if mode == "hybrid" else Retriever(knowledge)
    for question in EXAMPLES:
        assert retriever.ask(question).best is not None, question


def test_a_question_about_the_subject_alone_needs_an_entry_asked_that_way(
    knowledge: Knowledge, model: Embedder
) -> None:
    """ "what does a senior tpm do?" matches every entry about as well (every
    one is about senior TPMs); it is answered because an entry is asked
    about the subject alone ("what does an stpm do"). Without such
    phrasings the flat ranking stays a "did you mean"."""
    cache = EmbeddingCache(None, model)

    def asks_only_the_subject(text: str) -> bool:
        return set(Retriever(knowledge).normalize(text).tokens) <= SUBJECT_WORDS

    entries = [
        e.model_copy(
            update={
                "questions": tuple(
                    q for q in e.questions if not asks_only_the_subject(q)
                )
            }
        )
        for e in knowledge.entries
    ]
    without = Knowledge.of(entries, knowledge.tips, knowledge.synonyms)
    question = "what does a senior tpm do?"
    shipped = Retriever(knowledge, HYBRID, SemanticIndex(knowledge, cache))
    thinned = Retriever(without, HYBRID, SemanticIndex(without, cache))
    answer = shipped.ask(question).best
    assert answer is not None and "role-definition" == answer.entry.id
    unsure = thinned.ask(question)
    assert unsure.best is None and "role-definition" == unsure.ranked[0].entry.id


# Asked in a channel about the role, without naming it.
UNSAID = {
    "how do i stay current": {"bp-stay-current"},
    "what skills do i need": {"key-skills", "technical-skills"},
}


def as_asked(retriever: Retriever) -> Retriever:
    """`retriever` reading every question as asked, subject unsaid or not."""
    config = replace(retriever.config, implied_subject=False)
    return Retriever(retriever.knowledge, config, retriever.semantic)


def test_the_knowledge_s_subject_is_the_role_as_its_phrasings_say_it(
    knowledge: Knowledge,
) -> None:
    """The words every entry has, said the way its titles and phrasings
    most often say all of them."""
    retriever = Retriever(knowledge)
    index = Index(knowledge.entries, Normalizer(knowledge.synonyms))
    found = subject_of(index, Normalizer(knowledge.synonyms))
    assert found is not None
    assert {"senior", "technical", "program", "manager"} == found.words
    assert {"senior", "technical", "program", "manager"} == set(
        retriever.normalize(found.said).tokens
    )
    texts = [t for e in knowledge.entries for t in (e.title, *e.questions)]
    written = sum(found.said in t for t in texts)
    assert written >= 10, found.said  # as written, not as normalized
    assert found.unsaid(retriever.normalize("how do i stay current").tokens)
    assert not found.unsaid(retriever.normalize("how do tpms stay current").tokens)
    few = knowledge.entries[:4]
    assert subject_of(Index(few, Normalizer()), Normalizer()) is None
    words = ["budget", "travel", "dates", "venue", "food"]
    apart = tuple(
        knowledge.entries[n].model_copy(
            update={
                "id": f"e{n}",
                "title": word,
                "questions": (word,),
                "answer": f"About {word}.",
                "related": (),
            }
        )
        for n, word in enumerate(words)
    )
    assert subject_of(Index(apart, Normalizer()), Normalizer()) is None


def test_a_question_that_leaves_the_subject_unsaid_is_read_with_it(
    hybrid: Retriever,
) -> None:
    """ "how do i stay current", asked in the role's channel, is answered as
    "how does an stpm stay current" would be; read as asked, its meaning is
    too far from every entry to answer. A question about something else
    stays unanswered."""
    plain = as_asked(hybrid)
    for question, expected in UNSAID.items():
        answer = hybrid.ask(question).best
        assert answer is not None, question
        assert answer.entry.id in expected, question
        assert plain.ask(question).best is None, question
    for unrelated in ("how do i reset my password", "where is the lunch menu"):
        assert "no_match" == hybrid.ask(unrelated).status, unrelated


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    """The STPM knowledge with the offsite FAQ ingested beside it."""
    tmp_path = tmp_path_factory.mktemp("offsite")
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    done = cli(
        tmp_path, "ingest", str(FIXTURES / "team_offsite_faq.txt"), knowledge_dir=folder
    )
    assert 0 == done.returncode, done.stderr
    return loading.load(folder)


def test_another_document_beside_changes_no_answer(
    both: Knowledge, knowledge: Knowledge, model: Embedder
) -> None:
    """The offsite FAQ ingested beside the STPM knowledge: the STPM questions
    keep their answers, the unanswerable ones stay unanswered."""
    assert len(both.entries) > len(knowledge.entries) + 100
    cache = EmbeddingCache(None, model)
    alone = Retriever(knowledge, HYBRID, SemanticIndex(knowledge, cache))
    beside = Retriever(both, HYBRID, SemanticIndex(both, cache))
    questions = [
        "how important is cybersecurity for a sr tpm",
        "what are the key responsibilities of an stpm",
        "is cloud important?",
        "whats the salary of a senior tpm",
        "is there a networking event for tpms this quarter",
    ]
    for question in questions:
        a, b = alone.ask(question).best, beside.ask(question).best
        assert (a and a.entry.id) == (b and b.entry.id), question


def test_another_document_s_questions_are_not_read_as_about_the_role(
    both: Knowledge, knowledge: Knowledge, model: Embedder
) -> None:
    """The subject left unsaid is that of the collection a question is
    nearest to as asked: the offsite FAQ's questions, which never name the
    role, get the answers and rankings they get read as asked; the role's
    own unsaid questions keep theirs with the FAQ beside, which is scored as
    for the question as asked."""
    beside = Retriever(both, HYBRID, SemanticIndex(both, EmbeddingCache(None, model)))
    plain = as_asked(beside)
    asked = yaml.safe_load((FIXTURES / "team_offsite_questions.yaml").read_text())
    questions = [item["q"] for item in asked["in_scope"]]
    assert len(questions) >= 50
    for question in questions:
        a, b = beside.ask(question), plain.ask(question)
        assert [m.entry.id for m in a.ranked] == [m.entry.id for m in b.ranked]
        assert (a.best and a.best.entry.id) == (b.best and b.best.entry.id)
    offsite = [e.id for e in both.entries if e.id not in knowledge.by_id]
    for question, expected in UNSAID.items():
        answer = beside.ask(question).best
        assert answer is not None and answer.entry.id in expected, question
        # Read with the role's subject for the role's entries only: the
        # FAQ's entries score as they do for the question as asked.
        read = {m.entry.id: m.score for m in beside.rank(question, len(both.entries))}
        as_is = {m.entry.id: m.score for m in plain.rank(question, len(both.entries))}
        assert [read[i] for i in offsite] == [as_is[i] for i in offsite]
        assert read[answer.entry.id] > as_is[answer.entry.id] + 10


def test_each_collection_learns_its_own_thresholds(
    both: Knowledge, knowledge: Knowledge, model: Embedder
) -> None:
    """At load, each collection's phrasings are asked against the rest of it:
    the curated STPM files, whose phrasings all name their subject, learn a
    bar above the offsite FAQ's, the same bar whether or not the FAQ is
    beside them, and the same bars on every build."""
    cache = EmbeddingCache(None, model)
    below = replace(HYBRID, calibration_below=10.0)
    alone = Retriever(knowledge, below, SemanticIndex(knowledge, cache))
    beside = Retriever(both, below, SemanticIndex(both, cache))
    (stpm,) = alone.calibrated
    assert [stpm[0], len(both.entries) - stpm[0]] == [n for n, _ in beside.calibrated]
    assert stpm == beside.calibrated[0]
    faq = beside.calibrated[1][1]
    assert faq.calibrated and stpm[1].calibrated
    assert HYBRID.answer_threshold - 10 <= faq.answer < stpm[1].answer
    for learnt in (stpm[1], faq):
        gap = HYBRID.answer_threshold - HYBRID.suggest_threshold
        assert abs(learnt.answer - learnt.suggest - gap) < 1e-6
    offsite = next(e for e in both.entries if e.id not in knowledge.by_id)
    assert faq == beside.thresholds(offsite)
    again = Retriever(both, below, SemanticIndex(both, cache))
    assert beside.calibrated == again.calibrated
    shipped = Retriever(both, HYBRID, SemanticIndex(both, cache))
    assert Thresholds(60, 50, calibrated=True) == shipped.calibrated[1][1]
    assert stpm[1] == shipped.calibrated[0][1]


def test_entries_that_differ_by_one_word_raise_their_bar(model: Embedder) -> None:
    """Six parking entries, one per building, asked alike: a wrong entry
    scores high, so the bar goes up, and a question that shares only the
    building ("is it free?", which no entry says) gets a "did you mean"
    instead of the answer the configured 60 would give."""
    places = [
        "main office",
        "airport office",
        "downtown office",
        "north campus",
        "south campus",
        "lab building",
    ]
    knowledge = Knowledge.of(
        [
            Entry(
                id=f"parking-{n}",
                title=f"Parking at the {place}",
                answer=f"Parking at the {place} is in the garage.",
                questions=(
                    f"where can i park at the {place}",
                    f"is there parking at the {place}",
                    f"how do i get a parking permit for the {place}",
                ),
                file="parking.yaml",
            )
            for n, place in enumerate(places)
        ]
    )
    index = SemanticIndex(knowledge, EmbeddingCache(None, model))
    learnt = Retriever(knowledge, HYBRID, index)
    ((_, bar),) = learnt.calibrated
    assert bar.answer > HYBRID.answer_threshold + 5
    question = "is the garage at the north campus free"
    fixed = Retriever(knowledge, replace(HYBRID, calibrate=False), index)
    assert "parking-3" == fixed.ask(question).answers[0].entry.id
    result = learnt.ask(question)
    assert "suggested" == result.status
    assert "parking-3" == result.suggestions[0].entry.id
    assert "answered" == learnt.ask("parking near the airport").status


def test_an_ingested_faq_allowed_under_60_answers_other_words(
    both: Knowledge, model: Embedder
) -> None:
    """Let the offsite FAQ's bar go under 60: a question in other words than
    its one phrasing, scoring just under 60, is answered; at the shipped
    settings it is a "did you mean"."""
    question = "how soon do we start on offsite logistics"
    index = SemanticIndex(both, EmbeddingCache(None, model))
    below = Retriever(both, replace(HYBRID, calibration_below=2.0), index)
    learnt = below.ask(question)
    assert "answered" == learnt.status
    assert (
        "team-offsite-faq-advance-planning-team-offsite" == learnt.answers[0].entry.id
    )
    assert learnt.answers[0].score < HYBRID.answer_threshold
    shipped = Retriever(both, HYBRID, index).ask(question)
    assert "suggested" == shipped.status
    assert learnt.answers[0].entry == shipped.suggestions[0].entry


def test_an_ingested_faq_entry_is_found_by_meaning_not_shared_words(
    both: Knowledge, model: Embedder
) -> None:
    """An ingested FAQ entry has one question: its hybrid score is its cosine
    alone, so a question in other words than that one is answered, where
    the few words it shares with the question used to pull it under 60 (or
    towards another entry)."""
    index = SemanticIndex(both, EmbeddingCache(None, model))
    retriever = Retriever(both, HYBRID, index)
    position = {e.id: i for i, e in enumerate(both.entries)}
    asked = {
        "ways to cut costs for our team offsite": "team-offsite-faq-save-money-offsite",
        "must everyone join the after-hours outings": (
            "team-offsite-faq-attendance-evening-activities-mandatory"
        ),
    }
    for question, expected in asked.items():
        result = retriever.ask(question)
        assert "answered" == result.status, question
        best = result.answers[0]
        assert expected == best.entry.id
        cosine = float(index.similarities(question)[position[expected]])
        assert round(100 * cosine, 1) == best.score
    # A curated entry, with many phrasings, keeps its words' share.
    question = "how important is cybersecurity for a sr tpm"
    curated = retriever.ask(question).answers[0]
    cosine = float(index.similarities(question)[position[curated.entry.id]])
    assert len(curated.entry.questions) >= 3
    assert abs(curated.score - 100 * cosine) > 1


def test_a_threshold_set_by_hand_is_used_everywhere(
    both: Knowledge, model: Embedder
) -> None:
    """STPM_BOT_ANSWER_THRESHOLD given: no collection learns its own."""
    config = RetrieverConfig.for_mode(True, answer_threshold=70)
    assert RetrieverConfig.for_mode(True).calibrate and not config.calibrate
    index = SemanticIndex(both, EmbeddingCache(None, model))
    retriever = Retriever(both, config, index)
    assert () == retriever.calibrated
    assert {Thresholds(70, 50)} == {retriever.thresholds(e) for e in both.entries}


def answer_of(stdout: str) -> list[str]:
    return [a["id"] for a in json.loads(stdout)["answers"]]


def test_without_the_model_the_bot_answers_by_words_with_one_warning(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty").mkdir()
    done = cli(
        tmp_path,
        "ask",
        "--json",
        "how important is cloud computing for an stpm",
        STPM_BOT_MODEL_DIR=str(tmp_path / "empty"),
    )
    assert 0 == done.returncode
    assert ["skill-cloud"] == answer_of(done.stdout)[:1]
    warnings = [
        json.loads(line) for line in done.stderr.splitlines() if "semantic.off" in line
    ]
    assert 1 == len(warnings)
    assert "model.sha256" in warnings[0]["reason"]
    assert not (tmp_path / "data" / "embeddings").exists()


def test_semantic_matching_is_on_by_default_and_can_be_turned_off(
    tmp_path: Path,
) -> None:
    on = cli(tmp_path, "ask", "--json", PROTECT)
    assert 0 == on.returncode
    assert "semantic.off" not in on.stderr
    ready = [json.loads(line) for line in on.stderr.splitlines() if "ready" in line]
    (learnt,) = ready[0]["thresholds"]  # one collection, its own threshold
    assert learnt >= HYBRID.answer_threshold
    assert list((tmp_path / "data" / "embeddings").glob("*.npz"))
    assert json.loads(on.stdout)["suggestions"][0]["id"] == "skill-cybersecurity"

    off = cli(tmp_path / "data", "ask", "--json", PROTECT, STPM_BOT_SEMANTIC="false")
    assert 0 == off.returncode
    assert "semantic.off" not in off.stderr
    ready = [json.loads(line) for line in off.stderr.splitlines() if "ready" in line]
    assert [] == ready[0]["thresholds"]
    assert [] == json.loads(off.stdout)["answers"]
    assert [] == json.loads(off.stdout)["suggestions"]
    assert not (tmp_path / "data" / "data" / "embeddings").exists()


class Hashed:
    """Unit vectors drawn from each text's hash: the model's shape, instant."""

    version = "hashed"

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows = [
            np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(384)
            for t in texts
        ]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), 384)
        unit: Vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return unit


def test_a_large_knowledge_gets_exact_cosines_where_they_matter() -> None:
    """Past the shortlist size, the entries nearest a question (and those
    named) get their exact best cosine; the others a lower bound."""
    entries = [
        Entry(
            id=f"e{i}",
            title=f"topic {i}",
            answer="text",
            questions=tuple(f"question {i} {j}" for j in range(3)),
        )
        for i in range(2500)
    ]
    knowledge = Knowledge.of(entries)
    embedder = Hashed()
    index = SemanticIndex(knowledge, EmbeddingCache(None, embedder))
    question = "question 1234 1"
    got = index.similarities(question, exact=[7])
    query = embedder.embed([question])[0]
    exact = np.array(
        [
            max(float(v @ query) for v in embedder.embed([e.title, *e.questions]))
            for e in entries
        ]
    )
    mean = np.array(
        [
            float(embedder.embed([e.title, *e.questions]).mean(axis=0) @ query)
            for e in entries
        ]
    )
    shortlist = np.argsort(-mean)[:SHORTLIST]
    assert 1234 == int(np.argmax(got))  # its own phrasing: cosine 1
    assert np.allclose(got[shortlist], exact[shortlist], atol=1e-5)
    assert np.isclose(got[7], exact[7], atol=1e-5)
    others = np.setdiff1d(np.arange(len(entries)), [*shortlist, 7])
    assert np.allclose(got[others], mean[others], atol=1e-5)
    assert np.all(got <= exact + 1e-5)
    # One collection of 2,500 entries: too big to learn its thresholds at load.
    retriever = Retriever(knowledge, HYBRID, index)
    assert ((2500, Thresholds(60, 50)),) == retriever.calibrated


@pytest.mark.parametrize(
    "question",
    [
        "what does an a\u0131 engineer need",  # a dotless i, as Turkish keyboards type
        "is cloud important \ud83d",  # half an emoji
        "\u200b\u200b",
    ],
)
def test_odd_text_never_costs_an_answer(hybrid: Retriever, question: str) -> None:
    result = hybrid.ask(question)
    assert result.status in ("answered", "suggested", "no_match", "empty")


def test_a_digest_ending_in_zero_bytes_is_found_again(
    tmp_path: Path, counting: Counting
) -> None:
    """Keys are raw sha256 bytes; one ending in NULs must read back whole."""
    texts = [f"text {i}" for i in (1, 2, 405, 1092)]  # 405, 1092: digests end in 0
    assert hashlib.sha256(texts[2].encode()).digest().endswith(b"\x00")
    EmbeddingCache(tmp_path, counting).vectors(texts)
    cold = len(counting.texts)
    EmbeddingCache(tmp_path, counting).vectors(texts)
    assert cold == len(counting.texts)


def test_two_part_questions_are_capped(hybrid: Retriever, knowledge: Knowledge) -> None:
    """A pasted list of every phrasing is one question, not 29 answers."""
    from bot.answers.followup import MAX_PARTS, parts

    pasted = "? ".join(e.questions[0] for e in knowledge.entries if e.questions)
    assert [pasted] == parts(pasted)
    assert MAX_PARTS == 3


@pytest.mark.parametrize("size", [3, 2500])
def test_a_text_two_entries_share_is_embedded_once_and_counts_for_both(
    tmp_path: Path, size: int
) -> None:
    """Every entry has the phrasing "the shared question": the model sees
    it once, the cache file holds it once, and each entry named gets its
    cosine (1), below and above the shortlist's size."""
    entries = [
        Entry(
            id=f"e{i}",
            title=f"topic {i}",
            answer="text",
            questions=(f"question {i}", "the shared question"),
        )
        for i in range(size)
    ]
    knowledge = Knowledge.of(entries)
    counting = Counting(Hashed())
    cache = EmbeddingCache(tmp_path, counting)
    index = SemanticIndex(knowledge, cache)
    assert 1 == counting.texts.count("the shared question")
    assert 2 * size + 1 == len(counting.texts)
    assert cache.path is not None
    with np.load(cache.path) as data:
        assert (2 * size + 1, 384) == data["vectors"].shape
    got = index.similarities("the shared question", exact=[0, size - 1])
    assert np.allclose(got[[0, size - 1]], 1.0, atol=1e-5)
    again = Counting(Hashed())
    SemanticIndex(knowledge, EmbeddingCache(tmp_path, again))  # a restart
    assert [] == again.texts
