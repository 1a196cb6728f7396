/// Gemini's request fields (proto3 JSON: each key may also arrive in snake_case). Google rejects
/// an unknown member anywhere in the message; the mock checks the top level, the configuration
/// objects, the contents and their parts.
extension RequestFields {
    /// The members of a `Part`.
    private static let geminiPart: [Field] = [
        .honoured("text"), .honoured("thought", "marks a thought summary"), .honoured("inlineData", "an image counts as vision input"),
        .honoured("fileData", "an image counts as vision input"), .honoured("functionCall"), .honoured("functionResponse"),
        .ignored("thoughtSignature"), .ignored("executableCode"), .ignored("codeExecutionResult"), .ignored("videoMetadata"),
        .ignored("partMetadata"), .ignored("mediaResolution"), .ignored("toolCall"), .ignored("toolResponse"),
        .ignored("speechMetadata"), .ignored("audioMetadata"), .ignored("audioTranscription"), .ignored("mediaProcessing"),
        .ignored("documentMetadata"), .ignored("spreadsheetMetadata"),
    ]

    private static let geminiContent: [Field] = [.honoured("role", "`user` or `model`"), .honoured("parts")]

    private static let generateContentObjects: [Object] = [
        Object("", [
            .honoured("contents", "the conversation; drives the reply and the input tokens"),
            .honoured("systemInstruction", "counted as input"),
            .honoured("tools", "`functionDeclarations`; other tools are accepted and not served"),
            .honoured("toolConfig", "`functionCallingConfig.mode` and `allowedFunctionNames`"),
            .honoured("generationConfig"),
            .ignored("model", "the path names the model"), .ignored("safetySettings"), .ignored("cachedContent"),
            .ignored("labels", "string values"), .ignored("serviceTier"), .ignored("store"), .ignored("continuationToken"),
        ]),
        Object("generationConfig", [
            .honoured("maxOutputTokens", "caps the reply"), .honoured("stopSequences"),
            .honoured("candidateCount", "1 only (400 otherwise)"),
            .honoured("responseMimeType", "`text/plain`, `text/x.enum` or `application/json`"),
            .honoured("responseSchema"), .honoured("responseJsonSchema"),
            .honoured("responseLogprobs", "needs the `logprobs` capability"), .honoured("logprobs", "0 to 20"),
            .honoured("thinkingConfig", "needs the `thinking` capability"),
            .ignored("temperature", "0 to 2"), .ignored("topP", "0 to 1"), .ignored("topK"),
            .ignored("presencePenalty"), .ignored("frequencyPenalty"), .ignored("seed"), .ignored("responseModalities"),
            .ignored("mediaResolution"), .ignored("speechConfig"), .ignored("imageConfig"),
            .ignored("enableEnhancedCivicAnswers"), .ignored("enableAffectiveDialog"), .ignored("responseJsonSchemaOrdered"),
            .ignored("audioTimestamp"), .ignored("routingConfig"), .ignored("modelSelectionConfig"),
            .ignored("audioTranscriptionConfig"),
        ]),
        Object("generationConfig.thinkingConfig", [
            .honoured("thinkingBudget", "-1 (dynamic) or more; 0 turns thinking off"), .honoured("thinkingLevel"),
            .ignored("includeThoughts"),
        ]),
        Object("toolConfig", [.honoured("functionCallingConfig"), .ignored("retrievalConfig"),
                              .ignored("includeServerSideToolInvocations")]),
        Object("toolConfig.functionCallingConfig", [.honoured("mode", "`AUTO`, `ANY`, `NONE`, `VALIDATED`"),
                                                    .honoured("allowedFunctionNames")]),
        Object("contents[]", geminiContent),
        Object("contents[].parts[]", geminiPart),
        Object("systemInstruction", geminiContent),
    ]

    /// `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`.
    static let gemini = RequestFields(
        title: "Gemini generateContent", routes: "`POST /{v1,v1beta}/models/{model}:generateContent`, `:streamGenerateContent`",
        dialect: .gemini, objects: generateContentObjects)

    /// `:countTokens`: `contents`, or a whole generateContent request under `generateContentRequest`.
    static let geminiCountTokens = RequestFields(
        title: "Gemini countTokens", routes: "`POST /{v1,v1beta}/models/{model}:countTokens`", dialect: .gemini,
        objects: [
            Object("", [.honoured("contents"), .honoured("generateContentRequest", "a generateContent body, checked against the generateContent table")]),
            Object("contents[]", geminiContent),
            Object("contents[].parts[]", geminiPart),
        ] + generateContentObjects.map { o in
            Object(o.path.isEmpty ? "generateContentRequest" : "generateContentRequest." + o.path, o.fields, inDocs: false)
        })
}
