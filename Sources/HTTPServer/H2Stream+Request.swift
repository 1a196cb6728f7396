import CNghttp2
import HTTPCore

extension H2Stream {
    // MARK: receiving (inside the library's callbacks: record only)

    /// One header field. The library has already validated the field and the pseudo-headers
    /// (RFC 9113 §8.2-8.3); the list size is checked here against the advertised limit.
    func addField(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard !headComplete, rejection == nil else { return }  // trailers are not kept
        headerListSize += name.count + value.count + 32
        lastInput = connection.loop.now
        if headerListSize > connection.limits.maxHeaderListSize {
            rejection = .init(code: 431)
            fields = []
            return
        }
        if name.first == UInt8(ascii: ":") {
            switch String(decoding: name, as: UTF8.self) {
            case ":method": method = Array(value); isHead = method == Array("HEAD".utf8)
            case ":path": path = Array(value)
            case ":authority": authority = Array(value)
            default: break  // :scheme, :protocol
            }
            return
        }
        if name.elementsEqual("content-length".utf8) { return }  // the body arrives framed; the library checked it
        if name.elementsEqual("host".utf8) { hasHost = true }
        fields.append(contentsOf: name)
        fields.append(contentsOf: [0x3A, 0x20])
        fields.append(contentsOf: value)
        fields.append(contentsOf: [0x0D, 0x0A])
    }

    /// Request body bytes; false once the body is over the limit (the rest is discarded).
    func appendBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        lastInput = connection.loop.now
        guard rejection == nil else { return true }
        if body.count + bytes.count > connection.context.config.parser.maxBodyBytes {
            rejection = .init(code: 413)
            body = []
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    // MARK: dispatch (from the pump)

    /// Hands the complete request to the handler, or answers a rejected one with the handler's
    /// error body (``HTTPHandler/protocolErrorResponse(status:message:)``), as HTTP/1.1 would.
    func dispatch() {
        cancelRequestDeadline()
        guard !finished, !closed else { return }
        if let status = rejection {
            resetAfterResponse = !closed
            let message = switch status.code {
            case 413: "request body is too large"
            case 408: "request was not received in time"
            default: "request header list is too large"
            }
            return reject(status, message)
        }
        switch makeRequest() {
        case .success(let request):
            connection.context.handler.handle(request, responder: Responder(stream: self))
        case .failure(let error):
            reject(error.status, error.message)
        }
    }

    private func reject(_ status: Status, _ message: String) {
        let r = connection.context.handler.protocolErrorResponse(status: status, message: message)
        complete(status: r.status, body: r.body) { appendHeaders(r.headers, to: &$0) }
    }

    /// The request as the handler sees it on HTTP/1.1: the head is written as an HTTP/1.1 head
    /// (`:authority` as `Host`) and read by the same parser, so the same limits and checks apply;
    /// the body is the DATA received.
    func makeRequest() -> Result<Request, ParseError> {
        var head: [UInt8] = []
        head.reserveCapacity(method.count + path.count + authority.count + fields.count + 32)
        head.append(contentsOf: method)
        head.append(0x20)
        head.append(contentsOf: path)
        head.append(contentsOf: " HTTP/1.1\r\n".utf8)
        if !hasHost, !authority.isEmpty {
            head.append(contentsOf: "host: ".utf8)
            head.append(contentsOf: authority)
            head.append(contentsOf: [0x0D, 0x0A])
        }
        head.append(contentsOf: fields)
        head.append(contentsOf: [0x0D, 0x0A])
        var limits = connection.context.config.parser
        limits.maxHeaderBytes = max(limits.maxHeaderBytes, connection.limits.maxHeaderListSize + authority.count + 8)
        var parser = RequestParser(limits: limits)
        switch parser.parse(head) {
        case .request(var request, _):
            request.body = body
            body = []
            fields = []
            return .success(request)
        case .error(let e):
            return .failure(e)
        case .needMore:
            return .failure(.malformedRequestLine("incomplete request head"))
        }
    }
}
