"""Normalization: what people type in Slack becomes comparable words."""

from __future__ import annotations

from bot.text.markup import clean_slack
from bot.text.normalize import Normalizer, fold, normalize, stem

DOMAIN = Normalizer(
    {
        "senior technical program manager": ("stpm", "sr tpm", "senior tpm"),
        "artificial intelligence machine learning": ("ai/ml", "ai ml"),
        "cybersecurity": ("security", "cyber security"),
    }
)


def test_slack_markup_is_dropped_but_link_labels_kept() -> None:
    """Mentions, channel pings, emoji and link targets carry no meaning."""
    text = "<@U024BE7LH> <!channel> :wave: see <https://x.example/a|cloud guide> &amp;"
    assert "see cloud guide &" == " ".join(clean_slack(text).split())
    assert ("see", "cloud", "guid") == normalize(text).tokens


def test_case_accents_and_curly_apostrophes_fold() -> None:
    """'Café', 'CAFE' and 'cafe' are the same word; a curly apostrophe goes."""
    assert "cafe whats" == fold("Café What\u2019s")


def test_stop_words_and_chatter_are_not_content() -> None:
    """Greetings, fillers and question words don't count as content."""
    assert ("cloud",) == normalize("hey quick q - what about cloud? thx").tokens


def test_abbreviations_expand_to_canonical_words() -> None:
    """STPM, sr TPM and 'senior tpm' all become the same words."""
    expected = ("senior", "technical", "program", "manager")
    for variant in ("STPM", "sr tpm", "Senior TPM"):
        assert expected == DOMAIN.normalize(variant).tokens


def test_slash_and_spaced_forms_are_one_synonym() -> None:
    """'AI/ML' and 'ai ml' normalize identically, punctuation and all."""
    assert DOMAIN.normalize("AI/ML").tokens == DOMAIN.normalize("ai ml").tokens
    assert "artificial intelligence machine learning" == DOMAIN.normalize("AI/ML").text


def test_multiword_synonym_wins_over_its_parts() -> None:
    """The longest variant matches first: 'cyber security' is one concept."""
    assert ("cybersecurity",) == DOMAIN.normalize("cyber security").tokens


def test_synonyms_match_whole_words_only() -> None:
    """'stpm' inside another word is not expanded."""
    assert ("stpmx",) == DOMAIN.normalize("stpmx").tokens


def test_stemming_joins_inflections() -> None:
    """Plurals and -ing/-ed forms share a stem."""
    assert stem("managing") == stem("manage") == stem("managed")
    assert stem("stakeholders") == stem("stakeholder")
    assert "business" == stem("business")


def test_numbers_and_single_letters_are_not_content() -> None:
    """'4 orgs' and 'y' add nothing to match on."""
    assert ("organization",) == normalize("4 orgs y").tokens


def test_binary_and_control_characters_do_not_crash() -> None:
    """Any string normalizes; junk becomes no content."""
    assert () == normalize("\x00\x01\ufffd\u200b").tokens


def test_weighted_vocabulary_is_the_distinct_content_words() -> None:
    """A long text's vocabulary: each content word once, synonyms applied,
    stop words and markup gone, first seen and unseen words alike."""
    text = "<@U1> Our STPM leads security; security reviews zqxunseenword :tada:"
    vocabulary = DOMAIN.weighted(text, 0.6)
    assert dict.fromkeys(DOMAIN.normalize(text).tokens, 0.6) == vocabulary
    assert {"senior", "technical", "program", "manager"} <= set(vocabulary)
    assert "cybersecurity" in vocabulary and "security" not in vocabulary
    assert "zqxunseenword" in vocabulary and "our" not in vocabulary


def test_vocabulary_of_texts_is_each_normalized_alone() -> None:
    """Texts normalized together keep their boundaries: a synonym split
    across two texts ("... ai" / "ml ...") or markup left open in one does
    not reach into the next."""
    texts = [
        "we use ai",
        "ml and cloud",
        "ping <@U1",
        "> security café",
        "with a \x00 inside",
        "",
        "AI/ML roadmap",
    ]

    def alone(texts: list[str]) -> set[str]:
        return set().union(*(DOMAIN.normalize(t).tokens for t in texts))

    assert alone(texts) == DOMAIN.vocabulary(texts)
    assert {"use", "ai", "ml", "cloud"} == DOMAIN.vocabulary(texts[:2])
    assert "artificial" in DOMAIN.vocabulary(texts[5:])  # "AI/ML" is one
