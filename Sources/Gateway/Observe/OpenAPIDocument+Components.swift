/// The shared parameters and schemas of the control API's description.
extension OpenAPIDocument {
    static let components = #"""
    {
      "securitySchemes": {
        "adminBearer": {"type": "http", "scheme": "bearer", "description": "The --admin-token value"},
        "adminHeader": {"type": "apiKey", "in": "header", "name": "X-Mock-Admin-Token"}
      },
      "parameters": {
        "session_header": {"name": "X-Mock-Session", "in": "header", "required": false, "schema": {"type": "string"},
                           "description": "Scope the call to one session"},
        "session": {"name": "session", "in": "query", "schema": {"type": "string"}, "description": "Only this session's requests"},
        "method": {"name": "method", "in": "query", "schema": {"type": "string"}, "description": "HTTP method"},
        "surface": {"name": "surface", "in": "query", "schema": {"type": "string"},
                    "description": "chat, messages, responses, gemini, models, account, keys, images, tasks, files, connection, callback"},
        "path": {"name": "path", "in": "query", "schema": {"type": "string"}, "description": "Request path glob (* matches any run)"},
        "model": {"name": "model", "in": "query", "schema": {"type": "string"}, "description": "Model glob"},
        "key": {"name": "key", "in": "query", "schema": {"type": "string"}, "description": "Key id"},
        "status": {"name": "status", "in": "query", "schema": {"type": "string"}, "description": "Statuses or classes: 429, 4xx, 200,503, 0 (dropped)"},
        "faulted": {"name": "faulted", "in": "query", "schema": {"type": "boolean"}},
        "rule": {"name": "rule", "in": "query", "schema": {"type": "string"}, "description": "Fault rule id"},
        "stream": {"name": "stream", "in": "query", "schema": {"type": "boolean"}},
        "body_contains": {"name": "body_contains", "in": "query", "schema": {"type": "string"}, "description": "Text the raw request body contains (repeatable)"},
        "json": {"name": "json", "in": "query", "schema": {"type": "string"},
                 "description": "PATH=VALUE (VALUE as JSON when it parses), PATH~REGEX, or PATH (present); PATH like messages[-1].content, tools[*].name or /messages/0/content (repeatable)"},
        "header": {"name": "header", "in": "query", "schema": {"type": "string"}, "description": "NAME (present) or NAME:VALUE (equal) (repeatable)"},
        "since": {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "Only entries after this journal index"},
        "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "The last N entries (default 1000)"},
        "capture": {"name": "capture", "in": "query", "schema": {"type": "boolean"}, "description": "Include request and response (default true)"},
        "count": {"name": "count", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "Matching entries to wait for (default 1)"},
        "timeout_ms": {"name": "timeout_ms", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 600000}}
      },
      "schemas": {
        "Object": {"type": "object"},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "properties": {
          "message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}}},
        "Health": {"type": "object", "properties": {"status": {"const": "ok"}, "models": {"type": "integer"}, "keys": {"type": "integer"},
          "now": {"type": "integer"}, "faults": {"type": "integer"}, "journal": {"type": "integer"}, "tasks": {"type": "integer"}, "files": {"type": "integer"}}},
        "Reset": {"type": "object", "properties": {"status": {"const": "reset"}, "session": {"type": "string"}}},
        "Clock": {"type": "object", "properties": {"now": {"type": "integer"}, "now_iso": {"type": "string"}, "now_ms": {"type": "integer"},
          "frozen": {"type": "boolean"}, "time_scale": {"type": "number"}}},
        "ClockChange": {"type": "object", "required": ["action"], "properties": {
          "action": {"enum": ["freeze", "advance", "set", "resume", "reset"]}, "seconds": {"type": "number", "minimum": 0},
          "ms": {"type": "integer", "minimum": 0}, "time": {"type": ["integer", "string"], "description": "Unix seconds or RFC 3339"}}},
        "TopUp": {"type": "object", "required": ["amount_usd"], "properties": {"amount_usd": {"type": "number"}, "method": {"type": "string"}}},
        "TopUpResult": {"type": "object", "properties": {"transactions": {"type": "array", "items": {"type": "object"}}, "balance_usd": {"type": "number"}}},
        "Spend": {"type": "object", "required": ["key", "model"], "properties": {"key": {"type": "string"}, "model": {"type": "string"},
          "input_tokens": {"type": "integer", "minimum": 0}, "output_tokens": {"type": "integer", "minimum": 0},
          "thinking_tokens": {"type": "integer", "minimum": 0}, "cache_read_tokens": {"type": "integer", "minimum": 0},
          "cache_write_tokens": {"type": "integer", "minimum": 0}, "images": {"type": "integer", "minimum": 0},
          "video_seconds": {"type": "integer", "minimum": 0}, "enforce": {"type": "boolean"}}},
        "SpendResult": {"type": "object", "properties": {"request_id": {"type": "string"}, "api_key_id": {"type": "string"},
          "model": {"type": "string"}, "credits": {"type": "integer"}, "cost_usd": {"type": "number"}}},
        "Key": {"type": "object", "properties": {"id": {"type": "string"}, "secret": {"type": "string"}}},
        "KeyList": {"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "object", "properties": {
          "id": {"type": "string"}, "name": {"type": "string"}, "group": {"type": "string"}, "masked_key": {"type": "string"},
          "account_id": {"type": "string"}, "balance_usd": {"type": "number"}, "quota": {"type": "number"}, "quota_used": {"type": "number"},
          "revoked": {"type": "boolean"}, "windows": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "limit_usd": {"type": "number"}, "spent_usd": {"type": "number"}, "remaining_usd": {"type": "number"},
            "reset": {"type": "integer"}}}}}}}}},
        "KeyChange": {"type": "object", "properties": {"revoked": {"type": "boolean"}, "expires_at": {"type": ["integer", "string", "null"]}}},
        "ReplyRule": {"type": "object", "description": "A replies.json entry (match conditions and the reply)"},
        "ReplyRules": {"type": "object", "properties": {"replies": {"type": "array", "items": {"$ref": "#/components/schemas/ReplyRule"}}}},
        "Pacing": {"type": "object", "properties": {"first_token_ms": {"type": "integer", "minimum": 0}, "tokens_per_second": {"type": "number", "minimum": 0}}},
        "FaultBody": {"oneOf": [{"type": "string", "description": "A spec in the fault grammar, e.g. 429 retry_after=1 first=2"},
          {"type": "object", "description": "A rule object, e.g. {\"fault\": 429, \"first\": 1}"},
          {"$ref": "#/components/schemas/FaultsFile"}]},
        "FaultsFile": {"type": "object", "properties": {"faults": {"type": "array", "items": {"type": ["string", "object"]}},
          "requests": {"type": "integer"}, "seed": {"type": "string"}}},
        "FaultList": {"type": "object", "properties": {"faults": {"type": "array", "items": {"type": "object", "properties": {
          "id": {"type": "string"}, "spec": {"type": "string"}, "matched": {"type": "integer"}, "applied": {"type": "integer"}}}}}},
        "TaskList": {"type": "object", "properties": {"tasks": {"type": "array", "items": {"type": "object"}}}},
        "Matcher": {"type": "object", "additionalProperties": false, "properties": {
          "method": {"type": "string"}, "surface": {"type": "string"}, "path": {"type": "string", "description": "glob"},
          "model": {"type": "string", "description": "glob"}, "key": {"type": "string"},
          "status": {"type": ["integer", "string"], "description": "429, or 4xx, or 200,503"},
          "faulted": {"type": "boolean"}, "rule": {"type": "string"}, "stream": {"type": "boolean"},
          "body_contains": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
          "body": {"description": "JSON the request body contains: objects member by member, arrays element by element, numbers by value"},
          "json": {"type": "object", "description": "PATH: VALUE, or {equals: V}, {matches: REGEX}, {present: BOOL}",
                   "additionalProperties": true},
          "headers": {"type": "object", "description": "NAME: VALUE (equal), true/false (present/absent) or {matches: REGEX}",
                      "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "boolean"}, {"type": "object"}]}},
          "header": {"type": ["string", "object"], "description": "NAME or NAME:VALUE, or the headers object"}}},
        "Verification": {"type": "object", "properties": {
          "match": {"$ref": "#/components/schemas/Matcher"},
          "count": {"oneOf": [{"type": "integer", "minimum": 0},
            {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
              "exactly": {"type": "integer", "minimum": 0}, "at_least": {"type": "integer", "minimum": 0}, "at_most": {"type": "integer", "minimum": 0}}}]},
          "sequence": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/components/schemas/Matcher"}}}},
        "Difference": {"type": "object", "properties": {"field": {"type": "string"}, "expected": {"type": "string"}, "actual": {"type": "string"}}},
        "VerifyResult": {"type": "object", "required": ["ok", "message", "matched", "entries"], "properties": {
          "ok": {"type": "boolean"}, "message": {"type": "string"}, "matched": {"type": "integer"}, "considered": {"type": "integer"},
          "error": {"type": "object"},
          "entries": {"type": "array", "items": {"$ref": "#/components/schemas/JournalEntry"}},
          "near_misses": {"type": "array", "items": {"type": "object", "properties": {
            "differences": {"type": "array", "items": {"$ref": "#/components/schemas/Difference"}},
            "entry": {"$ref": "#/components/schemas/JournalEntry"}}}}}},
        "JournalList": {"type": "object", "properties": {
          "entries": {"type": "array", "items": {"$ref": "#/components/schemas/JournalEntry"}},
          "count": {"type": "integer"}, "total": {"type": "integer"}, "dropped": {"type": "integer"}, "capacity": {"type": "integer"},
          "held_bytes": {"type": "integer"}, "byte_limit": {"type": "integer"}}},
        "AppliedFault": {"type": "object", "properties": {"rule": {"type": "string"}, "origin": {"type": "string"}, "stage": {"type": "string"},
          "action": {"type": "string"}, "reason": {"type": "string"}, "n": {"type": "integer"}, "seed": {"type": "string"},
          "roll": {"type": "number"}, "latency_ms": {"type": "integer"}}},
        "Body": {"type": "object", "properties": {
          "content_type": {"type": ["string", "null"]}, "body_size": {"type": "integer"}, "body_omitted": {"type": "integer"},
          "body_format": {"enum": ["json", "text", "base64", "multipart", "empty"]}, "body": {}}},
        "StreamEvent": {"type": "object", "properties": {"ms": {"type": "integer"}, "event": {"type": "string"}, "id": {"type": "string"},
          "data": {}, "comment": {"type": "string"}, "retry": {"type": "string"}, "raw": {"type": "string"}}},
        "JournalEntry": {"type": "object", "properties": {
          "id": {"type": "string"}, "index": {"type": "integer"}, "seq": {"type": "integer"}, "session": {"type": ["string", "null"]},
          "time": {"type": "integer"}, "method": {"type": "string"}, "path": {"type": "string"}, "surface": {"type": "string"},
          "key": {"type": ["string", "null"]}, "model": {"type": ["string", "null"]}, "stream": {"type": "boolean"},
          "status": {"type": "integer"}, "attempt": {"type": "integer"}, "events": {"type": "integer"}, "bytes": {"type": "integer"},
          "duration_ms": {"type": "number"}, "recorded_at_ms": {"type": "integer"}, "error": {"type": "string"},
          "faults": {"type": "array", "items": {"$ref": "#/components/schemas/AppliedFault"}},
          "request": {"oneOf": [{"type": "null"}, {"allOf": [{"$ref": "#/components/schemas/Body"}, {"type": "object", "properties": {
            "target": {"type": "string"}, "query": {"type": "object"}, "headers": {"type": "object", "additionalProperties": {"type": "string"}}}}]}]},
          "response": {"allOf": [{"$ref": "#/components/schemas/Body"}, {"type": "object", "properties": {
            "status": {"type": "integer"}, "written": {"enum": ["http", "raw", "nothing"]},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/StreamEvent"}}}}]}}}
      }
    }
    """#
}
