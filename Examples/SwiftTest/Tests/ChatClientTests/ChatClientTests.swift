import BytespikeMock
import ChatClient
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The chat client against a real mock gateway, started in this process on a free port.
/// Swift Testing makes an instance per test, so each test has its own mock (and its own reply
/// rules, journal and wallets), and the tests may run in parallel.
@Suite final class ChatClientTests {
    let mock: MockServer
    let baseURL: URL

    init() throws {
        mock = try MockServer.start(MockOptions(port: 0))
        baseURL = URL(string: mock.baseURL)!
    }

    deinit { mock.stop() }

    /// A key from the mock's built-in fixtures.
    let key = "sk-byts-default-test-key-0001"

    @Test func startsOnAFreePort() {
        #expect(mock.port > 0)
        #expect(mock.baseURL == "http://127.0.0.1:\(mock.port)")
    }

    @Test func completion_returnsTheScriptedReply() async throws {
        // Script the reply through the mock's control API, as a test of an app would.
        var rule = URLRequest(url: baseURL.appendingPathComponent("__mock/replies"))
        rule.httpMethod = "POST"
        rule.httpBody = Data(#"{"id":"hi","match":{"contains":"hello"},"reply":{"text":"Hi there!"}}"#.utf8)
        let (_, added) = try await URLSession.shared.data(for: rule)
        #expect((added as? HTTPURLResponse)?.statusCode == 200)

        let client = ChatClient(baseURL: baseURL, apiKey: key)
        let text = try await client.complete(model: "gpt-5-4-mini", prompt: "hello from Swift")
        #expect(text == "Hi there!")
    }

    @Test func completion_defaultReplyIsDeterministic() async throws {
        let client = ChatClient(baseURL: baseURL, apiKey: key)
        let first = try await client.complete(model: "gpt-5-4-mini", prompt: "Say something")
        let second = try await client.complete(model: "gpt-5-4-mini", prompt: "Say something")
        #expect(!first.isEmpty)
        #expect(first == second)
    }

    @Test func completion_withAnUnknownKeyFailsWith401() async throws {
        let client = ChatClient(baseURL: baseURL, apiKey: "sk-byts-not-a-key")
        let error = await #expect(throws: ChatClient.Failure.self) {
            _ = try await client.complete(model: "gpt-5-4-mini", prompt: "hello")
        }
        #expect(error?.status == 401)
        #expect(error?.message == "invalid bearer token in Authorization")
    }
}
