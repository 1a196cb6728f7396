import HTTPCore

/// The `error.code` of a failed response (`response.failed`, and a stored failed response).
///
/// The `openai` SDK types `ResponseError.code` as a closed list; a code outside it still parses
/// (the SDK does not validate), but code that switches over the list never matches it. So every
/// failure is spelled with a code from that list, the same for an injected fault and a scripted
/// reply rule: 429 is `rate_limit_exceeded`, any other status `server_error`, unless the error
/// already carries a listed code (`invalid_prompt`, an image code).
extension ResponsesCodec {
    /// The codes `openai.types.responses.ResponseError.code` lists (openai 3.54).
    static let failureCodes: Set<String> = [
        "server_error", "rate_limit_exceeded", "invalid_prompt", "data_residency_mismatch", "bio_policy",
        "misalignment_policy_violation", "vector_store_timeout", "invalid_image", "invalid_image_format",
        "invalid_base64_image", "invalid_image_url", "image_too_large", "image_too_small", "image_parse_error",
        "image_content_policy_violation", "invalid_image_mode", "image_file_too_large",
        "unsupported_image_media_type", "empty_image_file", "failed_to_download_image", "image_file_not_found",
    ]

    /// The listed code for `error`.
    static func failureCode(_ error: GatewayError) -> String {
        if let code = error.code, failureCodes.contains(code) { return code }
        return error.status.code == 429 ? "rate_limit_exceeded" : "server_error"
    }
}
