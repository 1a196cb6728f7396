import Testing
@testable import HTTPServer

/// The timing rules of a connection, driven by a fake clock (plain integers): no sockets, no sleeping.
@Suite struct ConnectionStateMachineTests {
    let t = ConnectionStateMachine.Timeouts(header: 10, body: 30, idle: 60, write: 20)

    @Test func newConnection_closesQuietlyWhenNothingArrives() {
        let m = ConnectionStateMachine(timeouts: t, now: 100)
        #expect(m.phase == .idle)
        #expect(m.deadline == 110)
        #expect(m.timeoutAction(now: 109) == .none)
        #expect(m.timeoutAction(now: 110) == .close)
    }

    /// The header deadline runs from the first byte and does not move with later bytes (slowloris).
    @Test func partialHead_getsRequestTimeoutAtTheHeaderDeadline() {
        var m = ConnectionStateMachine(timeouts: t, now: 0)
        m.outputDrained(now: 0, responseComplete: true)  // first response done: idle keep-alive
        m.headBytesArrived(now: 5)
        #expect(m.phase == .readingHead)
        #expect(m.deadline == 15)
        m.headBytesArrived(now: 14)
        #expect(m.deadline == 15)
        #expect(m.timeoutAction(now: 14) == .none)
        #expect(m.timeoutAction(now: 15) == .requestTimeout)
    }

    /// The body deadline is a stall timer: each arrival moves it.
    @Test func body_stallTimerMovesWithProgress() {
        var m = ConnectionStateMachine(timeouts: t, now: 0)
        m.headBytesArrived(now: 1)
        m.bodyBytesArrived(now: 2)
        #expect(m.phase == .readingBody)
        #expect(m.deadline == 32)
        m.bodyBytesArrived(now: 30)
        #expect(m.deadline == 60)
        #expect(m.timeoutAction(now: 59) == .none)
        #expect(m.timeoutAction(now: 60) == .requestTimeout)
    }

    @Test func processing_hasNoDeadline() {
        var m = ConnectionStateMachine(timeouts: t, now: 0)
        m.requestDispatched()
        #expect(m.phase == .processing)
        #expect(m.deadline == nil)
        #expect(m.timeoutAction(now: 1_000_000) == .none)
    }

    /// A stalled reader is cut at the write deadline; progress moves it.
    @Test func writing_stallClosesAndProgressExtends() {
        var m = ConnectionStateMachine(timeouts: t, now: 0)
        m.requestDispatched()
        m.outputBlocked(now: 10)
        #expect(m.phase == .writing)
        #expect(m.deadline == 30)
        m.outputBlocked(now: 25)
        #expect(m.deadline == 45)
        #expect(m.timeoutAction(now: 45) == .close)
    }

    /// After a complete response the connection idles with the keep-alive timeout.
    @Test func drainedCompleteResponse_returnsToIdle() {
        var m = ConnectionStateMachine(timeouts: t, now: 0)
        m.requestDispatched()
        m.responseEnded()
        m.outputDrained(now: 7, responseComplete: true)
        #expect(m.phase == .idle)
        #expect(m.deadline == 67)
        #expect(m.timeoutAction(now: 67) == .close)
    }

    /// While a stream is open, a drained buffer means waiting on the producer: no deadline.
    @Test func drainedOpenStream_returnsToProcessing() {
        var m = ConnectionStateMachine(timeouts: t, now: 0)
        m.requestDispatched()
        m.outputBlocked(now: 1)
        m.outputDrained(now: 2, responseComplete: false)
        #expect(m.phase == .processing)
        #expect(m.deadline == nil)
    }
}
