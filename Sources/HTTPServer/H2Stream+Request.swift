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
            head.removeAll()
            return
        }
        if name.first == UInt8(ascii: ":") {
            // Compared as bytes by length and one distinguishing byte: the library has checked
            // that a request's pseudo-headers are exactly :method, :scheme, :path, :authority
            // (and :protocol), so these bytes tell them apart.
            switch name.count {
            case 7 where name[1] == UInt8(ascii: "m"):  // :method
                head.set(.method, value)
                isHead = value.count == 4 && value[0] == 0x48 && value[1] == 0x45 && value[2] == 0x41 && value[3] == 0x44
            case 5 where name[1] == UInt8(ascii: "p"): head.set(.target, value)  // :path
            case 10 where name[1] == UInt8(ascii: "a"): head.set(.authority, value)  // :authority
            default: break  // :scheme, :protocol
            }
            return
        }
        if name.count == 14, name.elementsEqual("content-length".utf8) { return }  // the body arrives framed; the library checked it
        head.add(name: name, value: value)
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

    /// The request as the handler sees it on HTTP/1.1: the request the HTTP/1.1 head with these
    /// fields (`:authority` as `Host`) gives, with the same limits and checks. A head the shared
    /// parser takes as it is becomes the request directly (``DecodedHead``); any other is read by
    /// the parser, so its errors are the parser's. The body is the DATA received.
    func makeRequest() -> Result<Request, ParseError> {
        var limits = connection.context.config.parser
        limits.maxHeaderBytes = max(limits.maxHeaderBytes, connection.limits.maxHeaderListSize + head.authorityCount + 8)
        if var request = head.request(limits: limits) {
            request.body = body
            body = []
            return .success(request)
        }
        var parser = RequestParser(limits: limits)
        let result = parser.parse(head.http1Head())
        head.removeAll()
        switch result {
        case .request(var request, _):
            request.body = body
            body = []
            return .success(request)
        case .error(let e):
            return .failure(e)
        case .needMore:
            return .failure(.malformedRequestLine("incomplete request head"))
        }
    }
}
