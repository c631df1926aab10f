#!/usr/bin/env python3
"""Writes the OpenAPI 3 document of `charnn serve`: docs/openapi.json, and the same text embedded
in Sources/CharnnServer/OpenAPIDocument.swift (the binary serves it at /openapi.json). A test
checks that the served document equals docs/openapi.json. Run after changing the API."""
import json, pathlib

root = pathlib.Path(__file__).resolve().parent.parent

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def body(schema, required=True): return {"required": required, "content": {"application/json": {"schema": schema}}}
def ok(schema, description="OK", status="200"): return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}
def errors(*codes):
    names = {"400": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters",
             "404": "No such session", "409": "The session is serving another request",
             "413": "Body over 1 MiB", "429": "No free slot (Retry-After says when to retry)",
             "405": "Method not allowed on this path", "503": "Shutting down"}
    return {c: {"description": names[c], "content": {"application/json": {"schema": ref("Error")}}} for c in codes}

text_field = {"type": "string", "description": "UTF-8 text."}
completion_request = {
    "type": "object",
    "description": "OpenAI's legacy completion request. Unknown fields are ignored and listed in the X-Charnn-Ignored-Fields header.",
    "properties": {
        "model": {"type": "string", "description": "Ignored: one model per server."},
        "prompt": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 1}],
                   "description": "The prime. Empty: the generation starts after a line break, as charnn sample."},
        "max_tokens": {"type": "integer", "minimum": 0, "default": 16, "description": "Characters to generate, at most --max-length."},
        "temperature": {"type": "number", "minimum": 0, "default": 1, "description": "0 is greedy."},
        "top_p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 1},
        "top_k": {"type": "integer", "minimum": 0, "default": 0, "description": "0 keeps all (llama.cpp's extension)."},
        "stop": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4}],
                 "description": "Texts that end the completion; not returned."},
        "seed": {"type": "integer", "description": "Choice i samples with seed + i; choice 0 equals charnn sample --seed."},
        "n": {"type": "integer", "minimum": 1, "default": 1, "description": "Choices, at most --max-choices (1 for a session)."},
        "stream": {"type": "boolean", "default": False, "description": "Server-sent events, ending with data: [DONE]."},
        "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
        "logprobs": {"type": "integer", "minimum": 0, "maximum": 20, "description": "Alternatives per character, from the model's own distribution."},
        "echo": {"type": "boolean", "default": False},
        "skip_unknown": {"type": "boolean", "default": False, "description": "Drop prompt characters outside the vocabulary instead of refusing (400)."},
        "user": {"type": "string"},
    },
}
logprobs = {"type": "object", "properties": {
    "tokens": {"type": "array", "items": {"type": "string"}},
    "token_logprobs": {"type": "array", "items": {"type": "number"}},
    "top_logprobs": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "number"}}},
    "text_offset": {"type": "array", "items": {"type": "integer"}}}}
completion = {"type": "object", "required": ["id", "object", "created", "model", "choices"], "properties": {
    "id": {"type": "string"}, "object": {"type": "string", "enum": ["text_completion"]},
    "created": {"type": "integer"}, "model": {"type": "string"},
    "choices": {"type": "array", "items": {"type": "object", "required": ["text", "index", "finish_reason"], "properties": {
        "text": {"type": "string"}, "index": {"type": "integer"},
        "logprobs": {"oneOf": [logprobs, {"type": "null"}]},
        "finish_reason": {"type": ["string", "null"], "enum": ["length", "stop", "shutdown", None]}}}},
    "usage": {"type": "object", "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"},
                                               "total_tokens": {"type": "integer"}}}}}
completion_responses = {"200": {"description": "The completion, or with stream: text/event-stream of chunks of this shape, then data: [DONE]",
                                "content": {"application/json": {"schema": ref("Completion")},
                                            "text/event-stream": {}}}}
session_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
model = {"type": "object", "required": ["id", "object", "owned_by"], "properties": {
    "id": {"type": "string", "description": "The checkpoint's file name without extensions."},
    "object": {"type": "string"}, "created": {"type": "integer"}, "owned_by": {"type": "string", "enum": ["charnn"]},
    "cell": {"type": "string", "enum": ["lstm", "gru"]}, "gru_variant": {"type": "string"},
    "layers": {"type": "integer"}, "hidden": {"type": "integer"}, "embedding": {"type": "integer"},
    "parameters": {"type": "integer"}, "vocabulary_size": {"type": "integer"},
    "task": {"type": "string"}, "tokenization": {"type": "string"}, "normalization": {"type": "string"},
    "bidirectional": {"type": "boolean"}, "training_step": {"type": "integer"},
    "best_validation_bits_per_char": {"type": "number"}}}

