import HTTPCore
import Testing
@testable import BytespikeMock

/// The task timeline as a pure function of the task and the clock: steps, failure points,
/// cancels, billing per policy, and the query object.
@Suite struct MediaTaskTests {
    static let fixtures = try! FixtureLoader.load()

    static func task(_ model: String = "sora-2", seconds: Int = 8, queue: Int = 5_000, render: Int = 90_000) -> MediaTask {
        let m = Self.fixtures.models.first { $0.id == model }!
        var t = MediaTask(id: "task_X", outTaskID: nil, model: m, shape: .params, identity: [], prompt: "p", seed: 1, keyID: "k",
                          accountID: "a", session: "", submittedAt: 1_000_000, queueMillis: queue, renderMillis: render,
                          estimated: .zero, callbackSecret: "s", base: "http://h")
        t.seconds = seconds
        t.resolution = "720p"
        return t
    }

    @Test func plan_walksPendingRunningStepsThenCompleted() {
        let t = Self.task()
        let plan = t.plan
        #expect(plan.count == 1 + 1 + 9 + 1)
        #expect(plan[0] == .init(at: 1_000_000, status: .pending, progress: 0))
        #expect(plan[1] == .init(at: 1_005_000, status: .running, progress: 0))
        #expect(plan[2] == .init(at: 1_014_000, status: .running, progress: 10))
        #expect(plan[10] == .init(at: 1_086_000, status: .running, progress: 90))
        #expect(plan[11] == .init(at: 1_095_000, status: .completed, progress: 100))
        #expect(t.steps(at: 1_004_999).map(\.status) == [.pending])
        #expect(t.steps(at: 1_005_000).last == plan[1])
        #expect(t.steps(at: 999_000).count == 1, "the first step is always visible")
        #expect(t.nextStep(after: 1_005_000) == 1_014_000)
        #expect(t.nextStep(after: 1_095_000) == nil)
    }

    @Test func failure_cutsThePlanAtItsPoint() {
        var t = Self.task()
        t.failure = (30, "render_failed", "boom")
        #expect(t.plan.map(\.progress) == [0, 0, 10, 20, 30])
        #expect(t.plan.last == .init(at: 1_005_000 + 27_000, status: .failed, progress: 30))
        t.failure = (-1, "x", "y")
        #expect(t.plan.map(\.status) == [.pending, .failed])
        t.failure = (0, "x", "y")
        #expect(t.plan.map(\.status) == [.pending, .failed], "failing at 0 % fails as it starts")
        #expect(t.credits(for: t.plan.last!) == .zero)
    }

    @Test func endsAt_isTheLastStepOfThePlan() {
        var t = Self.task()
        #expect(t.endsAt == t.plan.last!.at)
        for at in [-1, 0, 30, 99] {
            t.failure = (at, "c", "m")
            #expect(t.endsAt == t.plan.last!.at, "fail at \(at)")
        }
        t.cancelledAt = 1_002_000
        #expect(t.endsAt == 1_002_000)
        #expect(t.steps(at: 1_002_000).last?.status == .cancelled)
    }

    @Test func cancel_endsTheStepsAndBillsPerPolicy() {
        var t = Self.task(seconds: 8)  // sora-2: $0.10 per second
        t.cancelledAt = 1_041_000
        t.cancelledProgress = 40
        let steps = t.steps(at: 2_000_000)
        #expect(steps.last == .init(at: 1_041_000, status: .cancelled, progress: 40))
        #expect(steps.dropLast().last?.progress == 40)
        #expect(t.nextStep(after: 1_041_000) == nil)
        #expect(t.credits(for: steps.last!) == Credits(micros: 300_000), "partial: floor(8 × 40%) = 3 s")
        #expect(t.usage(for: steps.last!).videoSeconds == 3)
        t.cancelBilling = .free
        #expect(t.credits(for: steps.last!) == .zero)
        t.cancelBilling = .full
        #expect(t.credits(for: steps.last!) == Credits(micros: 800_000))
        // Cancelled in the queue: free under every policy but `full`.
        t.cancelBilling = .partial
        t.cancelledProgress = 0
        #expect(t.credits(for: .init(at: 1_001_000, status: .cancelled, progress: 0)) == .zero)
        #expect(t.credits(for: t.plan.last!) == Credits(micros: 800_000), "completed: 8 s × $0.10")
    }

    @Test func encode_carriesEveryShapesFields() throws {
        var t = Self.task(seconds: 4)
        t.shape = .flat
        t.outTaskID = "mine"
        let pending = try JSONParser.parse(t.encode(t.plan[0], base: t.base))
        #expect(pending["status"] == .string("queued"))
        #expect(pending["out_task_id"] == .string("mine"))
        #expect(pending["started_at"] == .null, "present and null while queued")
        #expect(pending["estimated_seconds"] == .int(95))
        t.files = [FileStore.Entry(name: "vid_1.mp4", recipe: .mp4(width: 320, height: 180, seconds: 4, seed: 1), accountID: "a",
                                   session: "", expiresAt: 86_400)]
        let done = try JSONParser.parse(t.encode(t.plan.last!, base: t.base))
        #expect(done["status"] == .string("completed"))
        #expect(done["result_url"] == .string("http://h/files/vid_1.mp4"))
        #expect(done["result"]?["video_url"] == .string("http://h/files/vid_1.mp4"))
        #expect(done["output"] != nil)
        #expect(done["credits_used"]?.number == 0.4)
        #expect(done["credits"]?.number == 0.4)
        #expect(done["completed_at"] == .string(Timestamp.format(1_095)))
        #expect(MediaTask.seconds(9_500) == "9.5")
    }

    @Test func canonicalJSON_ignoresMemberOrder() throws {
        guard case .object(let a) = try JSONParser.parse(Array(#"{"b":1,"a":{"y":[1,{"q":2,"p":3}],"x":null}}"#.utf8)),
              case .object(let b) = try JSONParser.parse(Array(#"{"a":{"x":null,"y":[1,{"p":3,"q":2}]},"b":1}"#.utf8)) else {
            Issue.record("not objects"); return
        }
        let ca = canonicalJSON(Array(zip(a.keys, a.values))), cb = canonicalJSON(Array(zip(b.keys, b.values)))
        #expect(ca == cb)
        #expect(String(decoding: ca, as: UTF8.self) == #"{"a":{"x":null,"y":[1,{"p":3,"q":2}]},"b":1}"#)
    }

    @Test func byteRange_parsesTheForms() {
        #expect(Gateway.byteRange("bytes=0-9", size: 100) == .part(0, 9))
        #expect(Gateway.byteRange("bytes=90-", size: 100) == .part(90, 99))
        #expect(Gateway.byteRange("bytes=-10", size: 100) == .part(90, 99))
        #expect(Gateway.byteRange("bytes=50-500", size: 100) == .part(50, 99))
        #expect(Gateway.byteRange("bytes=100-", size: 100) == .unsatisfiable)
        #expect(Gateway.byteRange("bytes=9-2", size: 100) == .unsatisfiable)
        #expect(Gateway.byteRange("bytes=x", size: 100) == .unsatisfiable)
        #expect(Gateway.byteRange("bytes=0-1,4-5", size: 100) == .whole, "several ranges: the whole file")
        #expect(Gateway.byteRange("items=0-1", size: 100) == .whole, "an unknown unit is ignored")
    }
}
