import HTTPCore

/// The gateway's endpoints.
enum Endpoint: Sendable, Equatable {
    case listModels
    case getModel(String)
    case controlHealth
}

/// Maps method and path to an endpoint: a flat table of path patterns built once, where
/// `{name}` matches one non-empty segment. A known path with the wrong method is a 405 with `Allow`.
struct Router: Sendable {
    private enum Segment: Sendable { case literal(String), parameter }
    private struct Route: Sendable {
        let segments: [Segment]
        let methods: [Method]
        let make: @Sendable ([String]) -> Endpoint
    }

    private let routes: [Route]

    init() {
        func route(_ pattern: String, _ methods: [Method], _ make: @escaping @Sendable ([String]) -> Endpoint) -> Route {
            let segs = pattern.split(separator: "/").map { $0.hasPrefix("{") ? Segment.parameter : .literal(String($0)) }
            return Route(segments: segs, methods: methods, make: make)
        }
        routes = [
            route("/v1/models", [.get, .head]) { _ in .listModels },
            route("/v1/models/{model}", [.get, .head]) { .getModel($0[0]) },
            route("/__mock/health", [.get, .head]) { _ in .controlHealth },
        ]
    }

    func match(_ method: Method, _ path: String) -> Result<Endpoint, GatewayError> {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [Method] = []
        for r in routes where r.segments.count == parts.count {
            var params: [String] = []
            var ok = true
            for (s, p) in zip(r.segments, parts) {
                switch s {
                case .literal(let l): if l != p { ok = false }
                case .parameter: params.append(Query.decode(p))
                }
                if !ok { break }
            }
            guard ok else { continue }
            if r.methods.contains(method) { return .success(r.make(params)) }
            allowed += r.methods
        }
        if !allowed.isEmpty { return .failure(.methodNotAllowed(allowed)) }
        return .failure(.notFound("no route for \(method.rawValue) \(path)"))
    }
}
