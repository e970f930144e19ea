"""Decide what to answer to one citizen message: which service, which part of it, which
facts first. Knows nothing of Rasa.

The evidence, strongest first:
- what the message names: a service of the catalog (by name, synonym or an activity that
  implies it), a service that has no declaration, another authority;
- what the message asks: a topic from data/topics.yml (times, duties, cost, …), else the
  intent the NLU model chose;
- what the conversation already holds: the service and the topic of the last answer, for
  follow-ups that name neither.
Then the catalog's texts of the service are ranked against the question, so the fact
the citizen asked for comes first, and a question the declaration does not cover gets
"the source says nothing about that" with that service's contact route, never another
aspect's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.core import answers
from bot.core.answers import Reply
from bot.core.catalog import Catalog, Declaration
from bot.core.language import fold
from bot.core.questions import (
    GENERAL,
    PROMISE,
    QuestionIndex,
    Scored,
    Vocabulary,
    addresses_municipality,
    best_topic,
    stem,
    stems,
)
from bot.names import (
    INTENT_ASK_CONTACT,
    INTENT_ASK_EXPECTATIONS,
    INTENT_ASK_NOT_KEPT,
    INTENT_ASK_OVERVIEW,
    INTENT_ASK_PROMISES,
    INTENT_INFORM_SERVICE,
    INTENT_OUT_OF_SCOPE,
)

# Which topic each service intent asks about when the message itself has no topic cue.
INTENT_TOPICS = {
    INTENT_ASK_PROMISES: "times",
    INTENT_ASK_EXPECTATIONS: "duties",
    INTENT_ASK_NOT_KEPT: "not_kept",
    INTENT_ASK_CONTACT: "contact",
}
OUT_OF_SCOPE_INTENT = INTENT_OUT_OF_SCOPE
INFORM_SERVICE_INTENT = INTENT_INFORM_SERVICE
OVERVIEW_INTENTS = {INTENT_ASK_OVERVIEW, INFORM_SERVICE_INTENT}
# A text whose relevance reaches this answers the question by itself, whatever the topic.
STRONG_MATCH = 4.0
# One shared word this rare (inverse document frequency) points at a text by itself.
RARE_WORD = 3.0
# One promise is picked out of several when it scores this much more than the next.
CLEAR_LEAD = 1.5
# A service the message does not name is taken when its texts lead the next by this much.
SERVICE_LEAD = 1.3
# A service the message does not name is only taken on a listed keyword this strong: a
# question meant for someone else must not get a declaration by a shared word.
INFERRED_SERVICE = 2 * 4.0
MAX_FACTS = 3
# Out of scope this sure is left alone, whatever service word the message contains.
SURE_OUT_OF_SCOPE = 0.9
# A broken promise asked about in general ("om kommunen bryter ett löfte") names one of these.
PROMISE_WORDS = ("löfte", "lovat", "lovar", "utlovat", "serviceförklaring", "garanti")
MAX_SERVICES = 3
# A question of a known kind this short, after a service was discussed, asks about it.
SHORT_FOLLOW_UP = 7


@dataclass
class Question:
    text: str
    intent: str | None = None
    confidence: float = 1.0  # the model's confidence in `intent`
    services: list[str] = field(default_factory=list)  # catalog ids named in the message
    unknown_services: list[str] = field(default_factory=list)  # named, no declaration
    authorities: list[str] = field(default_factory=list)  # other authorities named
    remembered_service: str | None = None
    remembered_topic: str | None = None
    # The conversation's language. The model has seen few English examples, so its being
    # sure that an English message is out of scope is not taken as sure.
    language: str = "sv"

    @property
    def surely_out_of_scope(self) -> bool:
        return self.confidence >= SURE_OUT_OF_SCOPE and self.language == "sv"


@dataclass
class Plan:
    replies: list[Reply]
    service: str | None  # the service the conversation is now about (None = forget it)
    topic: str | None
    kind: str  # service, general, authority, unknown_service, out_of_scope, ask_service
    ask_service: bool = False  # the replies ask which service; buttons follow


def question_topic(vocabulary: Vocabulary, question: Question) -> str | None:
    topic = best_topic(vocabulary, question.text)
    if topic:
        return topic
    return INTENT_TOPICS.get(question.intent or "")


def plan_answer(catalog: Catalog, index: QuestionIndex, question: Question, now: datetime) -> Plan:
    today = now.date()
    topic = question_topic(index.vocabulary, question)
    if topic is None and question.intent == INFORM_SERVICE_INTENT:
        topic = question.remembered_topic  # "och för färdtjänst då?" asks the same again

    out_of_scope = question.intent == OUT_OF_SCOPE_INTENT
    if (
        question.services
        and question.confidence < SURE_OUT_OF_SCOPE
        and addresses_municipality(index.vocabulary, question.text)
    ):
        # "inget från Försäkringskassan, kan kommunen hjälpa med hyran?" asks us.
        question = replace(question, authorities=[])
        out_of_scope = False
    winning = [
        a
        for a in map(catalog.authority, question.authorities)
        if a and a.wins_over(question.services)
    ]
    if winning:
        return Plan(answers.authority_answer(catalog, winning[0]), None, topic, "authority")
    if question.authorities and (
        out_of_scope or not question.services or _only_yielding(catalog, question.services)
    ):
        authority = catalog.authority(question.authorities[0])
        if authority is not None:
            return Plan(answers.authority_answer(catalog, authority), None, topic, "authority")
    if out_of_scope and not _asks_about_named_service(catalog, index, question, topic):
        if not _follows_up(catalog, index, question, topic):
            # A service word in an unrelated question brings no declaration.
            return Plan(answers.out_of_scope_answer(catalog), None, None, "out_of_scope")
    if question.unknown_services and not question.services:
        unknown = [
            reply
            for name in question.unknown_services
            for reply in answers.unknown_service_answer(catalog, name)
        ]
        return Plan(unknown, None, topic, "unknown_service")

    services = [s for s in question.services if catalog.get(s)]
    if not services:
        general = _general_plan(catalog, index, question, topic, now)
        general_score = _best_score(index, GENERAL, question.text, topic)
        services = _services_from_context(catalog, index, question, topic, general_score)
        if not services:
            return (
                general
                or _general_by_rare_word(catalog, index, question, topic, now)
                or Plan([], None, topic, "ask_service", ask_service=True)
            )
        if topic is None and question.intent not in OVERVIEW_INTENTS:
            topic = question.remembered_topic

    replies: list[Reply] = []
    for service_id in services[:MAX_SERVICES]:
        declaration = catalog.get(service_id)
        assert declaration is not None
        replies += service_replies(catalog, index, declaration, question, topic, today)
    return Plan(replies, services[:MAX_SERVICES][-1], topic, "service")


def _general_plan(
    catalog: Catalog, index: QuestionIndex, question: Question, topic: str | None, now: datetime
) -> Plan | None:
    """A question about serviceförklaringar, Kundtjänst or e-services in general."""
    today = now.date()
    if (
        topic in ("not_kept", "appeal")
        and not question.remembered_service
        and _cue_matches_any(index, question.text, PROMISE_WORDS)
    ):
        return Plan(answers.serviceforklaring_replies(catalog, today), None, topic, "general")
    strong = [
        s
        for s in index.rank(GENERAL, question.text, topic)
        if s.score >= STRONG_MATCH and s.specific
    ]
    if topic in ("contact", "hours"):
        replies = answers.kundtjanst_replies(catalog, now)
        if strong:
            texts = _best_texts(strong)
            general = answers.general_fact_replies(catalog, texts, strong[0].item.topic, today)
            replies = general[:1] + replies
        return Plan(replies, None, topic, "kundtjanst")
    if strong:
        texts = _best_texts(strong)
        replies = answers.general_fact_replies(catalog, texts, strong[0].item.topic, today)
        return Plan(replies, None, topic, "general_fact")
    return None


def _general_by_rare_word(
    catalog: Catalog, index: QuestionIndex, question: Question, topic: str | None, now: datetime
) -> Plan | None:
    """No service in sight, and a general fact that the question meets by a rare word
    ("Mina sidor", "BankID") or by what it asks: that fact, rather than service buttons."""
    if question.intent == OUT_OF_SCOPE_INTENT:
        return None
    ranked = index.rank(GENERAL, question.text, topic, cue_words=True)
    if not ranked:
        return None
    best = ranked[0]
    by_words = best.score - (index.topic_bonus(topic) if index.speaks_to(best.item, topic) else 0)
    # The best text leads, or those close behind it are about the same (three appeal facts).
    rivals = [s for s in ranked[1:] if s.item.topic != best.item.topic]
    runner_up = rivals[0].score if rivals else 0.0
    if not best.specific or by_words < STRONG_MATCH or best.score < CLEAR_LEAD * runner_up:
        return None  # one rare word by chance ("partier styr" ~ balanserad styrning) is not enough
    texts = _best_texts(ranked)
    replies = answers.general_fact_replies(catalog, texts, ranked[0].item.topic, now.date())
    return Plan(replies, None, topic, "general_fact")


def _only_yielding(catalog: Catalog, services: list[str]) -> bool:
    """Every service named is one that yields to another authority named beside it."""
    declarations = [catalog.get(s) for s in services]
    return all(d is not None and d.yields_to_authorities for d in declarations)


def _asks_about_named_service(
    catalog: Catalog, index: QuestionIndex, question: Question, topic: str | None
) -> bool:
    """The model took the message for out of scope, unsure, but it names a service and its
    own words meet one of that service's texts closely: the citizen does ask about it."""
    if question.surely_out_of_scope:
        return False
    # In English one shared word with the topic's bonus will do ("lunch" and "cost" meet
    # the meal prices): the model, not the words, is what is unsure there.
    specific = question.language == "sv"
    return any(
        _best_score(index, s, question.text, topic, specific) >= STRONG_MATCH
        for s in question.services
        if catalog.get(s)
    )


