/// The shapes of `replies.json`, `faults.json` and `media.json`.
extension FixtureSchema {
    // MARK: replies.json

    static let pacing = FixtureObject("pacing", [
        .optional("first_token_ms", .integer(0...Pacing.maxFirstTokenMillis), "Milliseconds before the first streamed token (default 0)."),
        .optional("tokens_per_second",
                  .anyOf([.number(min: 0, max: 0), .number(min: Pacing.minTokensPerSecond, max: Pacing.maxTokensPerSecond)],
                         description: "0 (unpaced) or a number from 0.1 to 1000000"),
                  "Stream speed in tokens per second; 0 (default) sends without pauses."),
    ])

    static let toolCall = FixtureObject("tool call", [
        .required("name", .string(), "The tool's name."),
        .optional("arguments", .any(description: "a JSON object, or a string holding one"), "Arguments (default {})."),
    ])

    static let replyError = FixtureObject("scripted error", [
        .required("status", .integer(400...599), "HTTP error status."),
        .optional("message", .string(), "Error message (default \"scripted error\")."),
        .optional("type", .string(), "Error type in the surface's envelope (default: the status's)."),
        .optional("after_events", .integer(0...Int.max), "On streams: events sent before the in-band error; absent: fail before the head."),
        .optional("headers", .map(.string()), "Extra response headers (retry-after-ms, x-should-retry, …)."),
    ])

    static let reply = FixtureObject("reply", [
        .optional("text", .string(), "Answer text."),
        .optional("thinking", .string(), "Thinking text (models with the thinking tag)."),
        .optional("tool_calls", .array(.object(toolCall)), "Tool calls the answer makes."),
        .optional("refusal", .string(), "A refusal (not combined with text or tool_calls)."),
        .optional("error", .object(replyError), "Answer with an error instead (or after part of a stream)."),
        .optional("pacing", .object(pacing), "This reply's stream pacing."),
    ])

    static let surfaces = TextSurface.allCases.map(\.rawValue)

    static let match = FixtureObject("match", [
        .optional("surface", .anyOf([.string(values: surfaces, format: "surface"), .array(.string(values: surfaces, format: "surface"))],
                                    description: "one of \(surfaces.joined(separator: ", ")), or a list of them"),
                  "Text surfaces the rule answers."),
        .optional("model", .anyOf([.string(), .array(.string())], description: "a model glob or a list of them"),
                  "Globs over the canonical model id."),
        .optional("contains", .string(), "Case-sensitive substring of the last user message."),
        .optional("regex", .string(), "Regular expression over the last user message."),
        .optional("tool_result", .bool, "Whether the conversation ends with a tool result."),
    ])

    static let replyRule = FixtureObject("reply rule", [
        .optional("id", .string(), "Rule id (default reply-N)."),
        .optional("match", .object(match), "Conditions, all of which must hold (absent: every request)."),
        .required("reply", .object(reply), "What the rule answers: text, thinking, tool_calls, refusal or error."),
        .optional("times", .integer(1...Int.max), "Answer only the first N matching requests."),
    ])

    static let replies = FixtureObject("replies.json", [
        schemaLink, mode,
        .optional("pacing", .object(pacing), "Default stream pacing."),
        .optional("replies", .array(.object(replyRule)), "Scripted reply rules, tried in order."),
    ])

    // MARK: faults.json

    static let faults = FixtureObject("faults.json", [
        schemaLink,
        .optional("faults", .array(.any(description: "a fault spec string ('429 first=2') or an object of its options")),
                  "Fault rules in the fault grammar (docs/faults.md)."),
        .optional("mode", .any(description: "any value"), "Ignored (an exported plan carries it)."),
        .optional("seed", .any(description: "any value"), "Ignored (an exported plan carries it)."),
        .optional("generated_at", .any(description: "any value"), "Ignored (an exported plan carries it)."),
        .optional("requests", .any(description: "any value"), "Ignored (an exported plan carries it)."),
    ])

    // MARK: media.json

    static let seconds = FixtureShape.number(min: 0, max: 86_400)
    static let renderSeconds = FixtureShape.number(min: 0.001, max: 86_400)
    static let options = FixtureShape.map(.array(.string()))
    static let resolutions = ["480p", "720p", "1080p"]

    static let image = FixtureObject("image model", [
        .required("model", .string(), "An image model of the catalog."),
        .required("n_max", .integer(1...10), "Images per request."),
        .required("sizes", .array(.string(format: "size")), "WIDTHxHEIGHT, each side 1 to 4096."),
        .required("default_size", .string(format: "size"), "One of sizes."),
        .optional("edits", .bool, "Whether /v1/images/edits accepts the model (default false)."),
        .optional("options", options, "Extra request options: name → allowed values (empty list: any)."),
    ])

    static let video = FixtureObject("video model", [
        .required("model", .string(), "A video model of the catalog."),
        .required("max_seconds", .integer(1...60), "Longest video."),
        .required("resolutions", .array(.string(values: resolutions, format: "resolution")), "Offered resolutions."),
        .required("default_resolution", .string(values: resolutions, format: "resolution"), "One of resolutions."),
        .required("queue_seconds", seconds, "Virtual seconds in pending (divided by --time-scale)."),
        .required("render_seconds", renderSeconds, "Virtual seconds in running."),
        .optional("cancel_billing", .string(values: ["free", "partial", "full"], format: "cancel billing"), "What a cancel while running bills (default partial)."),
        .optional("options", options, "Extra request options: name → allowed values (empty list: any)."),
    ])

    static let imageTasks = FixtureObject("image task timing", [
        .required("queue_seconds", seconds, "Virtual seconds in pending."),
        .required("render_seconds", renderSeconds, "Virtual seconds in running."),
    ])

    static let files = FixtureObject("files", [
        .optional("ttl_seconds", .integer(1...31_536_000), "How long served files live (default 86400)."),
    ])

    static let media = FixtureObject("media.json", [
        schemaLink, mode,
        .optional("files", .object(files), "Served files."),
        .optional("max_prompt_chars", .integer(1...10_000_000), "Longest image or video prompt (default 4000)."),
        .optional("blocked_terms", .array(.string()), "Prompt terms refused with 451 (case-insensitive)."),
        .optional("images", .array(.object(image)), "Image models' options, merged by model."),
        .optional("videos", .array(.object(video)), "Video models' options, merged by model."),
        .optional("image_tasks", .object(imageTasks), "Timeline of image models submitted as tasks (default 1 s + 8 s)."),
    ])
}
