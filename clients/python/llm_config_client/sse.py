"""A Server-Sent Events parser, line by line.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional


class Event(NamedTuple):
    event: str
    data: str
    id: Optional[str]


class SseParser:
    def __init__(self) -> None:
        self.last_event_id: Optional[str] = None
        self.retry_ms: Optional[int] = None
        self._event = ""
        self._data: List[str] = []
        self._has_data = False

    def feed(self, line: str) -> Optional[Event]:
        """One line (its end of line may be included); returns the event a blank line completes."""
        line = line.rstrip("\r\n")
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (the service's heartbeat)
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry":
            if value.isdigit():
                self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Optional[Event]:
        event, data, has_data = self._event or "message", "\n".join(self._data), self._has_data
        self._event, self._data, self._has_data = "", [], False
        if not has_data:
            return None
        return Event(event, data, self.last_event_id)
