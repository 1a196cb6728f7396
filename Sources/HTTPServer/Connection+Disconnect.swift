import HTTPCore

/// Deliberate teardown (fault injection): ``Responder/disconnect(_:after:)``,
/// ``ResponseStream/disconnect(_:)`` and ``HTTPHandler/acceptFault(peer:)``.
///
/// One path for all three: the request stops being in flight, its timers are cancelled, input is
/// discarded from then on, and `closeAfterFlush` makes ``flush()`` close once every queued byte
/// has been handed to the kernel. ``close(graceful:)`` reads `disconnecting`: `.close` takes the
/// half-close-and-drain path (the client sees FIN, never a reset caused by unread input),
/// `.reset` closes abortively. The write-stall deadline still bounds a peer that never reads,
/// and `close` runs once (it deregisters and closes the fd exactly once), so every entry point
/// here is idempotent and a no-op after the client already went away.
extension Connection {
    /// Answers the in-flight request `token` with no HTTP response: `bytes` verbatim, then the
    /// teardown. An open stream of that request is cut too, without its `onClose`.
    func disconnect(token: UInt64, how: Disconnect, after bytes: [UInt8]) {
        guard let f = inFlight, f.token == token, !closed, disconnecting == nil else { return }
        if let s = stream {
            stream = nil
            s.detach()
        }
        beginDisconnect(how, after: bytes)
    }

    /// Cuts the stream `s` mid-body: what it wrote is flushed first, no terminating chunk.
    func streamDisconnect(_ s: ResponseStream, how: Disconnect) {
        guard stream === s, !closed, inFlight != nil, disconnecting == nil else { return }
        stream = nil
        beginDisconnect(how, after: [])
    }

    /// A fault at accept time: nothing was read and nothing is written. Called right after the
    /// connection registered with the loop (so `.close` can linger and drain like any close).
    func dropAtAccept(_ how: Disconnect) {
        disconnecting = how
        closeAfterFlush = true
        close(graceful: true)  // `.reset` is never graceful: see `close(graceful:)`
    }

    private func beginDisconnect(_ how: Disconnect, after bytes: [UInt8]) {
        inFlight = nil
        cancelRequestTimers()
        machine.responseEnded()
        disconnecting = how
        closeAfterFlush = true
        inStart = 0  // pipelined requests behind this one are never served
        inEnd = 0
        enqueue(bytes)
        if !processing {  // inside `processInput`, its own flush follows the dispatch
            flush()
            processInput()
        }
    }
}
