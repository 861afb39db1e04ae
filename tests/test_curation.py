"""Teaching the bot from the terminal's side: minimal edits to the knowledge
files, `stpm-bot knowledge pending` and `apply` as a user runs them."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.cli import curation
from bot.knowledge import edits
from bot.knowledge.edits import add_phrasing, append_entry, entry_block, scalar
from bot.knowledge.loading import load
from bot.settings import Settings
from bot.store.database import Store
from bot.store.engine import engine_for
from bot.store.records import Change
from bot.store.schema import knowledge_changes
from bot.store.teaching import CLAIMED
from tests.support.cli import cli
from tests.support.paths import KNOWLEDGE_DIR

FLOW = """\
entries:
  # the first entry
  - id: a
    title: A
    answer: x
    questions: [q1, q2]  # short ones
    related: []
# tips follow
tips:
  - id: t
    text: y
"""


def _added(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    changed = [line for line in diff if line[:1] in "+-"]
    assert all(line.startswith("+ ") for line in changed), changed
    return [line[2:] for line in changed]


def test_a_phrasing_is_one_line_under_the_entry_s_questions(
    knowledge_copy: Path,
) -> None:
    """The rest of the file, comments and order included, is unchanged."""
    path = knowledge_copy / "skills.yaml"
    before = path.read_text(encoding="utf-8")
    entry = load(knowledge_copy).by_id["skill-cloud"]
    after = add_phrasing(before, entry.line, "do i need aws: really? #yes")
    assert ['      - "do i need aws: really? #yes"'] == _added(before, after)
    path.write_text(after, encoding="utf-8")
    again = load(knowledge_copy).by_id["skill-cloud"]
    assert "do i need aws: really? #yes" == again.questions[-1]
    assert entry.questions == again.questions[:-1]


def test_a_flow_list_and_a_missing_list_get_the_phrasing_too() -> None:
    """`questions: [a, b]` grows in place; an entry without one gets one."""
    assert '    questions: [q1, q2, "new, q"]  # short ones' in add_phrasing(
        FLOW, 3, "new, q"
    )
    bare = "entries:\n  - id: a\n    title: A\n    answer: x\n\n  - id: b\n"
    assert ["    questions:", "      - why"] == _added(
        bare, add_phrasing(bare, 2, "why")
    )


def test_a_new_entry_goes_at_the_end_of_the_entries_list() -> None:
    """Before a later `tips:` and its comment, with a blank line; a new file
    starts with `entries:`; values YAML would misread are quoted."""
    block = entry_block("b", "Yes: no", "line one\n\n  indented", "2020-01-01")
    after = append_entry(FLOW, block)
    assert after.index("  - id: b") < after.index("# tips follow")
    assert ["", *block.rstrip("\n").split("\n")] == _added(FLOW, after)
    assert "entries:\n  - id: b" in append_entry("", block)
    assert ('"yes"', '"2020-01-01"', "it's ok") == (
        scalar("yes"),
        scalar("2020-01-01"),
        scalar("it's ok"),
    )


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def _store(tmp_path: Path) -> Store:
    store = Store(engine_for(f"sqlite:///{tmp_path / 'data' / 'stpm-bot.db'}"))
    store.create_schema()
    return store


def test_pending_lists_who_taught_what(tmp_path: Path, knowledge_copy: Path) -> None:
    """Each change with its number, time, curator and what it does."""
    empty = cli(tmp_path, "knowledge", "pending", knowledge_dir=knowledge_copy)
    assert (0, "Nothing pending.\n") == (empty.returncode, empty.stdout)
    store = _store(tmp_path)
    store.teach("phrasing", "skill-cloud", "xyzzy cloudy", "U0CURATOR")
    store.teach("entry", "vpn", "how do i vpn", "U0CURATOR", title="VPN", answer="A")
    store.close()
    done = cli(tmp_path, "knowledge", "pending", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode
    first, second, total = done.stdout.splitlines()
    assert first.startswith("#1  ") and first.endswith(
        "by U0CURATOR: add the phrasing “xyzzy cloudy” to skill-cloud"
    )
    assert second.endswith("new entry vpn “VPN” for “how do i vpn”")
    assert total.startswith("2 pending")


def test_apply_writes_the_changes_and_marks_them_applied(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """Both changes land in the files, which load and answer them; the rows
    are applied; a second run has nothing to do."""
    store = _store(tmp_path)
    store.teach("phrasing", "skill-cloud", "xyzzy cloudy", "U0CURATOR")
    store.teach(
        "entry",
        "vpn-setup",
        "how do i set up the vpn",
        "U0CURATOR",
        title="Setting up the VPN",
        answer="Install the *client*, then sign in.\n• Ask IT if it fails.",
    )
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode, done.stderr
    assert "Applied #1: add the phrasing “xyzzy cloudy” to skill-cloud" in done.stdout
    assert "2 applied, 0 not" in done.stdout
    loaded = load(knowledge_copy)
    assert "xyzzy cloudy" in loaded.by_id["skill-cloud"].questions
    vpn = loaded.by_id["vpn-setup"]
    assert (str(knowledge_copy / "faq.yaml"), ("how do i set up the vpn",)) == (
        vpn.file,
        vpn.questions,
    )
    assert "• Ask IT if it fails." in vpn.answer
    assert [] == store.changes()
    assert 2 == len(store.changes("applied"))
    store.close()
    again = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert (0, "Nothing pending.\n") == (again.returncode, again.stdout)


def test_phrasings_with_line_separators_are_applied_exactly(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """Characters YAML reads as line breaks (U+0085, U+2028) or refuses (a
    C1 control) in a taught phrasing: each phrasing lands whole, as taught,
    and the ones after it too."""
    taught = ["\u0085nel", "a\u2028line sep", "c1\x9fz", "is cloud hard"]
    store = _store(tmp_path)
    for question in taught:
        store.teach("phrasing", "skill-cloud", question, "U0CURATOR")
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode, done.stderr
    assert "4 applied, 0 not" in done.stdout
    questions = load(knowledge_copy).by_id["skill-cloud"].questions
    assert taught == list(questions[-4:])
    store.close()


def test_a_new_entry_whose_answer_has_control_characters_is_applied(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """An answer pasted with a bell, a C1 control or U+2028 (which a literal
    block can't hold): applied, and it reads back as taught."""
    answer = "Ring\x07 the bell.\u2028Then\x9f wait."
    store = _store(tmp_path)
    store.teach(
        "entry", "bells", "how do bells work", "U0C", title="Bells", answer=answer
    )
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode, done.stderr
    assert answer == load(knowledge_copy).by_id["bells"].answer.strip()
    store.close()


def test_a_change_that_does_not_read_back_as_taught_is_undone(
    tmp_path: Path,
    knowledge_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The safety net under the editor: were a phrasing written so that YAML
    reads it otherwise (here the editor without its escaping, and a U+0085
    that YAML takes for a line break), the file goes back as it was and the
    change stays pending, though the knowledge still loads."""
    monkeypatch.setattr(edits, "scalar", lambda text, flow=False: f'"{text}"')
    before = _cloud_file(knowledge_copy).read_text(encoding="utf-8")
    store = _store(tmp_path)
    store.teach("phrasing", "skill-cloud", "\u0085nel and more", "U0CURATOR")
    settings = Settings(
        _env_file=None, knowledge_dir=knowledge_copy, data_dir=tmp_path / "data"
    )
    assert 1 == curation.apply(settings, argparse.Namespace())
    said = capsys.readouterr().err
    assert "did not read back with “\\x85nel and more” as written" in said
    assert before == _cloud_file(knowledge_copy).read_text(encoding="utf-8")
    assert 1 == len(store.changes())
    store.close()


def test_a_linked_knowledge_file_is_written_through_its_link(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """role.yaml a link to a file kept elsewhere: the phrasing goes into that
    file, and the link stays a link."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (knowledge_copy / "role.yaml").rename(shared / "role.yaml")
    (knowledge_copy / "role.yaml").symlink_to(shared / "role.yaml")
    store = _store(tmp_path)
    store.teach("phrasing", "role-overview", "whats the gist of the stpm job", "U0C")
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode, done.stderr
    assert (knowledge_copy / "role.yaml").is_symlink()
    assert "whats the gist of the stpm job" in (shared / "role.yaml").read_text("utf-8")
    store.close()


def test_a_half_written_file_beside_a_link_s_target_is_removed(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """A run killed while writing through a link leaves its temporary file
    beside the target, outside the folder: the next run removes it too."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (knowledge_copy / "role.yaml").rename(shared / "role.yaml")
    (knowledge_copy / "role.yaml").symlink_to(shared / "role.yaml")
    half = shared / f".role.yaml{curation.TEMPORARY}k3j2x9"
    half.write_text("entries: [", encoding="utf-8")
    _store(tmp_path).close()
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert f"Removed {half.name}, left half-written" in done.stdout
    assert not half.exists()


def test_a_store_that_cannot_be_opened_names_the_setting(tmp_path: Path) -> None:
    """STPM_BOT_DATA_DIR pointing at a file: one line, the setting to check."""
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    done = cli(
        tmp_path,
        "knowledge",
        "pending",
        STPM_BOT_DATA_DIR=str(tmp_path / "not-a-folder"),
    )
    assert 1 == done.returncode
    [line] = [x for x in done.stderr.splitlines() if x.startswith("stpm-bot:")]
    assert "cannot open the store" in line and "check STPM_BOT_DATA_DIR" in line


def test_a_change_the_loader_refuses_is_rolled_back(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """A phrasing another entry has, and an entry that would ping people: one
    line each, the files as they were, the rows still pending, exit 1."""
    before = {p.name: p.read_text(encoding="utf-8") for p in knowledge_copy.iterdir()}
    taken = load(knowledge_copy).by_id["skill-cloud"].questions[0]
    store = _store(tmp_path)
    store.teach("phrasing", "skill-cybersecurity", taken, "U0CURATOR")
    store.teach("entry", "pingy", "q?", "U0CURATOR", title="P", answer="<!here> hi")
    store.teach("phrasing", "no-such-entry", "q2", "U0CURATOR")
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 1 == done.returncode
    lines = done.stderr.strip().splitlines()
    assert 3 == len(lines), lines
    assert lines[0].startswith("stpm-bot: #1 not applied: ")
    assert "is also under entry 'skill-cloud'" in lines[0]
    assert "back as it was" in lines[0]
    assert "#2 not applied" in lines[1] and "<!here> would notify" in lines[1]
    assert "#3 not applied: there is no entry 'no-such-entry' any more" == lines[2][10:]
    after = {p.name: p.read_text(encoding="utf-8") for p in knowledge_copy.iterdir()}
    assert before == after
    assert 3 == len(store.changes())
    store.close()


def test_apply_refuses_knowledge_that_is_already_broken(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """A file that doesn't load before: nothing is touched, exit 1, one line."""
    (knowledge_copy / "broken.yaml").write_text("entries: [\n", encoding="utf-8")
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 1 == done.returncode
    assert 1 == len(done.stderr.strip().splitlines())
    assert "already has 1 problem(s)" in done.stderr


PHRASE = "xyzzy cloudy"


def _cloud_file(knowledge: Path) -> Path:
    return Path(load(knowledge).by_id["skill-cloud"].file)


def _times_taught(knowledge: Path) -> int:
    """How often the phrasing is in skill-cloud's file (and it still loads)."""
    questions = load(knowledge).by_id["skill-cloud"].questions
    assert questions.count(PHRASE) <= 1
    return _cloud_file(knowledge).read_text(encoding="utf-8").count(PHRASE)


class Stopped(BaseException):
    """The process stops here: nothing after it runs, no handler sees it."""


def test_a_run_stopped_between_writing_and_marking_is_finished_once(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """Stopped after the phrasing is in the file and before the store hears
    of it: the change stays claimed; the next run finds it in the file,
    marks it applied and writes nothing again."""
    store = _store(tmp_path)
    store.teach("phrasing", "skill-cloud", PHRASE, "U0CURATOR")
    settings = Settings(
        _env_file=None, knowledge_dir=knowledge_copy, data_dir=tmp_path / "data"
    )

    def stop(change: Change) -> None:
        raise Stopped

    with pytest.raises(Stopped):
        curation.apply(settings, argparse.Namespace(), written=stop)
    assert 1 == _times_taught(knowledge_copy)
    assert [] == store.changes()
    [claimed] = store.changes(CLAIMED)
    listed = cli(tmp_path, "knowledge", "pending", knowledge_dir=knowledge_copy)
    assert "(being applied since " in listed.stdout
    after_stop = _cloud_file(knowledge_copy).read_bytes()
    again = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == again.returncode, again.stderr
    assert "Applied #1 (in the files already): add the phrasing" in again.stdout
    assert after_stop == _cloud_file(knowledge_copy).read_bytes()
    assert [claimed.id] == [c.id for c in store.changes("applied")]
    third = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert (0, "Nothing pending.\n") == (third.returncode, third.stdout)
    store.close()


def test_a_write_the_disk_refuses_leaves_the_file_whole_and_the_change_pending(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """The new file can't be written in full (here a file-size limit, as a
    full disk would): one line, the old file untouched, no temporary file
    left, the change pending; a later run applies it once."""
    cloud = _cloud_file(knowledge_copy)
    padding = "# " + "x" * 98 + "\n"
    cloud.write_text(
        cloud.read_text(encoding="utf-8") + padding * 6_000, encoding="utf-8"
    )
    before = cloud.read_bytes()
    store = _store(tmp_path)
    store.teach("phrasing", "skill-cloud", PHRASE, "U0CURATOR")
    limit = len(before) - 100_000  # the database stays far below it
    done = cli(
        tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy, file_bytes=limit
    )
    assert 1 == done.returncode
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("stpm-bot: #1 not applied: cannot write ")
    assert "File too large" in line
    assert before == cloud.read_bytes()
    assert [] == [p.name for p in cloud.parent.iterdir() if p.name.startswith(".")]
    assert [1] == [c.id for c in store.changes()]
    again = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == again.returncode, again.stderr
    assert 1 == _times_taught(knowledge_copy)
    store.close()


def test_a_half_written_file_a_killed_run_left_is_removed_and_its_change_applied(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """A run killed while writing leaves its claim and half a temporary
    file, the knowledge file itself whole: the next run on the same machine
    and folder removes the temporary file, takes the claim over at once and
    applies the change once."""
    cloud = _cloud_file(knowledge_copy)
    text = cloud.read_text(encoding="utf-8")
    half = cloud.parent / f".{cloud.name}{curation.TEMPORARY}k3j2x9"
    half.write_text(text[: len(text) // 2], encoding="utf-8")
    store = _store(tmp_path)
    change = store.teach("phrasing", "skill-cloud", PHRASE, "U0CURATOR")
    claimer = curation.claimer(knowledge_copy)
    assert store.claim_change(change, claimer, curation.CLAIM_STALE)
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode, done.stderr
    assert f"Removed {half.name}, left half-written" in done.stdout
    assert "Applied #1: add the phrasing" in done.stdout
    assert not half.exists()
    assert 1 == _times_taught(knowledge_copy)
    assert [change] == [c.id for c in store.changes("applied")]
    store.close()


def test_another_machine_s_claim_is_left_until_it_is_stale(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """A change another machine's `apply` claimed a minute ago is skipped
    with one line (it may be writing it into its own copy); claimed eleven
    minutes ago, that run has stopped and this one applies it."""
    store = _store(tmp_path)
    change = store.teach("phrasing", "skill-cloud", PHRASE, "U0CURATOR")
    assert store.claim_change(change, "0ther00", curation.CLAIM_STALE)
    done = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == done.returncode, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("stpm-bot: #1 skipped: another `apply` has been writing")
    assert "1 being applied by another run" in done.stdout
    assert 0 == _times_taught(knowledge_copy)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    with store.engine.begin() as conn:
        conn.execute(update(knowledge_changes).values(applied_at=long_ago))
    again = cli(tmp_path, "knowledge", "apply", knowledge_dir=knowledge_copy)
    assert 0 == again.returncode, again.stderr
    assert "Applied #1: add the phrasing" in again.stdout
    assert 1 == _times_taught(knowledge_copy)
    store.close()