def _follows_up(
    catalog: Catalog, index: QuestionIndex, question: Question, topic: str | None
) -> bool:
    """The model took a message that names nothing for out of scope, but it goes on with
    the conversation's service: its own words meet one of that service's texts closely
    ("och kopior i A3?" after a library question), or the model is unsure and the words
    meet one by a rare word, or it is a short question of a known kind ("kostar intyget
    något?")."""
    remembered = question.remembered_service
    if (
        not remembered
        or not catalog.get(remembered)
        or question.services
        or question.authorities
        or question.unknown_services
    ):
        return False
    own = _best_score(index, remembered, question.text, topic)
    if own >= 2 * STRONG_MATCH:
        return True  # its words are that service's, however sure the model is
    if question.surely_out_of_scope:
        return False
    if own >= RARE_WORD:
        return True
    return topic is not None and len(question.text.split()) <= SHORT_FOLLOW_UP


def _cue_matches_any(index: QuestionIndex, text: str, words: tuple[str, ...]) -> bool:
    asked = stems(index.vocabulary, text)
    return any(stem(fold(word)) in asked for word in words)


def _best_score(
    index: QuestionIndex, service: str, text: str, topic: str | None, specific: bool = True
) -> float:
    """How well the question's own words meet the service's (or the general) texts: by
    the specific hits only (more than one word, or a keyword), unless `specific` is off."""
    scores = [s.score for s in index.rank(service, text, topic) if s.specific or not specific]
    return max(scores, default=0.0)


