"""What each `stpm-bot` command does, once the CLI has parsed its arguments
and built the settings (and, for most, the core: `bot.compose.Core`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from argparse import Namespace
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.answers import asking as faq
from bot.answers.schedule import tip_for
from bot.cli.render import render, render_skills, render_tip, skill_not_found
from bot.clock import Clock
from bot.compose import Core, retriever_config
from bot.knowledge import draft, loading
from bot.knowledge.ingest import doc_slug
from bot.knowledge.ingest import ingest as draft_entries
from bot.knowledge.models import Entry, Knowledge
from bot.search.evaluation import Miss, Scorecard, crossed_phrasings, load_set
from bot.search.evaluation import evaluate as run_eval
from bot.search.retriever import Retriever
from bot.search.skills import find_skill, format_skill
from bot.settings import Settings


def _print_json(data: Any) -> None:
    print(json.dumps(data), flush=True)


def _fail(message: str) -> int:
    print(f"stpm-bot: {message}", file=sys.stderr)
    return 1


def ask(core: Core, args: Namespace) -> int:
    answerer = core.answerer
    if args.question == ["-"]:
        for raw in sys.stdin.buffer:
            question = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            _print_json(faq.as_json(answerer.lookup(question)))
        return 0
    asked = answerer.lookup(" ".join(args.question))
    if args.json:
        _print_json(faq.as_json(asked))
    else:
        print(render(answerer.reply(asked)))
    return 0


def _skill_json(entry: Entry) -> dict[str, str]:
    if entry.skill is None:
        raise ValueError(f"entry {entry.id!r} is not a skill")
    return {"skill": entry.skill.name, "importance": entry.skill.importance.value}


def skill(core: Core, args: Namespace) -> int:
    knowledge = core.library.snapshot().knowledge
    if not args.name:  # `skill` alone: the table (`skill ""` looks up "")
        if args.json:
            _print_json([_skill_json(e) for e in knowledge.skills])
        else:
            print(render_skills(knowledge.skills))
        return 0
    name = " ".join(args.name)  # `skill cloud computing`, unquoted
    found = find_skill(knowledge, name)
    json_out: dict[str, Any]
    if found.entry is not None:
        json_out, text = _skill_json(found.entry), format_skill(found.entry)
    else:
        json_out = {"skill": None, "suggestions": list(found.suggestions)}
        text = skill_not_found(name, found.suggestions)
    if args.json:
        _print_json(json_out)
    else:
        print(text)
    return 0 if found.entry is not None else 1


def tip(core: Core, args: Namespace) -> int:
    date: dt.date = args.date or core.clock.today()
    knowledge = core.library.snapshot().knowledge
    try:
        chosen = tip_for(knowledge, date)
    except LookupError:
        return _fail("there are no tips in the knowledge")
    if args.json:
        _print_json(
            {"date": date.isoformat(), "id": chosen.id, "text": chosen.text.strip()}
        )
    else:
        print(render_tip(knowledge, chosen, date))
    return 0


def _miss_json(miss: Miss) -> dict[str, Any]:
    return {
        "question": miss.question,
        "expected": list(miss.expected),
        "got": miss.got,
        "score": miss.score,
    }


def _report_json(report: Scorecard) -> dict[str, Any]:
    return {
        "in_scope": report.in_scope,
        "top1": report.top1,
        "top1_rate": round(report.top1_rate, 4),
        "out_of_scope": report.out_of_scope,
        "refused": report.refused,
        "refused_rate": round(report.refused_rate, 4),
        "misses": [_miss_json(m) for m in report.misses],
        "false_answers": [_miss_json(m) for m in report.false_answers],
    }


def evaluate(core: Core, args: Namespace) -> int:
    expected = "expected in_scope: [{q, expect: [ids]}] and out_of_scope: [questions]"
    try:
        labelled, out_of_scope = load_set(args.file)
    except OSError as exc:
        print(
            f"stpm-bot: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2
    except UnicodeDecodeError:
        return _fail(f"{args.file} is not UTF-8 text")
    except yaml.YAMLError as exc:
        reason, line = loading.yaml_problem(exc)
        where = f"{args.file}:{line}" if line else str(args.file)
        return _fail(f"{where}: {reason}")
    except ValueError as exc:  # a key given twice
        return _fail(str(exc))
    except (KeyError, TypeError, AttributeError) as exc:
        return _fail(
            f"{args.file} is not a labelled question set ({expected}): {exc!r}"
        )
    if not labelled and not out_of_scope:
        return _fail(f"{args.file} has no questions ({expected})")
    snapshot = core.library.snapshot()
    unknown = sorted(
        {i for _, ids in labelled for i in ids if i not in snapshot.knowledge.by_id}
    )
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        return _fail(
            f"{args.file}: expect names ids the knowledge has no entry for: "
            f"{', '.join(unknown[:5])}{more}"
        )
    report = run_eval(snapshot.retriever, labelled, out_of_scope)
    if args.json:
        _print_json(_report_json(report))
        return 0
    print(f"top-1: {report.top1_rate:.3f} ({report.top1}/{report.in_scope})")
    print(
        f"out-of-scope refused: {report.refused_rate:.3f} "
        f"({report.refused}/{report.out_of_scope})"
    )
    if args.verbose:
        for m in report.misses:
            want = ", ".join(m.expected)
            print(f"MISS  {m.question!r}: expected {want}; got {m.got} ({m.score})")
        for m in report.false_answers:
            print(f"FALSE {m.question!r}: answered {m.got} ({m.score})")
    return 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# Asking a phrasing takes about a millisecond on a small knowledge, more on a
# big one: past this many, `validate` asks them only when told to.
PHRASING_CHECK_LIMIT = 5000


def validate(settings: Settings, args: Namespace) -> int:
    """Every problem, one per line, then a summary; exit 1 on any error."""
    today = Clock(settings.zone).today()
    loaded, problems = loading.check(settings.knowledge_dir, today)
    if loaded.entries and not loaded.tips and not any(not p.warning for p in problems):
        msg = "no tips: the daily tips have nothing to post; add them to tips.yaml"
        problems.append(loading.Problem(str(settings.knowledge_dir), msg, warning=True))
    phrasings = sum(len(e.questions) for e in loaded.entries)
    skipped = phrasings > PHRASING_CHECK_LIMIT and not args.all_phrasings
    if not skipped and not any(not p.warning for p in problems):
        retriever = Retriever(loaded, retriever_config(settings))
        problems += crossed_phrasings(retriever)
    for problem in problems:
        print(problem)
    if skipped:
        print(
            f"Phrasings not asked: {phrasings:,} of them would take minutes;"
            " add --all-phrasings to ask them."
        )
    errors = sum(1 for p in problems if not p.warning)
    warnings = len(problems) - errors
    if errors:
        print(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}")
        return 1
    summary = f"OK: {len(loaded.entries)} entries, {len(loaded.tips)} tips"
    print(summary + (f", {_count(warnings, 'warning')}" if warnings else ""))
    return 0


def _same_file(a: str, b: Path) -> bool:
    return Path(a).resolve() == b.resolve()


def _breaks_knowledge(
    settings: Settings, target: Path, content: str, today: dt.date
) -> str:
    """What replacing `target` (a file of the knowledge, by its name in the
    folder, a link or not) with `content` would break that works now, checked
    on a copy of the knowledge files (another file's entries relating to the
    ids it drops, say); "" for nothing."""
    directory = settings.knowledge_dir
    if target.absolute().parent.resolve() != directory.absolute().resolve():
        return ""  # not a knowledge file: nothing of the knowledge changes
    _, before = loading.check(directory, today)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for name, raw in loading.read_files(directory):
            if isinstance(raw, bytes):  # one that can't be read stays out
                (copy / Path(name).name).write_bytes(raw)
        (copy / target.name).write_text(content, encoding="utf-8")
        _, after = loading.check(copy, today)

    # A message may name another file ("first defined in …/dup.yaml:2"):
    # the copy's folder is read as the knowledge's.
    here, there = f"{copy}{os.sep}", f"{directory}{os.sep}"

    def said(problem: loading.Problem) -> tuple[str, str, str]:
        message = problem.message.replace(here, there)
        return Path(problem.file).name, problem.entry, message

    was = {said(p) for p in before if not p.warning}
    fresh = [p for p in after if not p.warning and said(p) not in was]
    if not fresh:
        return ""
    first = replace(
        fresh[0],
        file=str(directory / Path(fresh[0].file).name),
        message=fresh[0].message.replace(here, there),
    )
    more = f", and {len(fresh) - 1} more" if len(fresh) > 1 else ""
    return f"{first}{more}"


def ingest(settings: Settings, args: Namespace) -> int:
    article: Path = args.article
    if not article.exists():
        print(f"stpm-bot: there is no file {article}", file=sys.stderr)
        return 2
    try:
        text = draft.read_article(article)
    except draft.ArticleError as exc:
        return _fail(str(exc))
    slug = doc_slug(article.name)
    target: Path = args.out or settings.knowledge_dir / f"{slug}.yaml"
    # Avoid the ids and questions already in the knowledge, except those of
    # the draft being replaced; a broken knowledge file doesn't stop a draft.
    today = Clock(settings.zone).today()
    current, _ = loading.check(settings.knowledge_dir, today)
    others = Knowledge.of(e for e in current.entries if not _same_file(e.file, target))
    entries = draft_entries(text, article.name, others)
    if not entries:
        return _fail(f"{article} has no text under its headings: nothing to ingest")
    content = draft.draft_yaml(entries, article.name, today)
    if args.force and target.exists():
        try:
            broken = _breaks_knowledge(settings, target, content, today)
        except OSError as exc:  # the copy to check it on can't be written
            return _fail(f"cannot write the draft: {exc.strerror or exc}")
        if broken:
            return _fail(
                f"replacing {target} with the draft would break the knowledge "
                f"({broken}); it is as it was: write the draft to another file "
                "with --out"
            )
    try:
        draft.write_draft(target, content, args.force)
    except FileExistsError:
        return _fail(f"{target} already exists; use --force to overwrite it")
    except draft.ArticleError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {target}: {exc.strerror or exc}")
    print(f"Wrote {len(entries)} draft entries to {target}")
    print(
        "Review the draft (see the comments at its top), then run `stpm-bot validate`."
    )
    return 0
