"""The configuration's fields, declared once.

This is the only place the client names the fields of ``GET /llm-config`` (the ``LlmConfig``
schema of the service's committed ``openapi.json``; ``tests/test_fields.py`` fails when the two
drift). The client uses it to refuse a configuration it cannot trust: a corrupt or foreign cache
file, or an answer that is not the service's. Fields it does not know are kept as served, so a
newer service does not break an older client.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple


class Field(NamedTuple):
    #: Python types a non-null value may have (``bool`` is never accepted for ``int``).
    types: Tuple[type, ...]
    nullable: bool = False
    #: Added to the contract after some services were deployed: may be absent from an answer.
    pending: bool = False


_STR = (str,)
_INT = (int,)
_NUM = (int, float)
_BOOL = (bool,)

FIELDS: Dict[str, Field] = {
    "id": Field(_INT),
    "provider": Field(_STR),
    "api_url": Field(_STR, nullable=True),
    "model_tagger": Field(_STR),
    "model_enricher": Field(_STR),
    "model_analytics": Field(_STR),
    "model_responder": Field(_STR, nullable=True),
    "enabled": Field(_BOOL),
    "auto_tagging": Field(_BOOL),
    "auto_enrichment": Field(_BOOL),
    "external_enrichment": Field(_BOOL),
    "max_retries": Field(_INT),
    "retry_delay": Field(_INT),
    "backup_provider": Field(_STR, nullable=True),
    "backup_model": Field(_STR, nullable=True),
    "batch_size": Field(_INT),
    "concurrent_tasks": Field(_INT),
    "cache_responses": Field(_BOOL),
    "min_confidence_tagging": Field(_NUM),
    "min_confidence_entity": Field(_NUM),
    "api_key_set": Field(_BOOL),
    "api_key_hint": Field(_STR, nullable=True),
    # The configuration version at which the stored API key last changed (null: no key). The
    # client re-reveals the key only when it moves; older services do not send it yet.
    "api_key_version": Field(_INT, nullable=True, pending=True),
    "created_at": Field(_STR),
    "updated_at": Field(_STR),
    "version": Field(_INT),
}


def _type_ok(value: Any, spec: Field) -> bool:
    if value is None:
        return spec.nullable
    if isinstance(value, bool):
        return bool in spec.types
    return isinstance(value, spec.types)


def invalid_reason(config: Any) -> Optional[str]:
    """Why ``config`` is not a configuration as the service serves it; ``None`` when it is."""
    if not isinstance(config, Mapping):
        return "not a JSON object"
    for name, spec in FIELDS.items():
        if name not in config:
            if spec.pending:
                continue
            return "field %r is missing" % name
        if not _type_ok(config[name], spec):
            return "field %r has a value of type %s" % (name, type(config[name]).__name__)
    if config["version"] < 1:
        return "version is not positive"
    return None
