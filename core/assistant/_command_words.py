"""Control messages however they are put: agreement, going back, starting over, status, apply::

    command("yep, sounds right")              # 'yes'
    command("scrap all that, start over")     # 'reset'
    command("where are we at?")               # 'status'
    command("ship it, apply the manifests")   # 'apply'
    command("nah cancel that")                # 'cancel'
    command("start over with llama 8b")       # None (it says more than a command)

A message is a command when it is nothing but that command's words: one or more of its phrases,
with the small words around them ("ok", "please", "then") and the words that lead into it
("nah, …" before a cancel, "scrap all that, …" before a fresh start). Anything else in the
message (a model, a number) makes it an ordinary message.
"""

from __future__ import annotations

import re
from typing import Literal

Command = Literal["back", "reset", "status", "yes", "no", "apply", "confirm", "cancel"]

_FILLER = (
    r"please|pls|plz|now|then|just|ok|okay|so|alright|well|hey|um|uh|hmm|thanks|thank you|thx|oh|and|go ahead and"
    r"|lets|let us|can you|could you|you can|i want to|id like to|i would like to|for me|to me|by me|right"
)
_THAT = r"(?:\s+(?:all\s+)?(?:that|this|it|everything|them))?"
_PHRASES: list[tuple[Command, str, str]] = [
    # (command, its own phrases, words that only lead into it)
    (
        "confirm",
        r"confirm|i confirm|yes apply(?: it)?|yes deploy(?: it)?|confirm (?:the )?(?:apply|deployment)|confirmed",
        r"yes|yep|yeah|ok|okay|sure|go ahead|do it",
    ),
    (
        "cancel",
        rf"cancel{_THAT}|abort{_THAT}|stop{_THAT}|dont (?:apply|deploy|do){_THAT}|do not (?:apply|deploy|do){_THAT}"
        r"|hold off|call it off|belay that|cancel (?:the )?(?:apply|deployment)|forget it|never mind|nevermind|nvm",
        r"nah|no|nope|wait|actually|hold on|never mind|nevermind|nvm|on second thought",
    ),
    (
        "reset",
        r"reset(?: everything| it| all)?|start (?:over|again|afresh|fresh|from scratch)|restart|new conversation"
        r"|clear(?: everything| it all| all)?|begin again|from scratch|clean slate|wipe(?: it| everything)"
        r"|(?:scrap|forget|ditch|drop) (?:everything|it all|all of it)",
        rf"(?:scrap|forget|ditch|drop|throw away|toss|lose){_THAT}|never mind|nevermind|actually|no|nah",
    ),
    (
        "status",
        r"status|where are we(?: at| now)?|where were we|where do we stand|where am i"
        r"|what(?:s| is) the (?:current )?status|(?:the )?current status|(?:show|tell) me where we are"
        r"|where things stand|what do we have(?: so far)?"
        r"|summary|recap|progress|what do you (?:know|have)(?: so far)?"
        r"|show (?:me )?(?:the )?(?:status|summary|progress)"
        r"|what have (?:we|you) got(?: so far)?|what stage are we (?:at|in)|how far (?:are we|along are we)",
        r"so far|again",
    ),
    ("back", r"(?:go )?back(?: a step| one step| up)?|previous(?: step)?|undo(?: that)?|step back", r"no|nah"),
    (
        "apply",
        r"apply(?: it| them| that| the manifests| the yaml| the plan)?(?: to (?:the |my )?cluster)?|ship it"
        r"|deploy(?: it)? (?:to|on) (?:the |my )?cluster|push it(?: to (?:the |my )?cluster)?|roll it out|go live",
        r"yes|yep|yeah|great|good",
    ),
    (
        "yes",
        r"yes|yep|yeah|yup|ya|yea|y|ok|okay|alright|sure|fine|good|great|cool|nice|perfect|correct|right|exactly"
        r"|absolutely|definitely|of course|agreed|indeed|looks good|sounds good|go ahead|proceed|continue|next|lgtm"
        r"|accept|accepted|do it|lets go|lets do it|yes please|deploy it|generate (?:the )?manifests"
        r"|(?:sounds|looks|seems) (?:good|right|fine|great|ok|okay|perfect|correct)"
        r"|(?:thats|that is|its|it is) (?:right|correct|fine|good|great|perfect|it)|all good|works for me"
        r"|fine by me|good to go|makes sense|spot on|(?:you )?got it"
        r"|(?:its |keep it )?(?:the )?same as (?:before|now|it is|it was|last time)|keep it(?: as it is)?|as is"
        r"|unchanged|no change|leave it|sure thing|why not|go on|go|please do|that works|thats what i want"
        r"|proceed with (?:it|that|the (?:plan|deployment))",
        r"",
    ),
    ("no", r"no|nope|nah|not yet|not really|no thanks|not now", r""),
]


def _grammar(own: str, lead: str) -> re.Pattern[str]:
    """Only ``own`` phrases (at least one), small words and lead-in words, in any order."""
    word = f"{own}|{_FILLER}" + (f"|{lead}" if lead else "")
    return re.compile(rf"(?:(?:{word})\s+)*(?:{own})(?:\s+(?:{word}))*")


_GRAMMARS = [(cmd, _grammar(own, lead)) for cmd, own, lead in _PHRASES]


def command(text: str) -> Command | None:
    """The control command the whole message is, or None."""
    if re.search(r"\d", text):  # "ok, 5", "1.2k": a figure is an answer, not a command
        return None
    t = " ".join(re.sub(r"[^a-z ]", "", text.lower()).split())
    if len(t.split()) > 12:  # a command is a few words; longer messages say something
        return None
    return next((cmd for cmd, grammar in _GRAMMARS if grammar.fullmatch(t)), None)
