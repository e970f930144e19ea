"""The domain contract in one file: the names domain.yml and Rasa give to actions,
intents, slots, entities and responses, and the event types of Rasa's tracker store.

Every other module spells these names through this one, so a rename is one edit here and
one in domain.yml; tests/unit/test_domain.py checks that each name below exists in
domain.yml (Rasa's built-in names, listed in `RASA_BUILTINS`, are not declared there).
This module imports nothing of ours, so every layer, and the actions, may import it.
"""

from __future__ import annotations

# Actions (domain.yml `actions`). `action_session_start` is Rasa's name; declaring it
# makes Rasa run ours (actions/session.py), which says the AI disclosure first.
ACTION_SESSION_START = "action_session_start"
ACTION_ANSWER_SERVICE = "action_answer_service"
ACTION_LIST_SERVICES = "action_list_services"
ACTION_EXPLAIN_SERVICEFORKLARING = "action_explain_serviceforklaring"
ACTION_HUMAN_HANDOFF = "action_human_handoff"
ACTION_ASK_AFFIRMATION = "action_default_ask_affirmation"
# A broken promise reported as chat turns (actions/report.py, data/rules/report.yml).
ACTION_START_REPORT = "action_start_report"
ACTION_ASK_REPORT_SERVICE = "action_ask_report_service"
ACTION_ASK_REPORT_PROMISE = "action_ask_report_promise"
ACTION_ASK_REPORT_DESCRIPTION = "action_ask_report_description"
ACTION_VALIDATE_REPORT_FORM = "validate_report_form"
ACTION_SUBMIT_REPORT = "action_submit_report"

# Rasa's own actions.
ACTION_LISTEN = "action_listen"
ACTION_TWO_STAGE_FALLBACK = "action_two_stage_fallback"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"

# Intents (domain.yml `intents`).
INTENT_GREET = "greet"
INTENT_GOODBYE = "goodbye"
INTENT_THANK = "thank"
INTENT_BOT_CHALLENGE = "bot_challenge"
INTENT_AFFIRM = "affirm"
INTENT_DENY = "deny"
INTENT_ASK_OVERVIEW = "ask_overview"
INTENT_ASK_PROMISES = "ask_promises"
INTENT_ASK_EXPECTATIONS = "ask_expectations"
INTENT_ASK_NOT_KEPT = "ask_not_kept"
INTENT_ASK_CONTACT = "ask_contact"
INTENT_INFORM_SERVICE = "inform_service"
INTENT_LIST_SERVICES = "list_services"
INTENT_WHAT_IS_SERVICEFORKLARING = "what_is_serviceforklaring"
INTENT_HUMAN_HANDOFF = "human_handoff"
INTENT_OUT_OF_SCOPE = "out_of_scope"
# A message in Finnish, Northern Sami or another language the bot does not answer in
# (set by the language component, bot/adapters/nlu.py, whatever DIET said).
INTENT_OTHER_LANGUAGE = "other_language"
# "Anmäl": start reporting a broken promise in the chat (also the offer's button).
INTENT_START_REPORT = "start_report"

# Rasa's own intent: the FallbackClassifier's verdict.
INTENT_NLU_FALLBACK = "nlu_fallback"

# The part of a declaration each service intent asks for (data/topics.yml `aspect`).
# `ask_overview` asks for the facts, and is also where the answer plan starts.
SERVICE_INTENT_ASPECTS = {
    INTENT_ASK_PROMISES: "promises",
    INTENT_ASK_EXPECTATIONS: "expectations",
    INTENT_ASK_NOT_KEPT: "not_kept",
    INTENT_ASK_CONTACT: "contact",
    INTENT_ASK_OVERVIEW: "facts",
}
# The intents that ask about one service.
SERVICE_INTENTS = frozenset(SERVICE_INTENT_ASPECTS)
SMALL_TALK_INTENTS = frozenset(
    {INTENT_GREET, INTENT_GOODBYE, INTENT_THANK, INTENT_AFFIRM, INTENT_DENY}
)

# Slots (domain.yml `slots`).
SLOT_SERVICE = "service"
SLOT_TOPIC = "topic"
# The conversation's language (bot/core/message_language.py): sv, en, fi, se or other.
SLOT_LANGUAGE = "language"
# The offer to report was the last answer's end ("ja" then starts the report).
SLOT_REPORT_OFFERED = "report_offered"
# The report as chat turns (report_form): never contact details.
SLOT_REPORT_SERVICE = "report_service"
SLOT_REPORT_PROMISE = "report_promise"
SLOT_REPORT_DESCRIPTION = "report_description"
SLOT_REQUESTED = "requested_slot"  # Rasa's own: the form's slot being asked for

# Entities (domain.yml `entities`).
ENTITY_SERVICE = "service"
ENTITY_UNKNOWN_SERVICE = "unknown_service"
ENTITY_AUTHORITY = "authority"
ENTITY_TOPIC = "topic"
ENTITY_LANGUAGE = "language"

# Responses (domain.yml `responses`) used by the actions; the answers' own responses
# are named in bot/core/answers.py.
UTTER_ASK_WHICH_SERVICE = "utter_ask_which_service"
UTTER_LIST_SERVICES = "utter_list_services"
UTTER_ASK_AFFIRMATION = "utter_ask_affirmation"
# The first reply of every conversation: an automated chatbot, not a person, and how to
# reach one (EU AI Act art. 50). Its `utter_action` in the stored event is the record.
UTTER_AI_DISCLOSURE = "utter_ai_disclosure"
UTTER_OTHER_LANGUAGE = "utter_other_language"
UTTER_ANYTHING_ELSE = "utter_anything_else"
UTTER_ASK_REPORT_SERVICE = "utter_ask_report_service"
UTTER_ASK_REPORT_PROMISE = "utter_ask_report_promise"
UTTER_ASK_REPORT_DESCRIPTION = "utter_ask_report_description"
UTTER_REPORT_SERVICE_UNKNOWN = "utter_report_service_unknown"
UTTER_REPORT_PROMISE_UNKNOWN = "utter_report_promise_unknown"
UTTER_REPORT_DESCRIPTION_INVALID = "utter_report_description_invalid"
UTTER_REPORT_REGISTERED = "utter_report_registered"
UTTER_REPORT_CANCELLED = "utter_report_cancelled"
UTTER_REPORT_FAILED = "utter_report_failed"

# Names Rasa defines itself; they are not declared in domain.yml.
RASA_BUILTINS = frozenset(
    {
        ACTION_LISTEN,
        ACTION_TWO_STAGE_FALLBACK,
        ACTION_DEFAULT_FALLBACK,
        INTENT_NLU_FALLBACK,
        SLOT_REQUESTED,
    }
)

# Event types (`type_name` in Rasa's `events` table, `event` in its JSON).
EVENT_USER = "user"
EVENT_BOT = "bot"
EVENT_ACTION = "action"
EVENT_SESSION_STARTED = "session_started"
EVENT_REWIND = "rewind"  # UserUtteranceReverted

# The time zone of opening hours and of the dates shown in the review tool.
TIME_ZONE = "Europe/Stockholm"
