"""The words the offline assistant knows: model families, capabilities, quantizations, rates.

Regex tables, one concern each; :mod:`core.assistant._understand` applies them.
"""

from __future__ import annotations

import re

from core.assistant._words import NUM

_FAMILIES: list[tuple[str, str]] = [
    (r"code\s?llama", "codellama"),
    (r"llama", "llama"),
    (r"mixtral", "mixtral"),
    (r"mistral", "mistral"),
    (r"granite", "granite"),
    (r"qwen", "qwen"),
    (r"phi", "phi"),
    (r"gemma", "gemma"),
    (r"deep\s?seek", "deepseek"),
    (r"gpt[\s-]?oss", "gpt-oss"),
    (r"falcon", "falcon"),
    (r"star\s?coder", "starcoder"),
]
_CAPABILITIES: list[tuple[str, str]] = [
    (r"\bchat(?:bot|ting)?s?\b|\bconversation(?:al)?\b|\bassistant\b|\bhelp ?desk\b|\bcustomer support\b", "chat"),
    (r"\bcod(?:e|ing)\b|\bprogramming\b|\bcopilot\b|\bautocomplet", "code"),
    (r"\binstruct(?:ion)?s?\b|\binstruction[- ]following\b", "instruct"),
    (r"\bembed(?:ding)?s?\b|\bvector (?:search|store)\b|\bsemantic search\b", "embedding"),
    (r"\bvision\b|\bimages?\b|\bmulti-?modal\b|\bvlm\b|\bscreenshots?\b|\bphotos?\b", "vision"),
    (r"\breason(?:ing)?\b|\bthinking\b|\bmath\b", "reasoning"),
    (
        r"\btool[- ]?(?:calling|use)\b|\bfunction[- ]calling\b|\bagentic\b"
        r"|(?<!\d )(?<!\d)(?<!support )(?<!human )(?<!call-center )\bagents?\b(?!\s+(?:ask|send|use|make|query|each))",
        "tool_calling",
    ),
]
_QUANT: list[tuple[str, str]] = [
    (
        r"\b(?:no|without|skip) quanti[sz]ation\b|\bunquanti[sz]ed\b|\bfull precision\b|\bbf16\b|\bfp16\b|\b16[- ]bit\b",
        "none",
    ),
    (r"\bfp8\b|\bfloat8\b", "fp8"),
    (r"\bint8\b|\b8[- ]bit\b|\bw8a8\b", "int8"),
    (r"\bint4\b|\b4[- ]bit\b|\bawq\b|\bgptq\b|\bw4a16\b", "w4a16"),
    (r"\bany quanti[sz]ation\b|\bquanti[sz]ation is fine\b|\bquanti[sz]ed is fine\b", "any"),
]
_RATE_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 1 / 60,
    "min": 1 / 60,
    "minute": 1 / 60,
    "h": 1 / 3600,
    "hr": 1 / 3600,
    "hour": 1 / 3600,
    "d": 1 / 86400,
    "day": 1 / 86400,
    "week": 1 / 604800,
    "wk": 1 / 604800,
    "month": 1 / 2_592_000,
    "mo": 1 / 2_592_000,
}
_REQ_KIND = (  # words saying which requests: "12k summarization requests", "2.5M API calls"
    r"(?:(?!(?:tokens?|toks?|gpus?|ms|k|m|thousand|million|billion|bn|per|each|every|an?|of|in|to|at|and"
    r"|or|seconds?|minutes?|hours?|days?|weeks?|months?)\b)[a-z][a-z-]+\s+){0,2}?"
)
_REQ = (
    rf"(?:{_REQ_KIND}(?:requests?|reqs?|queries|query|calls?|prompts?|messages?|msgs?|questions?|conversations?|hits?"
    r"|chats?|completions?|inferences?|generations?|searches|lookups?|summar(?:y|ies)|documents?|docs?|emails?|tickets?"
    r"|translations?|classifications?|images?|pictures?|photos?|screenshots?|files?|pages?|jobs?|tasks?|items?"
    r"|transcripts?|articles?|predictions?|embeddings?|invocations?|turns?|reviews?|contracts?|reports?|records?|prs|mrs|diffs?|commits?|comments?|posts?|orders?|transactions?|invoices?|claims?"
    r"|enquir(?:y|ies)|inquir(?:y|ies)|notes?|cases?|letters?|forms?|applications?|leads?|logs?|alerts?|incidents?|events?|snippets?|passages?"
    r"|pdfs?|resumes?|cvs?|receipts?|chunks?|threads?|interactions?|lessons?|essays?|answers?|replies))"
)
_PER = (  # "per minute", "a day" (not the "a" of "10am"), "in that hour", "in a single minute"
    r"(?:/|per\b|an?\b|each\b|every\b|by(?:\s+the)?(?=\s+(?:second|minute|hour|day)\b)|for(?=\s+(?:second|minute|hour|day)\b)|in\s+(?:a|an|one|that|the|this|each|any|a single)(?=\s+(?:second|minute|hour|day)s?\b))"
)
_TIME = r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|months?|mo)\b"
_ABBREV = (  # "r/min", "q/s", "rq/h": a request letter (or two) over a time letter, besides rps/rpm/rph/rpd
    r"(?P<abbr>rps|qps|rpm|qpm|rph|qph|rpd|(?:req|reqs|requests|rq|r|q)\s?/\s?"
    r"(?:s|sec|second|m|min|minute|h|hr|hour|d|day))\b"
)
_TIME_NC = _TIME.replace("?P<unit>", "?:")
_ABBREV_NC = _ABBREV.replace("?P<abbr>", "?:")
_RATE = re.compile(rf"(?P<n>{NUM})\s*(?:(?:{_REQ})\s*{_PER}\s*{_TIME}|{_ABBREV})", re.I)
_RATE_AFTER = re.compile(
    rf"\b(?:rps|qps|requests per second|request rate|traffic)\s*(?:of|=|:|is|at|around|about|~)?\s*(?P<n>{NUM})\b(?![\d.,]*\d)(?!\s*%)"
    # not "request rate 2,100/min": a figure with its own unit is read with it
    r"(?!\s*(?:/|per|an?|each|every)\s*(?:m|min|minute|h|hr|hour|d|day|week|month)s?\b)",
    re.I,
)
_BARE_RATE = re.compile(rf"(?P<n>{NUM})\s*{_PER}\s*{_TIME}", re.I)
_BUSIEST = r"busiest (?:hour|minute|second|time|day|period)s?\s*:?"
_SEES = r"(?:(?:we|it|traffic|load)\s+(?:see|sees|get|gets|hit|hits|have|has|reach|reaches|do|does|is)\s+|(?:it'?s|there are)\s+)?"
_RISES = (  # "can jump to 50", "surges to 300 rps", "may hit 80"
    r"(?:jump(?:s|ing)?|surg(?:es?|ing)|shoot(?:s|ing)? up|go(?:es)? up|goes as high"
    r"|(?:can|could|may|might|will|sometimes|occasionally|fit) (?:reach|hit|get to))(?= to\b| as\b| \d| ~| about| around)"
    r"(?:\s+as high as)?"
)
_PEAK = re.compile(
    rf"(?<!off-)(?<!off )(?<!off)(?:peaks?(?:\s+(?:moments?|times?|periods?))?|peaking|spikes?|spiking|bursts?|bursting|up to|maximum|max|occasionally|sometimes|at times|{_RISES}"
    rf"|{_BUSIEST}|worst[- ]case(?: is)?)"
    rf"\s*{_SEES}(?:of|at|to|around|about|up to|reaching)?\s*(?:(?:maybe|probably|possibly|perhaps|like|roughly|~)\s*)?"
    rf"(?P<rate>{NUM}\s*(?:(?:{_REQ})\s*{_PER}\s*{_TIME_NC}|{_ABBREV_NC}|{_PER}\s*{_TIME_NC}))",
    re.I,
)
_PEAK_AFTER = re.compile(  # "90k reqs per hour at peak", "9000/hr peak"
    rf"(?P<rate>{NUM}\s*(?:(?:{_REQ})\s*{_PER}\s*{_TIME_NC}|{_ABBREV_NC}|{_PER}\s*{_TIME_NC}))\s*(?:at|during|in)?\s*(?:the\s*)?"
    rf"(?:peak|bursts?|spikes?|busy hours?|worst[- ]case|busiest|max(?:imum)?\b|tops\b)",
    re.I,
)
_NOT_A_RATE = (  # nor part of a longer number ("3" of "3k", "3" of "32"), nor a GPU's name ("16 H100s")
    r"(?![\d.,]*\d)(?!\s?[km]\b)"
    r"(?!\s*(?:ms|milli|s\b|sec|seconds?|tokens?|toks?|%|percent|gpus?|cards?|nodes?|replicas?|pods?|copies|users?|people|b\b|bn"
    r"|billion|x\b|×|times|[a-z]{1,3}-?\d{2,4}[a-z]*\b|of (?:them|those|these)\b))"
)
_PEAK_BARE = re.compile(
    rf"(?<!off-)(?<!off )(?<!off)(?:peaks?|peaking|spikes?|spiking|bursts?|bursting|up to|maximum|max|busiest|occasionally|sometimes|at times"
    rf"|{_RISES})\s*(?:(?:of|at|to|around|about|reaching|hits?|is|roughly|~|≈|maybe|probably|possibly|perhaps"
    rf"|like|approx(?:imately|\.)?)\s*){{0,3}}(?<![\w.])(?P<n>{NUM}){_NOT_A_RATE}",
    re.I,
)
_PEAK_BARE_AFTER = re.compile(  # "40 at peak", "15 rps average / 45 peak"
    rf"(?P<n>{NUM}){_NOT_A_RATE}\s*(?:rps|qps)?\s*(?:(?:at|during|in)\s*(?:the\s*)?(?:peak|busiest|bursts?|spikes?)"
    rf"|peak\b(?!\s*(?:hours?|times?|days?|periods?|seasons?|months?|weeks?)\b))",
    re.I,
)
_ROUGHLY = (  # the words between "average" and its figure: "avg more like 12", "typical load sits around 40"
    r"(?:about|around|roughly|approx(?:imately|\.)?|~|≈|of|is|are|at|'s|more like|closer to|like|maybe|probably|prob"
    r"|somewhere (?:around|near)|(?:sits?|hovers?|runs?|stays?|comes? in|lands?|is more like)(?: at| around| near)?"
    r"|we (?:get|see|do|have|are at)|it'?s|(?:the )?(?:load|traffic|rate|volume)(?: is)?)"
)
_BASELINE = (  # the rate under the peaks: "spikes to 120 rps, baseline ~15", "a floor of 10", "steady state 20"
    r"(?:the\s+)?(?:baseline|base[- ]?(?:load|rate|traffic|level)|floor|steady[- ]state|sustained|resting|idle(?= (?:at|of|is))"
    r"|(?:normal|usual|regular|everyday|day[- ]to[- ]day) (?:load|traffic|rate|volume|level))(?:\s+(?:load|traffic|rate|level))?"
    r"(?:\s*(?:of|is|at|sits at|around|about|:|=))*"
)
_AVERAGE_BARE = re.compile(
    rf"(?:on average|averag(?:e|es|ing)(?: of| is| at)?|avg|normally|usually|typical(?:ly)?(?: (?:hour|minute|day|load|rate))?"
    rf"|mostly|most of the time|{_BASELINE})\s*"
    # "normally it sits around 20"
    r"(?:(?:it|we|traffic|load|that)\s+(?:(?:sits|is|runs|hovers|stays|does|gets|sees|averages)\s+)?(?:at\s+)?)?"
    rf"(?:{_ROUGHLY}\s*){{0,3}}(?P<n>{NUM}){_NOT_A_RATE}"
    rf"|(?<![\w.])(?!an?\b)(?P<n2>{NUM}){_NOT_A_RATE}\s*(?:rps|qps|requests? ?/ ?s)?\s*(?:on average|average|avg|normally|usually|typically"
    rf"|(?:as (?:a|the|our) )?(?:baseline|base[- ]?load|floor)\b"
    rf"|on (?:a |an )?(?:normal|typical|regular|average|usual|ordinary) (?:day|hour|minute|week)|most of the time)",
    re.I,
)
_RANGE = re.compile(
    rf"(?:anywhere |somewhere )?(?:from|between)?\s*(?P<lo>{NUM})\s*(?:to|and|-|–)\s*(?P<hi>{NUM})\s*"
    rf"(?:(?:{_REQ})\s*{_PER}\s*{_TIME}|{_ABBREV})",
    re.I,
)
_RANGE_AFTER = re.compile(  # "the requests per second are between 5 to 20", "rps ranges from 10 to 40"
    rf"(?:(?:{_REQ})\s*{_PER}\s*{_TIME}|{_ABBREV}|\b(?:request rate|traffic|load))\s+"
    r"(?:(?:is|are|will be|should be|would be|ranges?|ranging|varies|vary|goes|sits?|usually|typically|normally"
    r"|somewhere|anywhere|roughly|about|around)\s+){0,3}(?:from|between)\s*"
    rf"(?P<lo>{NUM})\s*(?:to|and|-|–)\s*(?P<hi>{NUM})(?![\d.,]*\d)"
    r"(?!\s*(?:ms|s\b|sec|seconds?|minutes?|tokens?|toks?|%|gpus?|users?|people|b\b|h\b|hrs?\b|am\b|pm\b|:\d|o.?clock))",
    re.I,
)
"""A range said after the rate's name, so its unit comes first."""
_NEGATIVE_RATE = re.compile(
    rf"(?:-|−|minus\s+)\s*{NUM}\s*(?:(?:{_REQ})\s*{_PER}\s*{_TIME_NC}|{_ABBREV_NC}|{_PER}\s*{_TIME_NC})", re.I
)
_ZERO_RATE = re.compile(rf"(?<![\d.])(?:0|zero)\s*(?:(?:{_REQ})\s*{_PER}\s*{_TIME_NC}|{_ABBREV_NC})", re.I)
_EVERY = re.compile(
    rf"each\s+(?:[\w-]+\s+){{0,6}}?(?:every|once (?:a|an|per|every))\s+(?:(?P<k>{NUM})\s*)?{_TIME}"
    rf"|(?:every|once (?:a|an|per|every))\s+(?:(?P<k2>{NUM})\s+)?(?P<unit2>seconds?|minutes?|hours?|days?)\s*(?:each|apiece|per (?:person|user))",
    re.I,
)
_POPULATION = (
    r"users?|people|peoples|persons|clients|agents|employees|staff|workers|members|students|customers|developers|devs|"
    r"engineers|programmers|coders|analysts|colleagues|doctors|nurses|lawyers|reps|representatives|seats|operators|"
    r"ppl|folks|individuals|humans|accounts|licen[cs]es|daus?|maus?|wau|actives|sessions|"
    r"teammates|researchers|writers|editors|testers|players|subscribers|learners|teachers|patients|shoppers|visitors|"
    r"investigators|tellers|clinicians|physicians|officers|adjusters|underwriters|auditors|advis[eo]rs|consultants|"
    r"accountants|pharmacists|therapists|technicians|dispatchers|associates|paralegals|attorneys|bankers|brokers|"
    r"traders|planners|scientists|specialists|managers|recruiters|marketers|designers|architects|interns|citizens|"
    r"residents|tenants|guests|passengers|drivers|callers|inspectors|caseworkers|pilots|tutors|pupils|faculty|"
    r"partners|dealers|merchants|sellers|buyers|vendors|contractors|translators|moderators|reviewers|annotators|"
    r"classmates|friends|coworkers|co-workers|lawyers|reps"
)
_POPULATION_KIND = (  # words that say which people: "50 call-center agents", "300 internal users"
    r"(?:(?:concurrent|active|simultaneous|daily|weekly|monthly|internal|external|support|sales|customer|human|field"
    r"|remote|paying|registered|our|the|[a-z]+-[a-z]+|service|hr|it|legal|finance|marketing|engineering|product"
    r"|ops|operations|clinical|medical|call|contact|cent(?:er|re)|help|desk|insurance|claims|back|front|office|line"
    r"|frontline|company|corporate|enterprise|unique|total|named|existing|new|end|team)\s+){0,3}"
)
_LEVEL_WORDS = (
    (r"very (?:high|heavy|busy)|massive|huge|enormous", "very high"),
    (r"heavy|high|busy|a lot of|lots of", "high"),
    (r"moderate|medium|average|normal|some", "medium"),
    (r"light|low|little|small|quiet|minimal|occasional", "low"),
)
_TIMES = rf"(?:(?P<k>{NUM})\s*(?:x\b|×|times\b)|(?P<w>twice|double|triple|treble|quadruple))"
"""A multiple: '3x', 'three times', 'twice'."""
_PEAK_TIMES = re.compile(
    # "spikes up to 3x", "peak hour is about 3x the average", "at peak it's four times that"
    rf"(?<!off-)(?<!off )(?<!off)(?:peaks?|peaking|spikes?|spiking|bursts?|bursting|busiest|rush)"
    rf"(?:\s+(?:hours?|times?|traffic|load|days?|periods?|minutes?))?\s*(?:it'?s|we (?:see|get|do))?\s*"
    rf"(?:is|are|hits?|reach(?:es)?|gets?|can be|could be|of|at|to|reaching|'s"
    rf"|(?:go(?:es)?|climb(?:s)?|jump(?:s)?|ris(?:es|e)|shoot(?:s)?)(?: up)?(?: to)?)?\s*(?:up to\s*)?"
    rf"(?:about|around|roughly|~|maybe|probably)?\s*{_TIMES}"
    # "twice that on Black Friday", "3x the average at peak" (not "twice that next year": growth)
    rf"|{_TIMES.replace('?P<k>', '?P<k2>').replace('?P<w>', '?P<w2>')}\s+(?:that|this|the (?:average|normal|usual|baseline|amount)|as much|(?:our )?(?:normal|usual))\b"
    rf"(?![^.;]{{0,30}}\b(?:next|by|within|years?|months?|quarters?|later|soon|eventually|grows?|growth)\b)",
    re.I,
)
_QUIET_TIMES = (
    r"(?:at|during|in|over|on)\s+(?:the\s+)?(?:nights?|evenings?|weekends?|quiet (?:times|hours|periods)"
    r"|off[- ]?(?:peak|hours)(?: times| hours)?|low(?: times| periods)?)"
    r"|at night|overnight|off[- ]?peak|off[- ]?hours|after hours|outside (?:of )?(?:business|office|working|peak) hours"
    r"|the rest of the (?:day|time|week)|otherwise|when (?:it'?s )?quiet|quiet (?:times|hours|periods)"
)
_LOW_AFTER = re.compile(
    rf"(?<![\w.])(?P<n>{NUM}){_NOT_A_RATE}\s*(?:rps|qps|(?:{_REQ})\s*{_PER}\s*{_TIME_NC}|{_PER}\s*{_TIME_NC})?\s*"
    rf"(?P<when>{_QUIET_TIMES})",
    re.I,
)
"""A quiet-time rate after its number: '20 at night', '50 off-peak', '5 rps at weekends'."""
_LOW_BEFORE = re.compile(
    rf"(?P<when>(?:dropping|drops?|falls?|falling|goes|going|down)\s+(?:down\s+)?to|as low as|low of|minimum of"
    rf"|(?:{_QUIET_TIMES})\s*(?:it'?s|is|are|of|at|about|around|~|:)?)\s*(?:about|around|~|only)?\s*(?P<n>{NUM}){_NOT_A_RATE}",
    re.I,
)
"""A quiet-time rate after the words for it: 'down to 20 overnight', 'at night about 20'."""
