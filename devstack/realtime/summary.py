"""A deterministic extractive summary for the simulator's chat-completions endpoint.

The function app asks a chat deployment for a post-call summary; offline, the simulator answers with
the most informative sentences of the conversation (word-frequency scoring), in their original order.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from devstack.realtime.words import STOP_WORDS


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip().split()) >= 3]


def summarize(messages: list[dict[str, Any]], max_sentences: int = 3) -> str:
    """The top sentences of the user and assistant messages (the system prompt is ignored)."""
    sentences: list[str] = []
    for message in messages:
        if message.get("role") in ("user", "assistant"):
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            sentences.extend(_sentences(str(content or "")))
    if not sentences:
        return "No conversation to summarize."
    words = [w for s in sentences for w in re.findall(r"[a-z0-9']+", s.lower()) if w not in STOP_WORDS]
    freq = Counter(words)

    def score(sentence: str) -> float:
        tokens = [w for w in re.findall(r"[a-z0-9']+", sentence.lower()) if w not in STOP_WORDS]
        return sum(freq[w] for w in tokens) / (len(tokens) ** 0.5 or 1)

    ranked = sorted(range(len(sentences)), key=lambda i: (-score(sentences[i]), i))[:max_sentences]
    return " ".join(sentences[i] for i in sorted(ranked))


def chat_completion(body: dict[str, Any], model: str, created: int, completion_id: str) -> dict[str, Any]:
    """A `chat.completion` object answering `body` (OpenAI-compatible shape)."""
    messages = body.get("messages")
    text = summarize(messages if isinstance(messages, list) else [])
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages or [] if isinstance(m, dict))
    completion_tokens = len(text.split())
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