def _by_keyword(index: QuestionIndex, service: str, text: str, topic: str | None) -> bool:
    return any(s.by_keyword for s in index.rank(service, text, topic) if s.specific)


def _services_from_context(
    catalog: Catalog,
    index: QuestionIndex,
    question: Question,
    topic: str | None,
    general_score: float,
) -> list[str]:
    """The service a message that names none is about: the conversation's, unless the
    message clearly asks something general; else the one whose texts it meets best."""
    remembered = question.remembered_service
    if remembered and catalog.get(remembered):
        own = _best_score(index, remembered, question.text, topic)
        if general_score >= max(3 * STRONG_MATCH, 2 * own):
            return []
        return [remembered]
    scored = sorted(
        ((_best_score(index, s, question.text, topic), s) for s in catalog.declarations),
        reverse=True,
    )
    best, service = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if (
        best >= INFERRED_SERVICE
        and best > general_score
        and best >= SERVICE_LEAD * runner_up
        and _by_keyword(index, service, question.text, topic)
    ):
        return [service]
    return []


def service_replies(
    catalog: Catalog,
    index: QuestionIndex,
    declaration: Declaration,
    question: Question,
    topic: str | None,
    today: date,
) -> list[Reply]:
    ranked = index.rank(declaration.id, question.text, topic)
    aspect = index.vocabulary.topics[topic].aspect if topic in index.vocabulary.topics else None
    # Texts the question's own words point at (not just a shared topic).
    pointed = [
        s for s in ranked if s.specific or s.score >= RARE_WORD or index.speaks_to(s.item, topic)
    ]
    strong = [s for s in pointed if s.score >= STRONG_MATCH and s.specific]

    # Texts the question points at strongly, by several words or one rare one.
    telling = [s for s in pointed if s.score >= STRONG_MATCH]
    leading = _leading_text(ranked, telling)
    if not declaration.text_available and aspect in (None, "promises", "not_kept"):
        if telling:
            body = answers.fact_replies(catalog, declaration, _best_texts(telling))
        else:
            body = answers.aspect_replies(catalog, declaration, answers.OVERVIEW)
    elif aspect == "promises" and leading is not None:
        # "hur lång tid tar introduktionen?": a fact, not a promise, holds the time.
        body = answers.fact_replies(catalog, declaration, [leading])
    elif aspect == "promises":
        body = _promise_replies(catalog, declaration, ranked)
    elif aspect in (answers.EXPECTATIONS, answers.NOT_KEPT, answers.CONTACT):
        body = answers.aspect_replies(catalog, declaration, aspect)
        own = {answers.EXPECTATIONS: "expectation", answers.NOT_KEPT: "not_kept"}.get(aspect)
        extra = [s.item.text for s in strong if s.item.source != own][:1]
        if extra:
            body = answers.fact_replies(catalog, declaration, extra) + body
    elif pointed:
        body = answers.fact_replies(catalog, declaration, _best_texts(pointed))
    elif aspect == "facts":
        label = index.vocabulary.topics[topic].label  # type: ignore[index]
        body = answers.not_covered_replies(catalog, declaration, label)
    else:
        body = answers.aspect_replies(catalog, declaration, answers.OVERVIEW)
    replies = body + answers.source_replies(catalog, declaration, today)
    if aspect == answers.NOT_KEPT:  # the citizen may register the broken promise
        replies += answers.report_offer_replies(catalog, declaration)
    return replies


