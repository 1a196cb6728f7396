/// `POST /v1/images/generations` (JSON): OpenAI's image parameters plus the gateway's per-model
/// options. Worded as Chat Completions words an unknown argument. The multipart
/// `/v1/images/edits` is not checked (form fields are free-form there).
extension RequestFields {
    static let images = RequestFields(
        title: "Image generation", routes: "`POST /v1/images/generations`", dialect: .chat,
        objects: [Object("", [
            .honoured("model", "an image model of the catalog"), .honoured("prompt"),
            .honoured("n", "within the model's range"), .honoured("size", "the model's sizes, or `auto`"),
            .honoured("response_format", "`url` or `b64_json`"), .honoured("seed", "varies the picture"),
            .honoured("quality", "per model"), .honoured("style", "per model"), .honoured("output_format", "per model"),
            .honoured("background", "per model"), .honoured("negative_prompt", "per model"),
            .honoured("source_image", "per model (image-to-image)"), .honoured("aspect_ratio", "per model"),
            .ignored("moderation"), .ignored("output_compression"), .ignored("partial_images"),
            .ignored("stream", "answered as one JSON body"), .ignored("user"), .ignored("safety_identifier"),
            .ignored("complexity"), .ignored("frame_count"), .ignored("frame_duration_ms"), .ignored("svg"),
        ])])
}
