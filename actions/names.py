"""Names shared with domain.yml: actions, intents, slots and entities."""

ACTION_ANSWER_SERVICE = "action_answer_service"
ACTION_LIST_SERVICES = "action_list_services"
ACTION_EXPLAIN_SERVICEFORKLARING = "action_explain_serviceforklaring"
ACTION_HUMAN_HANDOFF = "action_human_handoff"
ACTION_ASK_AFFIRMATION = "action_default_ask_affirmation"

INTENT_ASK_OVERVIEW = "ask_overview"
INTENT_ASK_PROMISES = "ask_promises"
INTENT_ASK_EXPECTATIONS = "ask_expectations"
INTENT_ASK_NOT_KEPT = "ask_not_kept"
INTENT_ASK_CONTACT = "ask_contact"
INTENT_INFORM_SERVICE = "inform_service"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_NLU_FALLBACK = "nlu_fallback"

SLOT_SERVICE = "service"
SLOT_TOPIC = "topic"

ENTITY_SERVICE = "service"
ENTITY_UNKNOWN_SERVICE = "unknown_service"
ENTITY_AUTHORITY = "authority"
ENTITY_TOPIC = "topic"

UTTER_ASK_WHICH_SERVICE = "utter_ask_which_service"
UTTER_LIST_SERVICES = "utter_list_services"
UTTER_ASK_AFFIRMATION = "utter_ask_affirmation"
