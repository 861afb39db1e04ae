"""Everyday English words: common verbs, adjectives, adverbs and nouns.

A word the knowledge has never seen is usually the topic of an out-of-scope
question ("salary", "laptop", "vlookup") when it is rare in English, and
usually chatter ("go", "start", "try") when it is common. The retriever uses
this list to weigh unseen everyday words less.
"""

COMMON_WORDS = frozenset(
    """
    go goes going went gone make makes making made take takes taking took come comes
    coming came see sees seeing saw seen look looks looking looked use uses using
    used find finds finding found give gives giving gave work works working worked
    call calls calling called try tries trying tried feel feels feeling felt leave
    leaves leaving left put puts putting keep keeps keeping kept start starts
    starting started show shows showing showed hear heard play plays move moves
    moving moved live lives living believe believes hold holds bring brings brought
    happen happens happened write writes writing wrote sit stand lose meet meets
    include includes including continue continues set sets change changes changing
    changed follow follows stop stops speak speaks read reads reading allow allows
    add adds spend spends open opens walk win offer offers remember consider
    considers appear buy wait waits serve send sends expect expects expected
    expecting build builds stay stays fall falls cut reach remain remains suggest
    suggests raise pass sell decide decides decided pull talk talks talking say says
    saying said think thinks thinking thought become becomes becoming became seem
    seems seemed help helps helping helped turn turns turned ask care cares caring
    mind minds figure figures figured happen deal deals dealing handle handles
    handling run runs running ran sure better best good great nice fine bad worse
    worst big bigger small smaller large little long short high low new old young
    early late next last first second third main real true whole full easy easier
    hard harder simple able certain clear common different similar general special
    specific usual usually often always never sometimes already soon later today
    tomorrow yesterday week weeks month months year years day days time times hour
    hours minute minutes moment way ways part parts place places point points case
    cases fact facts idea ideas reason reasons example examples kind kinds level
    levels side sides area areas end ends top bottom middle start number numbers
    group groups person persons man men woman women world life hand hands eye eyes
    head heads home house room office desk friend friends family company companies
    thing place guy folks bunch first firstly lately actually literally honestly
    seriously totally probably definitely especially generally mostly mainly quite
    pretty rather enough almost nearly else instead though although however anyway
    anyways super truly fairly highly deeply really very ok fine cool awesome
    wondering trying hoping looking needing getting having doing making learn learns
    learning learned start end begin begins beginning people everybody nobody
    somebody anyone someone whatever whoever whenever wherever why yet ago away back
    around along across behind toward towards upon within without onto into beyond
    """.split()
)