document = {
    "openapi": "3.1.0",
    "info": {"title": "charnn serve", "version": "1",
             "description": "A character-level LSTM/GRU language model over HTTP: OpenAI-compatible completions "
                            "(continuously batched), sessions, scoring, restoration, activation traces."},
    "paths": {
        "/health": {"get": {"summary": "Liveness and load", "responses": ok({"type": "object", "properties": {
            "status": {"type": "string"}, "model": {"type": "string"}, "active_streams": {"type": "integer"},
            "active_sessions": {"type": "integer"}}})}},
        "/metrics": {"get": {"summary": "Prometheus text format", "responses": {"200": {"description": "Metrics",
            "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": ok({"type": "object"})}},
        "/": {"get": {"summary": "The playground page", "responses": {"200": {"description": "HTML",
            "content": {"text/html": {"schema": {"type": "string"}}}}}}},
        "/v1/models": {"get": {"summary": "The one model", "responses": ok({"type": "object", "properties": {
            "object": {"type": "string"}, "data": {"type": "array", "items": ref("Model")}}})}},
        "/v1/completions": {"post": {"summary": "Complete a prompt", "requestBody": body(ref("CompletionRequest")),
                                     "responses": {**completion_responses, **errors("400", "413", "429", "503")}}},
        "/v1/score": {"post": {"summary": "Nats and bits per character of a text, as charnn eval (unknown characters skipped)",
            "requestBody": body({"type": "object", "required": ["text"], "properties": {"text": text_field}}),
            "responses": {**ok({"type": "object", "properties": {
                "nats_per_char": {"type": "number"}, "bits_per_char": {"type": "number"}, "perplexity": {"type": "number"},
                "chars_scored": {"type": "integer"}, "unknown_skipped": {"type": "integer"}}}), **errors("400", "413")}}},
        "/v1/restore": {"post": {"summary": "Restore a degraded text with a restoration model, as charnn restore",
            "requestBody": body({"type": "object", "required": ["text"], "properties": {"text": text_field}}),
            "responses": {**ok({"type": "object", "properties": {"text": {"type": "string"}, "task": {"type": "string"}}}),
                          **errors("400", "413")}}},
        "/v1/activations": {"post": {"summary": "A layer's hidden or cell state after each character (the neuron view)",
            "requestBody": body({"type": "object", "required": ["text"], "properties": {
                "text": text_field, "layer": {"type": "integer", "minimum": 0, "default": 0},
                "quantity": {"type": "string", "enum": ["hidden", "cell"], "default": "hidden"},
                "skip_unknown": {"type": "boolean", "default": False}}}),
            "responses": {**ok({"type": "object", "properties": {
                "characters": {"type": "array", "items": {"type": "string"}},
                "shape": {"type": "array", "items": {"type": "integer"}, "description": "[characters, units]"},
                "units": {"type": "integer"},
                "encoding": {"type": "string", "enum": ["base64-float32le"]},
                "data": {"type": "string", "description": "Row-major (characters, units) little-endian Float32, base64; "
                                                          "at most 2^20 numbers (4 MiB), so at most 2^20 / hidden characters."},
                "most_active_units": {"type": "array", "items": {"type": "integer"},
                                      "description": "The 16 units with the largest standard deviation over the text."}}}),
                **errors("400", "413")}}},
        "/v1/sessions": {"post": {"summary": "A new session: state kept between calls",
            "requestBody": body({"type": "object"}, required=False),
            "responses": {**ok({"type": "object", "properties": {"id": {"type": "string"},
                "expires_after_idle_seconds": {"type": "integer"}}}, "Created", "201"), **errors("400", "429")}}},
        "/v1/sessions/{id}": {"delete": {"summary": "End a session", "parameters": [session_id],
            "responses": {**ok({"type": "object", "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}}}),
                          **errors("404")}}},
        "/v1/sessions/{id}/feed": {"post": {"summary": "Move the session's state through a text", "parameters": [session_id],
            "requestBody": body({"type": "object", "required": ["text"], "properties": {
                "text": text_field, "skip_unknown": {"type": "boolean", "default": False}}}),
            "responses": {**ok({"type": "object", "properties": {"fed": {"type": "integer"},
                                                                 "unknown_skipped": {"type": "integer"}}}),
                          **errors("400", "404", "409", "413", "429")}}},
        "/v1/sessions/{id}/complete": {"post": {"summary": "Complete from the session's state (which then includes the generated text)",
            "parameters": [session_id], "requestBody": body(ref("CompletionRequest"), required=False),
            "responses": {**completion_responses, **errors("400", "404", "409", "413", "429", "503")}}},
    },
    "components": {"schemas": {
        "CompletionRequest": completion_request, "Completion": completion, "Model": model,
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
            "required": ["message", "type", "param", "code"], "properties": {
                "message": {"type": "string"}, "type": {"type": "string"},
                "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}}}}},
}

text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
(root / "docs/openapi.json").write_text(text)
swift = ('/// The API\'s OpenAPI 3 document, served at GET /openapi.json. Written by scripts/openapi.py,\n'
         '/// which writes docs/openapi.json too; a test keeps the two equal.\n'
         'enum OpenAPIDocument {\n    static let json = #"""\n' + text + '\n"""#\n}\n')
(root / "Sources/CharnnServer/OpenAPIDocument.swift").write_text(swift)