def _leading_text(ranked: list[Scored], telling: list[Scored]) -> str | None:
    """A text beyond the promises that the question's own words point at clearly more
    than at any promise, or None."""
    if not telling or telling[0].item.source == PROMISE:
        return None
    promises = [s.score for s in ranked if s.item.source == PROMISE]
    if telling[0].score >= CLEAR_LEAD * max(promises, default=0.0):
        return telling[0].item.text
    return None


def _best_texts(ranked: list[Scored]) -> list[str]:
    """The best texts: the first, and those close behind it, at most MAX_FACTS."""
    best = ranked[0].score
    return [s.item.text for s in ranked if s.score >= best / CLEAR_LEAD][:MAX_FACTS]


def _promise_replies(
    catalog: Catalog, declaration: Declaration, ranked: list[Scored]
) -> list[Reply]:
    timed = declaration.timed_promises
    if not timed:
        return answers.aspect_replies(catalog, declaration, answers.PROMISES)
    scored = [s for s in ranked if s.item.source == PROMISE and s.item.commitment]
    # Beyond the shared topic bonus, did the question's own words pick one promise out?
    if scored and scored[0].score > 1.0:
        second = scored[1].score if len(scored) > 1 else 1.0
        if scored[0].score >= CLEAR_LEAD * second:
            chosen = [p for p in timed if p.id == scored[0].item.id]
            return answers.promise_replies(catalog, declaration, chosen, more=True)
        order = {s.item.id: i for i, s in enumerate(scored)}
        timed = sorted(timed, key=lambda p: order.get(p.id, len(order)))
    return answers.promise_replies(
        catalog, declaration, timed, more=len(timed) < len(declaration.promises)
    )
