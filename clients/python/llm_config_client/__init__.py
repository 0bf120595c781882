"""A live local copy of the llm-config-service configuration, for workers. Standard library only.

    from llm_config_client import LlmConfigClient

    with LlmConfigClient("http://127.0.0.1:3000", token=token, cache_file="/var/lib/app/llm-config.json") as client:
        client.wait_ready(timeout=5)
        plan = client.task("tagger")
"""
from .client import STATUSES, LlmConfigClient
from .errors import AccessDeniedError, LlmConfigError, NotReadyError, ServiceUnavailableError
from .fields import FIELDS
from .plans import TASKS, Fallback, TaskPlan

__version__ = "0.1.0"
__all__ = [
    "LlmConfigClient", "TaskPlan", "Fallback", "TASKS", "STATUSES", "FIELDS",
    "LlmConfigError", "AccessDeniedError", "NotReadyError", "ServiceUnavailableError",
]
