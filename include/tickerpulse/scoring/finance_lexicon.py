"""Finance and WallStreetBets vocabulary for the offline scorer, on VADER's -4..+4 valence scale.

VADER was built for general social media: it does not know that "calls" and "tendies" are
bullish, that "puts" are bearish, or that "take profits" means selling even though "profits" is a
happy word. WORDS updates VADER's single-token lexicon. PHRASES are matched before VADER runs
(VADER scores one token at a time) and each match is replaced by one synthetic token carrying
the phrase's valence; they are tried in order at each position, so longer, more specific phrases
come first ("not selling" before "selling", "buying puts" before "buying").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    pattern: str  # regex, matched case-insensitively
    token: str  # synthetic lower-case token put in its place; must not be an English word
    cue: str  # how the cue is named in the reasoning
    valence: float


WORDS: dict[str, float] = {
    # bullish
    "moon": 2.5,
    "mooning": 2.8,
    "moonshot": 2.0,
    "tendies": 2.2,
    "rocket": 2.0,
    "bullish": 2.5,
    "bull": 1.5,
    "bulls": 1.2,
    "calls": 1.5,
    "squeeze": 1.5,
    "squeezing": 1.8,
    "buy": 1.5,
    "buying": 1.5,
    "bought": 1.0,
    "hodl": 1.8,
    "hodling": 1.8,
    "rally": 1.8,
    "rallying": 1.8,
    "breakout": 1.8,
    "undervalued": 1.8,
    "upside": 1.5,
    "uptrend": 1.5,
    "upgrade": 1.5,
    "upgraded": 1.5,
    "oversold": 1.0,
    "printing": 1.5,
    "stonks": 1.0,
    "yolo": 1.0,
    "lambo": 1.5,
    "ath": 1.5,
    "green": 0.8,
    # bearish
    "rip": -1.8,
    "tank": -1.5,
    "tanks": -1.5,
    "tanking": -2.2,
    "tanked": -2.2,
    "bagholder": -2.0,
    "bagholders": -2.0,
    "bagholding": -2.0,
    "puts": -1.5,
    "bearish": -2.5,
    "bear": -1.5,
    "bears": -1.2,
    "dump": -2.0,
    "dumping": -2.0,
    "dumped": -1.8,
    "sell": -1.5,
    "selling": -1.5,
    "sold": -0.8,
    "selloff": -2.0,
    "sell-off": -2.0,
    "shorting": -1.5,
    "short": -1.0,
    "drill": -1.8,
    "drilling": -2.0,
    "bleeding": -2.0,
    "overvalued": -1.8,
    "downside": -1.5,
    "downtrend": -1.5,
    "downgrade": -1.5,
    "downgraded": -1.5,
    "overbought": -1.0,
    "dilution": -1.5,
    "delisted": -2.5,
    "delisting": -2.5,
    "bankrupt": -2.5,
    "bankruptcy": -2.5,
    "guh": -2.5,
    "red": -0.8,
    # WSB self-deprecation is not sentiment about the stock
    "retard": 0.0,
    "retards": 0.0,
    "retarded": 0.0,
    "autist": 0.0,
    "autists": 0.0,
    "degenerate": 0.0,
    "degenerates": 0.0,
}

_SKIN = r"[\U0001F3FB-\U0001F3FF\uFE0F]?"
_FILLER = r"(?:[\w$.,'%]+\s+){0,3}?"  # up to three words between the verb and the contract
_BUY = (
    r"(?:buy(?:ing|s)?|bought|load(?:ed|ing|s)?(?:\s+up)?(?:\s+on)?|grab(?:bed|bing)?|"
    r"got|getting|long|yolo(?:'?d|ing)?(?:\s+on|\s+into)?|holding|opened|opening)"
)
_HURT = (
    r"(?:are\s+|r\s+|is\s+|went\s+|going\s+|getting\s+|got\s+|expired\s+|expiring\s+)?"
    r"(?:(?!not\b|never\b|no\b)\w+\s+)?"
    r"(?:worthless|dead|rekt|wrecked|destroyed|fucked|fuk|crushed|burn(?:ed|t|ing)|in\s+shambles)\b"
)

PHRASES: tuple[Phrase, ...] = (
    # positions: the verb says which way the bet goes, the contract says which side
    Phrase(rf"\b{_BUY}\s+{_FILLER}puts\b", "tpbuyputs", "bought puts", -2.5),
    Phrase(rf"\b{_BUY}\s+{_FILLER}calls\b", "tpbuycalls", "bought calls", 2.5),
    Phrase(r"\bputs\s+(?:are\s+|r\s+)?printing\b", "tpputsprint", "puts printing", -2.5),
    Phrase(r"\bcalls\s+(?:are\s+|r\s+)?printing\b", "tpcallsprint", "calls printing", 2.5),
    # the other side losing is good news: "puts are worthless", "bears getting wrecked"
    Phrase(
        rf"(?:\b(?:puts|bears|shorts)|🌈\uFE0F?\s*🐻)\s+{_HURT}",
        "tpbearshurt",
        "bears hurt",
        2.0,
    ),
    Phrase(rf"\b(?:calls|bulls|longs)\s+{_HURT}", "tpbullshurt", "bulls hurt", -2.0),
    Phrase(r"\bup\s+\d+(?:\.\d+)?\s*%", "tpuppct", "up %", 1.5),
    Phrase(r"\bdown\s+\d+(?:\.\d+)?\s*%", "tpdownpct", "down %", -1.5),
    Phrase(r"\bshort[\s\-]+squeez(?:e|es|ed|ing)\b", "tpshortsqueeze", "short squeeze", 2.5),
    Phrase(r"\bgamma[\s\-]+squeez(?:e|es|ed|ing)\b", "tpgammasqueeze", "gamma squeeze", 2.5),
    # intent: selling is bearish, refusing to sell is bullish
    Phrase(
        r"\b(?:not|never|won'?t|wont|will\s+not|don'?t|do\s+not|aren'?t|ain'?t|no)\s+"
        r"(?:be\s+)?(?:gonna\s+|going\s+to\s+)?sell(?:ing)?\b",
        "tpnotselling",
        "not selling",
        2.0,
    ),
    Phrase(
        r"\b(?:(?:good|great|right|best|perfect)\s+)?time\s+to\s+"
        r"(?:sell|exit|get\s+out|take\s+profits?|cash\s+out)\b",
        "tpselltime",
        "time to sell",
        -2.8,
    ),
    Phrase(
        r"\b(?:take|taking|took|takes)\s+(?:some\s+|my\s+|the\s+)?profits?\b",
        "tptakeprofit",
        "take profits",
        -2.0,
    ),
    Phrase(
        r"\b(?:gonna|going\s+to|should|will|i'?ll|we'?ll|must|need\s+to|have\s+to|about\s+to)"
        r"\s+sell\b",
        "tpsellplan",
        "plan to sell",
        -2.5,
    ),
    Phrase(r"\bcash(?:ing|ed)?\s+out\b", "tpcashout", "cash out", -1.5),
    Phrase(r"\bget(?:ting)?\s+out\s+(?:now|while)\b", "tpgetout", "get out", -2.0),
    Phrase(r"\bload(?:ed|ing|s)?\s+up\b", "tploadup", "loading up", 2.0),
    Phrase(r"\bbuy(?:ing)?\s+the\s+dips?\b|\bbtfd\b", "tpbuydip", "buy the dip", 2.0),
    Phrase(r"\bto\s+the\s+moon\b", "tptothemoon", "to the moon", 2.8),
    Phrase(r"\bdiamond[\s\-]*hand(?:s|ed)?\b", "tpdiamondhands", "diamond hands", 2.0),
    Phrase(r"\bpaper[\s\-]*hand(?:s|ed)?\b", "tppaperhands", "paper hands", -1.0),
    Phrase(
        r"\bbag[\s\-]*hold(?:er|ers|ing)\b|\bholding\s+the\s+bags?\b",
        "tpbagholder",
        "bagholder",
        -2.0,
    ),
    Phrase(
        r"\b(?:going|headed|heading|goes|go|straight)\s+to\s+(?:zero|0)\b",
        "tpzero",
        "to zero",
        -2.5,
    ),
    Phrase(r"\bdead\s+cat\s+bounce\b", "tpdeadcat", "dead cat bounce", -2.0),
    Phrase(r"\brug[\s\-]*pull(?:ed)?\b", "tprugpull", "rug pull", -2.5),
    Phrase(r"\ball[\s\-]+time[\s\-]+highs?\b|\bnew\s+highs\b", "tpath", "all-time high", 1.5),
    Phrase(r"\b(?:short|long)[\s\-]+term\b", "tpterm", "term", 0.0),
    Phrase(r"\bshort\s+interest\b", "tpshortinterest", "short interest", 0.0),
    Phrase(r"\bpriced\s+in\b", "tppricedin", "priced in", 0.0),
    # emoji (before VADER's own emoji-to-words step, which would call 🚀 just "rocket")
    Phrase(rf"💎{_SKIN}\s*(?:🙌|🤲|👐|✋|🖐){_SKIN}", "tpdiamondemoji", "💎🙌", 2.0),
    Phrase(rf"🧻{_SKIN}\s*(?:🙌|🤲|👐|✋|🖐){_SKIN}", "tppaperemoji", "🧻🙌", -1.0),
    Phrase(r"🌈\uFE0F?\s*🐻", "tpgaybear", "🌈🐻", -2.0),
    Phrase("🚀", "tprocket", "🚀", 2.0),
    Phrase("💎", "tpgem", "💎", 1.2),
    Phrase("🌙|🌕", "tpmoonemoji", "🌙", 1.5),
    Phrase("📈", "tpchartup", "📈", 1.8),
    Phrase("📉", "tpchartdown", "📉", -1.8),
    Phrase("🐂", "tpbull", "🐂", 1.5),
    Phrase("🐻", "tpbear", "🐻", -1.5),
    Phrase("🍗", "tptendies", "🍗", 1.5),
    Phrase("🩸", "tpblood", "🩸", -1.5),
)


# --- v2: finance-news language and the rules' word classes -------------------------------------
#
# News says which way a number went ("operating profit rose", "net sales decreased") and whether
# that is good depends on the number: a falling loss is good news. Direction words get their sign
# from the metric they bind to; metrics alone carry little or no sentiment.

NEWS_WORDS: dict[str, float] = {
    "improved": 2.0,
    "improvement": 2.0,
    "improving": 1.8,
    "improves": 1.8,
    "improve": 1.5,
    "won": 1.8,
    "wins": 1.5,
    "awarded": 1.8,
    "strengthen": 1.8,
    "strengthens": 1.8,
    "strengthened": 1.8,
    "strengthening": 1.8,
    "stronger": 1.8,
    "strong": 1.8,
    "robust": 1.8,
    "solid": 1.2,
    "growth": 1.5,
    "record": 1.0,
    "beat": 1.5,
    "beats": 1.5,
    "exceeded": 1.8,
    "exceeds": 1.5,
    "outperform": 2.0,
    "outperformed": 2.0,
    "outperforming": 2.0,
    "profitable": 1.8,
    "profitability": 1.2,
    "efficiency": 1.0,
    "positive": 2.0,
    "upbeat": 2.0,
    "optimistic": 1.8,
    "boost": 1.8,
    "boosted": 1.8,
    "boosts": 1.8,
    "expand": 1.0,
    "expands": 1.0,
    "expanded": 1.0,
    "expansion": 1.0,
    "success": 1.8,
    "successful": 1.8,
    "successfully": 1.5,
    "buyback": 1.5,
    "buybacks": 1.5,
    "recovery": 1.5,
    "recovered": 1.5,
    "rebound": 1.5,
    "rebounded": 1.8,
    "soar": 2.5,
    "soared": 2.5,
    "soaring": 2.5,
    "surge": 2.2,
    "surged": 2.2,
    "surging": 2.2,
    "skyrocket": 2.5,
    "skyrocketed": 2.5,
    "outstanding": 0.0,  # "shares outstanding"
    "long": 1.2,  # a position; idioms ("as long as", "long time") are phrases below
    "longs": 0.8,
    "ripping": 2.0,
    "rips": 1.8,
    "ripped": 1.5,
    "bounce": 1.2,
    "bounced": 1.2,
    "bouncing": 1.2,
    "breakdown": -1.5,
    "pullback": -1.0,
    "correction": -1.2,
    # bearish
    "weak": -1.8,
    "weaker": -1.8,
    "weakness": -1.8,
    "weakened": -1.8,
    "negative": -2.0,
    "negatively": -1.8,
    "disappointing": -2.2,
    "disappointed": -2.0,
    "disappointment": -2.0,
    "warning": -1.8,
    "warns": -1.5,
    "warned": -1.5,
    "layoffs": -2.0,
    "layoff": -2.0,
    "lay-offs": -2.0,
    "redundancies": -2.0,
    "writedown": -1.8,
    "write-down": -1.8,
    "writedowns": -1.8,
    "impairment": -1.5,
    "recession": -2.0,
    "crisis": -1.8,
    "lawsuit": -1.5,
    "fraud": -2.5,
    "fined": -2.0,
    "fine": 0.0,  # "fine" is mostly "okay", a fine is caught by "fined"
    "penalty": -1.5,
    "slump": -2.2,
    "slumped": -2.2,
    "plunge": -2.5,
    "plunged": -2.5,
    "plunging": -2.5,
    "plummeted": -2.5,
    "plummeting": -2.5,
    "tumbled": -2.2,
    "crash": -2.5,
    "crashed": -2.5,
    "crashing": -2.5,
    "struggling": -1.8,
    "struggle": -1.5,
    "struggles": -1.5,
    "miss": -1.2,
    "missed": -1.8,
    "misses": -1.5,
    "halved": -2.0,
    "shortfall": -1.8,
    "burdened": -1.8,
    "hit": -0.8,
    "hurt": -1.8,
    "suffering": -1.8,
    "suffered": -1.8,
    "difficult": -1.5,
    "uncertainty": -1.2,
    "uncertainties": -1.2,
    "bearish": -2.5,
    "insolvency": -2.5,
    "default": -1.5,
    "losses": -1.5,
    "loss": -1.5,
    "lost": -1.5,
    "worse": -1.8,
    "worst": -2.2,
    "poor": -1.8,
    "poorly": -1.8,
}

# Direction words. UP/DOWN: bound to a metric they take its sign; unbound they keep their own.
UP: frozenset[str] = frozenset(
    "rose rise rises rising increase increased increases increasing grew grow grows higher "
    "climbed climb climbs climbing jumped jump jumps gained gains widened doubled tripled "
    "advanced expanded raised raise raises raising lifted boosted improved exceeded "
    "tpgoup tpuppct tpupfrom".split()
)
DOWN: frozenset[str] = frozenset(
    "fell fall falls falling decreased decrease decreases decreasing decline declined declines "
    "declining dropped drop drops dropping lower lowered lowering slipped slip slid slide "
    "sank shrank shrunk contracted narrowed reduced reduce reduces reducing reduction cut cuts "
    "cutting diminished slashed slowed slowing halved weakened tpgodown tpdownpct tpdownfrom "
    "tplessthan".split()
)
DIRECTION_VALENCE = 2.0
UNBOUND_DIRECTION_VALENCE = 1.0

# Metrics: +1 when more is good for the price, -1 when more is bad.
GOOD_METRICS: frozenset[str] = frozenset(
    "profit profits earnings income sales revenue revenues turnover ebit ebitda eps margin margins "
    "orders order intake result results dividend dividends volume volumes traffic deliveries "
    "production output shipments demand guidance forecast forecasts outlook rating target "
    "targets price share shares stock stocks valuation profitability growth cash capacity "
    "customers subscribers users jobs employees staff workforce personnel headcount positions "
    "productivity occupancy backlog roi return returns market".split()
)
BAD_METRICS: frozenset[str] = frozenset(
    "loss losses costs cost expenses expense debt debts deficit unemployment writedowns "
    "charges liabilities impairments impairment delays churn inventories layoffs "
    "redundancies risk risks".split()
)

# Clause boundaries for binding a direction word to its metric.
CLAUSE_BREAKS: frozenset[str] = frozenset(
    ", ; : ( ) while whereas but although though however whilst".split()
)

# Words whose sentiment is a bet on the price: when present they speak louder than mood words.
INTENT: frozenset[str] = frozenset(
    "buy buying bought sell selling sold calls puts shorting hodl hodling tpbuyputs tpbuycalls "
    "tpselltime tptakeprofit tpsellplan tpnotselling tpcashout tpgetout tploadup tpbuydip "
    "tpputsprint tpcallsprint tpbuyshares tpsellshares long tpbuydip2 tpaddmore".split()
)

NEGATORS: frozenset[str] = frozenset(
    "not no never nor neither without cannot cant can't dont don't doesnt doesn't didnt didn't "
    "isnt isn't arent aren't wasnt wasn't werent weren't wont won't wouldnt wouldn't shouldnt "
    "shouldn't hasnt hasn't havent haven't hadnt hadn't aint ain't nothing nobody".split()
)
BOOSTERS: frozenset[str] = frozenset(
    "very really extremely so super hugely massively absolutely totally completely highly "
    "incredibly insanely significantly substantially sharply strongly hella fucking "
    "considerably greatly most much".split()
)
DAMPENERS: frozenset[str] = frozenset(
    "slightly somewhat kinda kind sorta barely hardly marginally little bit partly".split()
)

# VADER general-English words that are neutral (or mean something else) in finance and on WSB.
NEUTRAL_IN_FINANCE: frozenset[str] = frozenset(
    "share shares solution solutions well value values number energy agreed agreement agreements "
    "l support supports supporting credit security securities worth respectively natural asset "
    "assets responsible special free united valued authority engaged parties approval secure "
    "interest interests like top active hand hands want reach reached launched novel waste "
    "stop stopped strike strikes clear pay low high fair growing important ready interested "
    "effective "
    "commitment innovative advanced comprehensive limited gross block popular certain create "
    "creating granted no yes please lol lmao lmfao haha hahaha fuck fucking fucked shit shitty "
    "damn damned hell wtf crazy insane kill killing killed retard retarded autist autistic ape "
    "apes holding hold profit profits increase increased loss losses gain gains cut cuts "
    "cutting drop demand demanding lower higher improve improved improvement improvements "
    "growth positive negative warning strong weak".split()
)
GENERAL_WEIGHT = 0.6  # mood words from VADER's general lexicon count this much
GENERAL_WEIGHT_WITH_INTENT = 0.15  # ... and this much when the text says buy or sell

NEWS_PHRASES: tuple[Phrase, ...] = (
    # a result compared with the other sign: "profit of 5 compared to a loss of 3"
    Phrase(
        r"\b(?:compared\s+(?:to|with)|from|versus|vs\.?|against)\s+(?:a\s+|the\s+)?"
        r"(?:\w+\s+){0,2}?(?:loss|deficit)\b",
        "tpvsloss",
        "vs. a loss",
        2.5,
    ),
    Phrase(
        r"\b(?:compared\s+(?:to|with)|from|versus|vs\.?|against)\s+(?:a\s+|the\s+)?"
        r"(?:\w+\s+){0,2}?(?:profit|surplus)\b",
        "tpvsprofit",
        "vs. a profit",
        -2.5,
    ),
    Phrase(
        r"\b(?:swung|swing|swings|turned|turn|returned|return)\s+(?:back\s+)?(?:in)?to\s+"
        r"(?:a\s+)?(?:\w+\s+)?profit\b",
        "tpturnprofit",
        "turned to profit",
        2.5,
    ),
    Phrase(
        r"\b(?:swung|swing|swings|turned|turn|slipped|slip|fell|plunged)\s+(?:in)?to\s+"
        r"(?:a\s+)?(?:\w+\s+){0,2}?loss\b",
        "tpturnloss",
        "turned to a loss",
        -2.5,
    ),
    Phrase(r"\bprofit\s+warning\b", "tpprofitwarning", "profit warning", -2.5),
    Phrase(
        r"\b(?:cut|cuts|cutting|slash(?:es|ed|ing)?|eliminat(?:e|es|ed|ing)|shed(?:s|ding)?)\s+"
        r"(?:up\s+to\s+|about\s+|some\s+|around\s+)?(?:[\d,]+\s+)?(?:jobs|positions|staff|workers)\b",
        "tpcutjobs",
        "job cuts",
        -2.5,
    ),
    Phrase(
        r"\b(?:temporary\s+)?lay(?:s|ing)?[\s\-]*off(?:s)?\b|\blaid\s+off\b",
        "tplayoffs",
        "layoffs",
        -2.0,
    ),
    Phrase(
        r"\b(?:beat|beats|topped|exceeded|above)\s+(?:the\s+)?(?:analysts?'?\s+|market\s+|"
        r"consensus\s+|wall\s+street\s+)?(?:estimates?|expectations?|forecasts?|consensus)\b",
        "tpbeatest",
        "beat estimates",
        2.5,
    ),
    Phrase(
        r"\b(?:missed|miss|misses|below|short\s+of|smaller\s+than|lower\s+than|less\s+than|"
        r"weaker\s+than|worse\s+than)\s+(?:the\s+)?(?:analysts?'?\s+|market\s+|consensus\s+)?"
        r"(?:estimates?|expectations?|expected|forecasts?|consensus)\b",
        "tpmissest",
        "missed estimates",
        -2.5,
    ),
    Phrase(
        r"\b(?:better|stronger|higher)\s+than\s+(?:expected|anticipated|forecast)\b",
        "tpbetterthan",
        "better than expected",
        2.5,
    ),
    Phrase(r"\b(?:less|fewer|smaller)\s+than\b", "tplessthan", "less than", -1.5),
    Phrase(
        r"\b(?:go|goes|going|gone|went|moving|move|moved|heading|headed|shot|trending|is|are|was|"
        r"were|been|be|closed|ended|finished|opened|stay|stays|stayed|trading|traded)\s+up\b"
        r"(?!\s+(?:to|for|with|on)\b)",
        "tpgoup",
        "going up",
        DIRECTION_VALENCE,
    ),
    Phrase(
        r"\b(?:go|goes|going|gone|went|moving|move|moved|heading|headed|trending|is|are|was|were|"
        r"been|be|closed|ended|finished|opened|stay|stays|stayed|trading|traded)\s+down\b"
        r"(?!\s+(?:to|for|with|on)\b)",
        "tpgodown",
        "going down",
        -DIRECTION_VALENCE,
    ),
    Phrase(
        r"\b(?:as|so|too|how|this|that)\s+long\b|\blong\s+(?:time|ago|way|story|run|enough|"
        r"day|week|weekend|post|read|list|wait|haul)\b",
        "tplongidiom",
        "long (idiom)",
        0.0,
    ),
    Phrase(r"\b(?:break(?:s|ing)?|broke)\s+out\b", "tpbreakout", "breaking out", 2.0),
    Phrase(r"\b(?:break(?:s|ing)?|broke)\s+down\b", "tpbreakdown", "breaking down", -2.0),
    Phrase(
        r"\b(?:add(?:ed|ing|s)?|bought|buying|grabbed|picked\s+up)\b[^.!?\n]{0,30}?\bdips?\b",
        "tpbuydip2",
        "bought the dip",
        2.0,
    ),
    Phrase(r"\badd(?:ed|ing)?\s+(?:more|to\s+my)\b", "tpaddmore", "adding more", 1.5),
    Phrase(r"\bup\s+from\b", "tpupfrom", "up from", DIRECTION_VALENCE),
    Phrase(r"\bdown\s+from\b", "tpdownfrom", "down from", -DIRECTION_VALENCE),
    Phrase(r"\b(?:all|year|\d+[\s\-]*(?:year|month|week))[\s\-]+lows?\b", "tplow", "new low", -2.0),
    Phrase(
        r"\b(?:record|year|\d+[\s\-]*(?:year|month|week))[\s\-]+highs?\b", "tphigh", "new high", 2.0
    ),
    Phrase(
        r"\b(?:buy|buying|bought|grab(?:bed|bing)?|add(?:ed|ing)?\s+(?:more|to)|"
        r"accumulat(?:e|ed|ing))\s+(?:more\s+|some\s+)?(?:\$?[a-z]{1,5}\s+)?shares\b",
        "tpbuyshares",
        "buying shares",
        2.0,
    ),
    Phrase(
        r"\b(?:sell|selling|sold|dump(?:ed|ing)?|unload(?:ed|ing)?)\s+(?:all\s+|my\s+|some\s+)?"
        r"(?:of\s+)?(?:my\s+|the\s+)?(?:\$?[a-z]{1,5}\s+)?shares\b",
        "tpsellshares",
        "selling shares",
        -2.0,
    ),
)
