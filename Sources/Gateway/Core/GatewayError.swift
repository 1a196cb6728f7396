import HTTPCore

/// One error, rendered by each surface into its own envelope and status.
public struct GatewayError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case invalidRequest, authentication, payment, permission, notFound, methodNotAllowed
        case requestTooLarge, rateLimited, internalError, overloaded
    }

    public var kind: Kind
    public var status: Status
    public var message: String
    /// Machine-readable code (`invalid_api_key`, `model_not_in_group`, …), OpenAI's `code`.
    public var code: String?
    /// The offending request field, where the protocol reports one.
    public var param: String?
    /// Extra response headers (`Allow`, `Retry-After`, …).
    public var headers: HeaderList

    public init(_ kind: Kind, status: Status, message: String, code: String? = nil, param: String? = nil,
                headers: HeaderList = HeaderList()) {
        self.kind = kind
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers
    }

    /// An error for an arbitrary HTTP status (scripted replies, faults), its kind derived from
    /// the status so every surface renders it with the matching error type.
    public init(status code: Int, message: String, code errorCode: String? = nil) {
        let kind: Kind = switch code {
        case 401: .authentication
        case 402: .payment
        case 403: .permission
        case 404: .notFound
        case 413: .requestTooLarge
        case 429: .rateLimited
        case 503, 529: .overloaded
        case 500...: .internalError
        default: .invalidRequest
        }
        self.init(kind, status: Status(code: code), message: message, code: errorCode)
    }

    public static func unauthorized(_ message: String, code: String = "invalid_api_key") -> GatewayError {
        GatewayError(.authentication, status: .unauthorized, message: message, code: code)
    }

    public static func forbidden(_ message: String, code: String = "permission_denied") -> GatewayError {
        GatewayError(.permission, status: .forbidden, message: message, code: code)
    }

    public static func notFound(_ message: String, code: String = "not_found") -> GatewayError {
        GatewayError(.notFound, status: .notFound, message: message, code: code)
    }

    public static func badRequest(_ message: String, code: String = "invalid_param", param: String? = nil) -> GatewayError {
        GatewayError(.invalidRequest, status: .badRequest, message: message, code: code, param: param)
    }

    public static func methodNotAllowed(_ allowed: [Method]) -> GatewayError {
        GatewayError(.methodNotAllowed, status: .methodNotAllowed,
                     message: "method not allowed; use \(allowed.map(\.rawValue).joined(separator: ", "))",
                     code: "method_not_allowed",
                     headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")])
    }

    /// The `error.type` both the Anthropic and the gateway's OpenAI-shaped envelopes carry.
    public var typeName: String {
        switch kind {
        case .invalidRequest, .methodNotAllowed: "invalid_request_error"
        case .authentication: "authentication_error"
        case .payment: "billing_error"
        case .permission: "permission_error"
        case .notFound: "not_found_error"
        case .requestTooLarge: "request_too_large"
        case .rateLimited: "rate_limit_error"
        case .internalError: "api_error"
        case .overloaded: "overloaded_error"
        }
    }
}
