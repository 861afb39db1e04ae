"""Does a question ask about one organisation, person or moment, for a
figure, or about credentials or hiring, rather than about its subject in
general?

General knowledge ("what a senior technical program manager does") answers
questions about the role, not about the asker's company ("do we use aws
here", "what's the ladder at our company"), its people ("who is the head of
tpms") or a moment ("are we hiring right now", "in the next 5 years"), and
it can't give a figure it never states ("how many years of experience do
you need"). Such a
question often sounds like an entry, and its meaning is close to the entry's:
what tells it apart is how it refers, or what it asks about, which is what
this module reads. It names these kinds:

- `organisation`: "here" as a place (not "new grad here," introducing the
  asker, nor "anyone here" addressing the channel); "we", "us" and "our" as
  the organisation, not the deliberating "how do we", "should we", "do we
  need", nor the role's "we" ("as stpms", "we tpms"); "this company", "my
  org", "in the office".
- `person`: "who is the head of …", "who's our …": a particular person
  holding a job (a head, lead, manager, director, VP …), the one holding a
  role in a named unit ("who is the tpm on the payments team"), or anyone
  asked about with "our", "here" or "this company"; not "who are the
  stakeholders a tpm works with" nor "who is the tpm in a project team".
- `time`: "right now", "currently" (not "I'm currently a pm", which describes
  the asker, nor a time in what the asker does or plans: "I want to grow
  into a senior tpm over the next year"), "next year", "in the next 5
  years", a year ("in 2027"), "this quarter"; not "at the moment of a
  launch".

- `figure`: an amount (a length of time, money, a size or a share: "how
  many years of experience", "how long does it take to get promoted", "how
  much does a senior tpm make") or a count ("how many people report to
  …") asked for (`figure_asked`); not "how much does cloud matter" nor "how
  often", which an article answers in words.
- `credential`: a certification (not a system's: "tls certs", "soc 2
  certification"), a degree, a master's, an MBA, a PMP, a bootcamp (not "to
  a degree", "what degree of expertise", a scrum master);
- `hiring`: an interview, a recruiter, a résumé, an offer;
- `career`: the level or role after this one ("the next level after
  senior tpm", "a principal tpm", "the career path after stpm"; not "the
  next step to become one");
- `role`: the role compared with another job ("pm vs tpm", "the difference
  between a tpm and an engineering manager");
- `policy`: working conditions: on-call, remote work, hours, leave,
  holidays, relocation, benefits, expenses (`topic_asked`).
  An entry answers such a question only if it, or its collection, speaks
  of them (`topics_in`): a role's article that never mentions
  certifications can't say which one to get.

A yes-or-no question about "the team" or "the org" ("does the team need a
tpm") asks in general unless it also says "our", "here" or "this company".

A question is read without the sentences that only tell after it has
asked: in "is risk taking ok for a stpm? my director is risk averse and we
never try anything new" the question is general, and the statement is the
asker's situation.

Whether an entry can answer such a question is for the caller to judge from
the entry's own texts and its collection's (`bot.search.retriever`): a
company's FAQ says "our offices", the role's article never does; an entry
that gives no figure (`states_figure`, `lists`) can't say how many.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import Literal, get_args

Kind = Literal[
    "organisation",
    "person",
    "time",
    "figure",
    "credential",
    "hiring",
    "career",
    "role",
    "policy",
]
# A figure asked for: how much or how long, or how many.
Figure = Literal["amount", "count"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# Another job than the subject's, to compare it with.
_OTHER = (
    r"(?:product (?:manager|mgr|owner)s?|pms?|project (?:manager|mgr)s?"
    r"|engineering (?:manager|mgr)s?|eng (?:manager|mgr)s?|ems?|scrum masters?"
    r"|delivery (?:manager|lead)s?|software engineers?|swes?|sdes?"
    r"|data scientists?|(?:solutions? |software )?architects?|staff engineers?"
    r"|agile coach(?:es)?|chiefs? of staff)"
)
_OTHER_ROLE = re.compile(rf"\b{_OTHER}\b")
# Another job on one side of a comparison: "tpm vs eng manager", "the
# difference between a tpm and a product manager", "a delivery lead, the
# same job as a senior tpm?"; not "build vs buy with architects".
_COMPARING = re.compile(
    r"\b(?:vs|versus|compared? (?:to|with)|compares (?:to|with)|different from"
    rf"|differs? from|same (?:thing |role |job )?as) (?:an? |the )?(?:senior |sr )?"
    rf"{_OTHER}\b"
    rf"|\b{_OTHER} (?:vs|versus)\b"
    rf"|\bdifference between (?:[a-z0-9']+ ){{0,6}}?{_OTHER}\b"
    rf"|\bsame (?:thing |role |job )?as (?:[a-z0-9']+ ){{0,5}}?{_OTHER}\b"
    rf"|\b{_OTHER} (?:[a-z0-9']+ ){{0,3}}?(?:the same|different|differ)\b"
)
# "stpm or product manager, which …": a choice between two jobs.
_EITHER = re.compile(rf"\bor (?:an? |the )?(?:senior |sr )?{_OTHER}\b|\b{_OTHER} or\b")
# The topics an entry must speak of to answer a question about them.
_SPOKEN_TOPICS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        "credential",
        re.compile(
            r"\b(?:mba|phd|pmp|pgmp|capm|cissp|csm|pmi acp|safe agilist)s?\b"
            r"|\bmaster's\b|\bmasters (?:degree|in|program)s?\b"
            r"|\bbachelor'?s\b|\bbootcamps?\b|\bdiplomas?\b"
            r"|\b(?:cs|computer science|college|university|engineering|technical"
            r"|business|advanced|graduate|four year|4 year) degrees?\b"
            r"|(?<!\bto )\b(?:a|any|what|which|the right) degrees?\b(?! of\b)"
            r"|\b(?:certs?|certifications?|certified|certificates?)\b"
        ),
    ),
    (
        "hiring",
        re.compile(
            r"\binterview (?:loop|round|process|prep|preparation|questions?|tips"
            r"|panel|stage|format)s?\b"
            r"|\b(?:tpm|stpm|job|behavioral|behavioural|system design|coding"
            r"|onsite|phone|screening|final|hiring|technical|mock) interviews?\b"
            r"(?! (?:stakeholders|users|customers|people|teams?|engineers"
            r"|leaders|experts)\b)"
            r"|\b(?:in|for|at|during|pass|passing|ace|prep for|prepare for"
            r"|preparing for) (?:the |an? |my |your )?(?:[a-z]+ )?interviews?\b"
            r"(?! (?:with|of) (?:stakeholders|users|customers)\b)"
            r"|\binterviewers?\b|\brecruiters?\b|\breferrals?\b"
            r"|\b(?:my|a|your|the|their) (?:tpm |stpm )?(?:resume|cv)s?\b"
            r"|\b(?:resume|cv) (?:format|bullets?|review|tips|template)s?\b"
            r"|\b(?:job|an|the|my|their|this|that|tpm|stpm) offers?\b"
            r"|\boffer letters?\b|\bcounter ?offers?\b"
            r"|\bnegotiat\w* (?:[a-z0-9']+ ){0,3}?offers?\b"
            r"|\bhiring (?:process|manager|managers|bar|loop|committee)\b"
            r"|\bland(?:ing)? (?:a |an |the )?(?:new )?(?:senior |sr )?"
            r"(?:tpm|stpm|technical program manager|program manager) "
            r"(?:job|role|position|offer)s?\b"
            r"|\b(?:get|find) (?:a |an |the )?(?:new )?(?:senior |sr )?"
            r"(?:tpm|stpm|technical program manager|program manager) "
            r"(?:job|position|offer)s?\b"
        ),
    ),
    (
        "career",
        re.compile(
            r"(?<!\bto the )\bnext levels?\b"
            r"|\b(?:next|higher) (?:step|role|title|move|position|rung|grade)s? "
            r"(?:up )?(?:after|beyond|above|from) (?:being |becoming )?"
            r"(?:an? |the )?(?:senior|sr|stpm|stpms|tpm|principal|staff|this)\b"
            r"|\bcareer (?:path|ladder|progression|track|trajectory)s? "
            r"(?:after|beyond|above|past|for (?:an? )?(?:senior|sr|stpm))"
            r"|\b(?:stpm|tpm|senior tpm|sr tpm) career (?:ladder|path|progression"
            r"|track)s?\b"
            r"|\b(?:after|beyond|above|past) (?:being |becoming )?(?:an? )?"
            r"(?:(?:senior|sr) (?:tpm|technical program manager|program manager"
            r"|level)s?|stpms?)\b"
            r"|\bpromot\w* (?:to|into) (?:principal|staff|director|group|lead)\b"
            r"|\bpromotion (?:path|track|criteria|process|cycle|timeline|packet)s?\b"
            r"|\bget(?:s|ting)? promoted\b"
            r"|\b(?:principal|staff|group) (?:tpm|technical program manager"
            r"|program manager)s?\b"
        ),
    ),
    (
        "policy",
        re.compile(
            r"\b(?:be|being|are|is|am|go|goes|going|stay|staying) on call\b"
            r"|\bon call (?:duty|duties|shifts?|expectations?|hours"
            r"|requirements?)\b|\bjoin (?:the |a )?pager rotations?\b"
            r"|\bwfh\b|\bwork(?:ing)? from home\b"
            r"|\b(?:can|could|do|does|are|is|allowed to|able to|get to|have to)"
            r" (?:[a-z0-9']+ ){0,3}?work (?:fully |100 |full time )?remote(?:ly)?\b"
            r"|\bremote (?:role|job|position|polic(?:y|ies))s?\b"
            r"|\bremote work polic(?:y|ies)\b|\bfully remote\b"
            r"|\b(?:remote|hybrid) or (?:hybrid|in office|onsite|remote)\b"
            r"|\bhybrid (?:schedule|policy|role)s?\b|\breturn to (?:the )?office\b"
            r"|\bdays? (?:a|per) week in (?:the )?office\b"
            r"|\bpto\b|\bvacations?\b|\b(?:public|company|bank|office) holidays?\b"
            r"|\bholiday (?:schedule|calendar|party|policy)\b|\bovertime\b"
            r"|\b(?:parental|maternity|paternity|sick|annual|study|medical) leave\b"
            r"|\b(?:typical|normal|usual|long|standard|core|regular)"
            r" (?:working |work )?hours\b|\bhours (?:a|per) week\b"
            r"|\bwork(?:ing)? (?:on )?(?:the )?weekends?\b|\bweekend work\b"
            r"|\brelocation (?:package|assistance|support|bonus)s?\b"
            r"|\bpay (?:for )?(?:my )?relocation\b"
            r"|\bvisa sponsorship\b|\bsponsor (?:a |my |work )?visas?\b"
            r"|\bwork visas?\b|\bh1b\b|\b401 ?k\b|\bpensions?\b"
            r"|\b(?:health|employee|company|good) benefits\b"
            r"|\bbenefits (?:enrol\w*|package)\b"
            r"|\bexpense (?:reports?|claims?|polic(?:y|ies))\b"
            r"|\bexpens(?:e|ing) (?:a|an|my|the)\b|\breimburs\w*"
            r"|\bdress code\b|\btravel (?:budget|polic(?:y|ies))s?\b"
            r"|\b(?:have|need|expected) to travel\b|\btravel (?:a lot|much|often)\b"
            r"|\btime off\b|\bwork life balance\b|\bwlb\b"
        ),
    ),
)
_CREDENTIAL = dict(_SPOKEN_TOPICS)["credential"]
# Certificates of a system or an audit ("tls certs", "soc 2 certification"),
# not of a person.
_COMPLIANCE = re.compile(
    r"\b(?:tls|ssl|x509|https|soc|iso|pci|hipaa|fedramp|gdpr|compliance|audit"
    r"|audits)\b"
)
_CERT = re.compile(r"\b(?:certs?|certifications?|certified|certificates?)\b")
# The subject's own job, named on one side of a comparison.
_SUBJECT_ROLE = re.compile(
    r"\b(?:s?tpms?|sr tpms?|senior tpms?|(?:technical )?program (?:manager|mgr)s?"
    r"|this (?:role|job))\b"
)
# For each topic, the words its pattern needs one of (for a comparison, the
# other job's), in every form the pattern takes: a text with none of any is
# passed over at once, and a pattern is tried only when its words are there.
_TRIGGER_WORDS: tuple[tuple[Kind, str], ...] = (
    (
        "credential",
        """mba mbas phd phds pmp pgmp capm cissp csm acp agilist master
            masters bachelor bachelors bootcamp bootcamps diploma diplomas degree
            degrees cert certs certified certify certification certifications
            certificate certificates""",
    ),
    (
        "hiring",
        """interview interviews interviewed interviewing interviewer
            interviewers recruiter recruiters recruiting recruitment referral
            referrals resume resumes cv cvs offer offers counteroffer
            counteroffers counter negotiate negotiates negotiated negotiating
            negotiation negotiations hiring land landing job jobs position
            positions""",
    ),
    (
        "career",
        """next higher career careers after beyond above past principal
            staff group promote promotes promoted promoting promotion
            promotions""",
    ),
    (
        "policy",
        """call pager wfh home remote remotely fully hybrid office pto
            vacation vacations holiday holidays overtime leave hours weekend
            weekends relocate relocates relocated relocating relocation visa
            visas sponsor sponsorship h1b 401 401k pension pensions benefits
            expense expenses expensing reimburse reimburses reimbursed
            reimbursing reimbursement reimbursements dress travel off wlb
            balance""",
    ),
    (
        "role",
        """manager managers mgr mgrs owner owners pm pms em ems scrum
            delivery engineer engineers swe swes sde sdes scientist scientists
            architect architects coach coaches chief chiefs""",
    ),
)
_TRIGGERS = {kind: frozenset(words.split()) for kind, words in _TRIGGER_WORDS}
# Punctuation as spaces, for cutting a text into its words fast.
_SPACED = str.maketrans(dict.fromkeys("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", " "))

# Slack markup and emoji codes end a clause ("PM here :wave: when I …").
_MARKUP = re.compile(r"<[^<>\n]*>|:[a-z0-9_+'-]+:")
_CLAUSE = re.compile(r"[,.;!?()\[\]\"\u201c\u201d]|\s[-\u2013\u2014]\s|\n")
# "i mean here", "specifically on our team", "asking about this company",
# "at our company": what a question meant, said after it.
_NARROWING = re.compile(
    r"(?:i mean|i meant|meaning|specifically|especially|particularly|asking"
    r" (?:about|for)|(?:at|in|on|for|within|inside) (?:our|this|my|the)\b"
    r"|here\b|like\b)"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

_FIRST_PLURAL = frozenset({"we", "us", "our", "ours", "ourselves"})
# "we" contracted: "we're", "we've", "we'd", "we'll".
_WE = re.compile(r"^we'(?:re|ve|d|ll)$")
# Who "we" are, said in the question: the role's members, not one company.
_ROLE = (
    r"(?:senior |sr |new |fellow |aspiring )?"
    r"(?:s?tpms?|(?:technical )?program managers?|pms?)\b"
)
_ROLE_WE = re.compile(rf"\b(?:as|we|us|fellow) {_ROLE}")
# Asking what to do or how, not what is: "how do we", "should we", "do we
# need".
_MODAL = frozenset({"should", "can", "could", "would", "might", "must", "shall"})
_MANNER = frozenset({"how", "why"})
_NEED = frozenset({"need", "needs", "want"})
_AUDIENCE = frozenset(
    {"anyone", "anybody", "everyone", "everybody", "someone", "somebody", "folks"}
)
_SELF_INTRO_WORDS = 4  # "new sr tpm here," introduces the asker
# A clause that starts like a question asks; one that starts with a noun and
# then "here" introduces the asker ("engineer here thinking of …").
_ASKING = frozenset(
    """what whats what's which who whos who's where when how why is are am do
    does did can could should would will was were has have any anyone""".split()
)
_ORGANISATION = re.compile(
    r"\b(?:this|my) (?:company|org|organization|organisation|firm|employer)\b"
    r"|\b(?:in|at|to|from) the office\b"
    # A yes-or-no question about the company: "is the company planning …".
    r"|^(?:does|do|is|are|has|have|will|did|was) the (?:[a-z0-9]+ ){0,3}"
    r"(?:company|office)\b"
)
# The same about a unit ("does the ml platform team have …") is about one
# organisation only when the question says whose ("does the team here …").
_UNIT = re.compile(
    r"^(?:does|do|is|are|has|have|will|did|was) the (?:[a-z0-9]+ ){0,3}"
    r"(?:team|org|organization|organisation|department)\b"
)
# Whose: "our", "this company" (and "here" as a place: `_locative_here`).
_OWN = re.compile(
    r"\b(?:our|this (?:company|org|organization|organisation|firm|team))\b"
)
_WHO = re.compile(r"\bwho(?: is|'s| are| was) (?:the|our|in charge)\b")
# "who is the head of …": the one holding a job, not "who is the tpm
# accountable to" (a program, product or project manager is the role).
_PERSON = re.compile(
    r"\bwho(?: is|'s| are| was) (?:our\b|in charge\b|the (?:[a-z0-9']+ ){0,3}?"
    r"(?:heads?|leads?|leaders?|(?<!program )(?<!product )(?<!project )managers?"
    r"|directors?|vps?|vice presidents?|chiefs?|c[eit]o|bosse?s?|owners?"
    r"|recruiters?|contacts?)\b"
    # "who is the tpm on the payments team": whoever holds the role in one
    # named unit, not "who is the tpm in a project team".
    r"|the (?:[a-z0-9']+ ){1,3}?(?:on|in|for|of) the "
    r"(?!(?:team|org|group|squad|project|program)s?\b)(?:[a-z0-9'-]+ ){1,3}?"
    r"(?:team|org|group|squad|project|program)s?\b)"
)
# "I'm currently a pm": the asker, not the moment.
_ASKER_NOW = re.compile(
    r"^(?:[a-z]+ )?(?:i|i'm|im|i've|ive)(?: [a-z']+){0,2} currently\b"
)
# The asker as the one who acts.
_ASKER_SUBJECT = frozenset({"i", "i'm", "im", "i've", "ive", "i'd", "i'll"})
# How a clause that describes the asker starts ("currently a tpm", "just
# joined", "new here"), and the words people open a message with.
_SELF_TOLD = frozenset(
    "currently recently just new newly former formerly ex aspiring".split()
)
_OPENERS = frozenset("hey hi hello so ok okay well also btw fyi and but yo".split())
# "i'm", "im", "i've" say what the asker is or has been; these verbs, after
# "i" (or "i just", "i recently"), what they became.
_I_AM = frozenset({"i'm", "im", "i've", "ive"})
_BECAME = frozenset(
    "joined started moved switched transferred got became joining starting".split()
)
# Words that name a team, an organisation or "we" in a clause: whose case
# the question may be about.
_ORGANISED = frozenset(
    """team teams org orgs organization organisation company department dept
    office we we're we've us our ours group squad""".split()
)
# What follows "i" when the rest is what someone said or what is asked.
_HEARSAY = re.compile(
    r"(?:(?:am|was|were|have been|'ve been|been) )?(?:told|heard|hear|hearing"
    r"|think|thought|thinking|wonder|wondered|wondering|guess|believe|read|saw"
    r"|noticed|know|knew|understand|want to know|wanna know|need to know"
    r"|would like to know|'d like to know|like to know|was wondering)\b"
)
# A figure asked for. An amount: a length of time, money, a size or a share
# ("how long", "how many years", "how much does it pay", "the salary", "the
# size of", "what percentage"); not "how long should i keep learning" (for
# how long an activity goes on, which an article answers "continuously"),
# nor "does it pay off", nor "how big is the scope" (said of scope as
# often as of size).
_UNITS = r"(?:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?)"
# "the number of", asked ("what's the number of …"), not "a large number of".
_NUMBER_OF = r"(?:(?<![a-z0-9' ])|(?<=\bthe )|(?<=\bwhat ))number of"
_MONEY_VERB = (
    r"(?:make|makes|earn|earns|paid|pay|cost|costs|charge|charges)"
    # followed by what says how much, where, or nothing: not "cost when …"
    r"(?=$| (?:an? (?:year|month|week|day|hour)|the|per|in|at|for|to|on|vs"
    r"|versus|than|compared|each|every|annually|yearly|monthly|hourly|after"
    r"|before|with|as|here|there|now)\b)"
)
_AMOUNT = re.compile(
    r"\bhow long\b(?!(?: [a-z0-9']+){0,4} (?:keep|stay|continue|remain)\b)"
    rf"|\b(?:how many|{_NUMBER_OF}) {_UNITS}\b"
    r"|\bhow much (?:money|time|experience|equity|stock|bonus|pto|vacation|leave)\b"
    rf"|\bhow much (?:[a-z0-9']+ ){{0,6}}?{_MONEY_VERB}"
    rf"|\bwhat do(?:es)? (?:[a-z0-9']+ ){{1,4}}?(?:make|earn|get paid)"
    r"(?=$| (?:in|at|per|an? (?:year|month|hour)|annually|yearly|here|there|now)\b)"
    r"|\bget(?:s|ting)? paid\b"
    # "by how much it grew", not "sorted by how much they matter"
    r"|\bby how much\b(?! (?:[a-z0-9']+ ){0,4}?matters?\b)"
    r"|\b(?:salary|salaries|compensation|comp(?! sci)|tc|wages?|bonus(?:es)?|equity"
    r"|rsus?|hourly rate|day rate|six figures|\d+k"
    r"|pay(?! off| (?:close |more |less )?attention))\b"
    r"|\b(?:what(?:'s|s| is) (?:[a-z0-9']+ ){0,3}?|how (?:big|large|much) (?:an? )?)"
    r"budgets?\b"
    r"|\b(?:yoe|yrs of exp\w*|years? of experience)\b"
    r"|\bsize of\b|\bheadcount\b"
    # the size of a group ("how big are stpm teams"), not of a scope
    r"|\bhow (?:big|large) (?:is|are) (?:[a-z0-9']+ ){0,3}?"
    r"(?:teams?|orgs?|organi[sz]ations?|departments?|groups?|offices?)\b"
    # a rate of growth ("how fast will demand grow")
    r"|\bhow (?:fast|quickly) (?:will|would|does|do|is|are|has|have) "
    r"(?:[a-z0-9']+ ){0,4}?(?:grow|growing|grown|increase|increasing|rise|rising)\b"
    r"|\bwhat (?:percent|percentage|proportion|fraction)\b"
)
# A count: "how many skills", "the number of teams", with what is counted.
_COUNT = re.compile(
    rf"\b(?:how many|{_NUMBER_OF}) (?:of )?(?:the )?([a-z0-9']+(?: [a-z0-9']+)?)"
)
# A sign that asks: "what % of", "how much $$"; not "99% uptime".
_SIGN_ASKED = re.compile(r"\bwhat ?%|%\s*of\b|\bhow (?:much|many) ?[%$]|\$\$")
# Words before the counted noun: "how many key skills".
_COUNT_MODIFIERS = frozenset(
    "key main different total typical core top important major separate other"
    " big small tech technical".split()
)
# A clause that sets pay aside: "salary aside, what does …", "not asking
# about pay".
_PAY = r"(?:the )?(?:salary|salaries|pay|comp|compensation|money)"
_ASIDE = re.compile(
    rf"\b{_PAY} aside\b|\b(?:aside from|apart from|besides|other than"
    rf"|not asking about|forget(?:ting)?(?: about)?|ignoring) {_PAY}\b"
)
# What every pattern above needs, one of them at least, looked for first
# (a word, or a sign or digit): most questions have none.
_FIGURE_WORDS = frozenset(
    """many long much number make earn paid pay salary salaries comp compensation
    tc wage wages bonus bonuses equity rsu rsus rate figures budget budgets yoe
    yrs year years size headcount percent percentage proportion fraction big
    large fast quickly""".split()
)
_FIGURE_MARK = re.compile(r"[%$\d]")
_PUNCTUATION = "?!.,;:()[]\"'*_~"
_JOINING = frozenset("but and so also ok okay then just like or".split())
# "How many hats does a tpm wear": the roles it plays, not a count.
_NOT_COUNTED = frozenset({"hats"})


# A figure stated: a numeral standing alone ("4 minutes", not the "3" of
# "S3" or "web3"), a percentage or an amount of money; or a number word (not
# "one", as in "one of").
_FIGURE_SIGN = re.compile(r"(?<![a-z])\d|[%$\u20ac\u00a3]")
_NUMBER_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|sixty|hundreds?|thousands?|millions?|billions?"
    r"|dozens?|percent)\b"
)
_NUMBER_UNIT = re.compile(rf"{_NUMBER_WORD.pattern} (?:[a-z-]+ )?{_UNITS}\b")
_BULLET = re.compile(r"^[ \t]*(?:[\u2022*-]|\d+[.)])[ \t]", re.MULTILINE)
_TIME = re.compile(
    r"\b(?:right now|currently|at the moment(?! of\b)|as of now|these days)\b"
    r"|\b(?:this|next|coming) (?:year|quarter|half|month|cycle)\b"
    r"|\b(?:next|coming|last) (?:\d+|few|couple(?: of)?|two|three|five|ten) years\b"
    r"|\b(?:19|20)\d\d\b"
)
# What each pattern above cannot match without, looked for first: most texts
# (an article's paragraphs, read at every load) have none of them.
_PLURAL_HINT = re.compile(r"\b(?:we|us|ours?|ourselves)\b")
_ORGANISATION_HINT = re.compile("compan|org|firm|employer|office|team|department")
_TIME_HINT = re.compile("now|current|moment|days|year|quarter|half|month|cycle|19|20")
# Any of them, in the lower-cased text before it is cut into words (each
# word is a piece of it, between characters no word has): none, no kind.
_ANY_HINT = re.compile(
    rf"here|who|{_ORGANISATION_HINT.pattern}|{_TIME_HINT.pattern}"
    r"|(?<![a-z0-9])(?:we|us|ours?|ourselves)(?![a-z0-9])"
)


def _asked(lowered: str) -> str:
    """`lowered` without the sentences that only tell after it has asked:
    in "is risk taking ok for a stpm? my director is risk averse and we
    never try anything new" the question is general and what follows is the
    asker's situation. A sentence asks when it has a "?" or starts like a
    question ("who is our vp. anyone know?" asks twice); what is told
    before the first question is kept, since it may be what the question
    is about ("at our company. what's the ladder?"), and so is what narrows
    the question after it ("what skills matter? i mean here at our
    company")."""
    sentences = _SENTENCE.split(lowered)
    first = next((n for n, s in enumerate(sentences) if _asks(s)), None)
    if first is None:
        return lowered
    after = [s for s in sentences[first:] if _asks(s) or _narrows(s)]
    return " ".join(sentences[:first] + after)


def _narrows(sentence: str) -> bool:
    """A sentence that says which case a question before it means."""
    return bool(_NARROWING.match(_MARKUP.sub(" ", sentence).strip()))


def _asks(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    return "?" in sentence or (bool(words) and words[0] in _ASKING)


def _lower(text: str) -> str:
    return text.replace("\u2019", "'").lower()


def clauses(text: str) -> list[list[str]]:
    """The text's clauses as lists of lower-case words (apostrophes kept)."""
    return _clauses(_lower(text))


def _clauses(lowered: str) -> list[list[str]]:
    text = _MARKUP.sub(",", lowered)
    return [words for part in _CLAUSE.split(text) if (words := _WORD.findall(part))]


def _opens(clause: list[str]) -> list[str]:
    """The clause past the words people open with ("hey so im new here")."""
    n = 0
    while n < len(clause) - 1 and clause[n] in _OPENERS:
        n += 1
    return clause[n:]


def _tells_of_the_asker(clause: list[str]) -> bool:
    """The clause only says who the asker is ("im new here", "currently a
    tpm", "just joined as a tpm here", "right now im an engineer") rather
    than asking: "i'm", "i am", "i've been" or "i just joined" as it
    starts, or a word describing them. Not when it names a team, an
    organisation or "we" ("im on the payments team here", "just joined our
    company", "we use jira here"), whose case the question may be about, nor
    what they need, heard or think ("i need a laptop here", "i think layoffs
    are coming this year")."""
    words = _opens(clause)
    if not words or words[0] in _ASKING or _ORGANISED & set(words):
        return False
    if words[0] in _SELF_TOLD:
        return True
    for n, word in enumerate(words[:-1]):
        if word in _ASKER_SUBJECT:
            after = words[n + 1 : n + 3]
            if _HEARSAY.match(" ".join(words[n + 1 : n + 4])):
                return False  # "i've heard the path here is slow"
            return (
                word in _I_AM
                or after[:1] in (["am"], ["been"])
                or bool(_BECAME & set(after))
            )
    return False


def _past_the_asker(parts: list[list[str]]) -> list[list[str]]:
    """`parts` without the clauses before the last asking one that only tell
    of the asker: "hey so im new here, what is an stpm exactly?" asks in
    general, whatever "here" is."""
    asking = [n for n, c in enumerate(parts) if (w := _opens(c)) and w[0] in _ASKING]
    if not asking:
        return parts
    last = asking[-1]
    return [c for n, c in enumerate(parts) if n >= last or not _tells_of_the_asker(c)]


def _locative_here(clause: list[str]) -> bool:
    """A "here" in the clause that means this place."""
    for n, word in enumerate(clause):
        if word != "here":
            continue
        if n < _SELF_INTRO_WORDS and clause[0] not in _ASKING:
            continue  # "new grad here," "PM here", "engineer here thinking …"
        if n and clause[n - 1] in _AUDIENCE:
            continue  # "does anyone here know …": the channel, not the place
        return True
    return False


def _asker_plans(clause: list[str]) -> bool:
    """The clause tells what the asker does, plans or wants ("I want to grow
    into a senior tpm over the next year", "i'm joining next month"): it
    starts with them as its subject, so its time is theirs, not a moment
    asked about. Not a question ("will i …", "what skills do i need this
    cycle"), nor what they heard, think or want to know, whose time is the
    world's ("i think layoffs are coming this year", "i want to know what
    the responsibilities are right now")."""
    if not clause or clause[0] not in _ASKER_SUBJECT:
        return False
    said = " ".join(clause[1:4])
    return not _HEARSAY.match(said)


def _deliberates(after: list[str]) -> bool:
    """ "do we need", "do we want", "do we have to" ask what to do."""
    return bool(after[:1]) and (after[0] in _NEED or after == ["have", "to"])


def _organisational_we(clause: list[str]) -> bool:
    """A "we", "us" or "our" in the clause that stands for the organisation:
    none when the clause deliberates ("how do we plan our …")."""
    plural = False
    for n, word in enumerate(clause):
        we = word == "we" or (word[:3] == "we'" and bool(_WE.match(word)))
        if not we and word not in _FIRST_PLURAL:
            continue
        plural = True
        before = set(clause[max(0, n - 3) : n])
        if we and (
            _MODAL & before
            or _MANNER & before
            or (clause[n - 1 : n] == ["do"] and _deliberates(clause[n + 1 : n + 3]))
        ):
            return False  # "how do we …", "should we …", "do we need …"
    return plural


def local_reference(
    text: str, places: bool = True, question: bool = False
) -> frozenset[Kind]:
    """The kinds of particular reference in `text` (empty: it asks in
    general). `places=False` leaves out "here", which an article uses for
    "at this point" ("staying current helps here"). `question`: `text` is
    what someone asked, read without what they tell after asking (an
    answer's "Lost your badge? Our front desk …" is all said). A figure
    asked for is `figure_asked`'s to read."""
    found: set[Kind] = set()
    lowered = _lower(text)
    if not _ANY_HINT.search(lowered):
        return frozenset()
    if question:
        lowered = _asked(lowered)
    parts = _clauses(lowered)
    if question:
        parts = _past_the_asker(parts)
    said = [" ".join(words) for words in parts]
    joined = " ".join(said)
    here = places and "here" in joined and any(_locative_here(c) for c in parts)
    # "as tpms, … our programs": the role's "our", nobody's in particular.
    own = here or (bool(_OWN.search(joined)) and not _ROLE_WE.search(joined))
    if (
        here
        or (
            _ORGANISATION_HINT.search(joined)
            and any(_ORGANISATION.search(c) for c in said)
        )
        or (
            _PLURAL_HINT.search(joined)
            and any(_organisational_we(c) for c in parts)
            and not _ROLE_WE.search(joined)
        )
        or (any(_UNIT.search(c) for c in said) and own)
    ):
        found.add("organisation")
    if "who" in joined and (_PERSON.search(joined) or (_WHO.search(joined) and own)):
        found.add("person")
    if _TIME_HINT.search(joined) and any(
        _TIME.search(_ASKER_NOW.sub("", c))
        for c, words in zip(said, parts, strict=True)
        if not _asker_plans(words)
    ):
        found.add("time")
    return frozenset(found)


def _opening(words: list[str]) -> str:
    """A clause's first word past a joining one ("but what does …")."""
    return next((w for w in words if w not in _JOINING), "")


def figure_asked(text: str, question: bool = False) -> tuple[Figure, str] | None:
    """The figure `text` asks for: ("amount", "") for a length of time, money,
    a size or a share; ("count", noun) for how many of something ("how many
    key skills": "skills"); None when it asks none. Clauses where the asker
    tells of themselves ("i have 6 yrs of exp") or sets pay aside ("salary
    aside, …") don't ask. `question`: read without what is told after
    asking, as `local_reference` reads it."""
    lowered = _plain(text)
    tokens = {w.strip(_PUNCTUATION) for w in lowered.split()}
    if tokens.isdisjoint(_FIGURE_WORDS) and not _FIGURE_MARK.search(lowered):
        return None
    if question:
        lowered = _asked(lowered)
    pieces = [
        (piece, words)
        for piece in _CLAUSE.split(_MARKUP.sub(",", lowered))
        if (words := _WORD.findall(piece))
    ]
    # Where some clauses ask ("i know the pay is good, but what does …"),
    # only those.
    asking = [p for p in pieces if _opening(p[1]) in _ASKING]
    counted = None
    for piece, words in asking or pieces:
        said = " ".join(words)
        if _asker_plans(words) or _ASIDE.search(said):
            continue
        if _AMOUNT.search(said) or _SIGN_ASKED.search(piece):
            return ("amount", "")
        if counted is None and (found := _COUNT.search(said)):
            first, *rest = found.group(1).split()
            counted = rest[0] if first in _COUNT_MODIFIERS and rest else first
    if counted is None or counted in _NOT_COUNTED:
        return None
    return ("count", counted)


def _plain(text: str) -> str:
    """`text` lower-cased without accents ("résumé" as "resume")."""
    lowered = _lower(text)
    if lowered.isascii():
        return lowered
    spelled = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in spelled if not unicodedata.combining(c))


def topics_in(text: str) -> frozenset[Kind]:
    """The topics (`credential`, `hiring`, `career`, `role`: another job
    named, `policy`) `text` speaks of anywhere."""
    lowered = _plain(text)
    kinds = _triggered(lowered)
    if not kinds:
        return frozenset()
    said = [" ".join(words) for words in _clauses(lowered)]
    found = _topics(said, kinds)
    if "role" in kinds and any(_OTHER_ROLE.search(c) for c in said):
        found.add("role")
    return frozenset(found)


def _topics(said: list[str], kinds: Collection[Kind]) -> set[Kind]:
    """Which of `kinds` (of `_SPOKEN_TOPICS`) the clauses `said` ask about.
    Each pattern is looked for once, in the clauses joined by a mark no
    pattern crosses."""
    joined = " | ".join(said)
    found: set[Kind] = set()
    for kind, pattern in _SPOKEN_TOPICS:
        if kind not in kinds or pattern.search(joined) is None:
            continue
        if kind == "credential" and not _credential(said):
            continue
        found.add(kind)
    return found


def _triggered(lowered: str) -> list[Kind]:
    """The topics whose words (`_TRIGGERS`) are in `lowered`."""
    words = set(lowered.translate(_SPACED).split())
    return [kind for kind, needed in _TRIGGERS.items() if not needed.isdisjoint(words)]


def _credential(said: list[str]) -> bool:
    """Some clause names a credential: not only a system's certificate."""
    for clause in said:
        for match in _CREDENTIAL.finditer(clause):
            if not (_CERT.fullmatch(match.group(0)) and _COMPLIANCE.search(clause)):
                return True
    return False


def _compares(parts: list[list[str]]) -> bool:
    """Some clause compares the subject's job with another ("pm vs tpm",
    "is a delivery lead the same job as a senior tpm"), or names both with
    "or" and asks which, or the difference, there or in the next clause
    ("stpm or product manager, which is better?")."""
    said = [" ".join(words) for words in parts]
    for n, clause in enumerate(said):
        if not (_OTHER_ROLE.search(clause) and _SUBJECT_ROLE.search(clause)):
            continue
        if _COMPARING.search(clause):
            return True
        after = parts[n + 1] if n + 1 < len(parts) else []
        asks_which = {"which", "difference", "better"}
        if _EITHER.search(clause) and asks_which & {*clause.split(), *after}:
            return True
    return False


def topic_asked(text: str, question: bool = False) -> frozenset[Kind]:
    """The topics `text` asks about, in the clauses that ask (where none
    does, in every clause), not where the asker tells of themselves ("i
    have a master's in cs, what skills …", "i'm interviewing next week,
    what are the responsibilities?"). A comparison with another job is read
    in every clause: it often comes before the question ("tpm vs eng
    manager, which track should i pick"). `question`: read without what is
    told after asking, as `local_reference` reads it."""
    lowered = _plain(text)
    kinds = _triggered(lowered)
    if not kinds:
        return frozenset()
    lowered = lowered.replace("vs.", "vs")  # not the end of a sentence
    if question:
        lowered = _asked(lowered)
    parts = _clauses(lowered)
    if question:
        parts = _past_the_asker(parts)
    asking = [words for words in parts if _opening(words) in _ASKING]
    said = [" ".join(w) for w in asking or parts if not _asker_plans(w)]
    found = _topics(said, kinds)
    if "role" in kinds and _compares(parts):
        found.add("role")
    return frozenset(found)


def states_figure(text: str, asked: Figure = "count") -> bool:
    """`text` gives the figure asked for. A count: a numeral, a number word
    ("five best practices"), a percentage or an amount of money. An amount:
    a numeral, a percentage, an amount of money, or a number word with a
    unit of time ("two weeks"): "three top-rated skills" says how many, not
    how long."""
    lowered = _lower(text)
    if _FIGURE_SIGN.search(lowered):
        return True
    if asked == "amount":
        return bool(_NUMBER_UNIT.search(lowered))
    return bool(_NUMBER_WORD.search(lowered))


def lists(text: str) -> bool:
    """`text` lists things, two bullets or more: what it says how many of."""
    return len(_BULLET.findall(text)) >= 2
