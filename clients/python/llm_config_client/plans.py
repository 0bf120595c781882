"""Task plans: the settings one AI task needs to make a call (issue 12, "Task plans")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

TASKS = ("tagger", "enricher", "analytics", "responder")


@dataclass(frozen=True)
class Fallback:
    """Where to send a call when the primary provider fails."""

    provider: str
    #: ``backup_model``, or the task's own model when no backup model is set.
    model: Optional[str]


@dataclass(frozen=True)
class TaskPlan:
    """What a worker needs to make one call for one task, at one configuration version."""

    task: str
    enabled: bool
    provider: str
    model: Optional[str]
    api_url: Optional[str]
    min_confidence: Optional[float]
    external_allowed: bool
    max_retries: int
    retry_delay_s: int
    batch_size: int
    concurrent_tasks: int
    cache_responses: bool
    fallback: Optional[Fallback]
    version: int
    #: The provider's API key; ``None`` when none is stored or the token may not reveal it.
    #: Left out of ``repr()`` so that logging a plan never prints it.
    api_key: Optional[str] = field(default=None, repr=False)


def build_plan(task: str, config: Mapping[str, Any], api_key: Optional[str]) -> TaskPlan:
    if task not in TASKS:
        raise ValueError("unknown task %r: the tasks are %s" % (task, ", ".join(TASKS)))
    enabled = bool(config["enabled"])
    if task == "tagger":
        model, on = config["model_tagger"], enabled and config["auto_tagging"]
        min_confidence, external = config["min_confidence_tagging"], False
    elif task == "enricher":
        model, on = config["model_enricher"], enabled and config["auto_enrichment"]
        min_confidence, external = config["min_confidence_entity"], bool(config["external_enrichment"])
    elif task == "analytics":
        model, on, min_confidence, external = config["model_analytics"], enabled, None, False
    else:
        model = config["model_responder"]
        on, min_confidence, external = enabled and model is not None, None, False
    backup = config["backup_provider"]
    fallback = Fallback(backup, config["backup_model"] or model) if backup is not None else None
    return TaskPlan(
        task=task,
        enabled=bool(on),
        provider=config["provider"],
        model=model,
        api_url=config["api_url"],
        min_confidence=min_confidence,
        external_allowed=external,
        max_retries=config["max_retries"],
        retry_delay_s=config["retry_delay"],
        batch_size=config["batch_size"],
        concurrent_tasks=config["concurrent_tasks"],
        cache_responses=bool(config["cache_responses"]),
        fallback=fallback,
        version=config["version"],
        api_key=api_key,
    )
