import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLSession on Linux
#endif

/// A minimal client for an OpenAI-compatible `/v1/chat/completions`: the code this example tests.
///
/// A value; each call is independent, so it is Sendable.
public struct ChatClient: Sendable {
    public var baseURL: URL
    public var apiKey: String

    public init(baseURL: URL, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    /// What a failed call reports: the HTTP status and the error message of the body.
    public struct Failure: Error, Equatable {
        public var status: Int
        public var message: String
    }

    /// Sends one user message and returns the assistant's text.
    public func complete(model: String, prompt: String) async throws -> String {
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/chat/completions"))
        request.httpMethod = "POST"
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONEncoder().encode(
            ChatRequest(model: model, messages: [ChatRequest.Message(role: "user", content: prompt)]))
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message
            throw Failure(status: status, message: message ?? String(decoding: data, as: UTF8.self))
        }
        return try JSONDecoder().decode(ChatResponse.self, from: data).choices.first?.message.content ?? ""
    }
}

struct ChatRequest: Encodable {
    struct Message: Codable { var role: String; var content: String }
    var model: String
    var messages: [Message]
}

struct ChatResponse: Decodable {
    struct Choice: Decodable { var message: ChatRequest.Message }
    var choices: [Choice]
}

struct ErrorBody: Decodable {
    struct Detail: Decodable { var message: String }
    var error: Detail
}
