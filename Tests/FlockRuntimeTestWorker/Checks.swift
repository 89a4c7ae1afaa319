// How a scenario (main.swift) fails: a message and exit status 1.
import Foundation

/// Fails the scenario with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: String) {
    if !condition {
        print("check failed: \(message)")
        exit(1)
    }
}

/// Fails the scenario unless `error` says `text`.
func expectError(_ error: Error, _ text: String) {
    check("\(error)".contains(text), "expected an error saying \"\(text)\", got: \(error)")
}

/// Waits until `count` tasks of `kind` have begun (`noteStarted`), failing the scenario
/// after 20 s: a condition with a deadline, not a sleep.
func waitForStarted(_ kind: String, count: Int) async throws {
    guard let folder = ProcessInfo.processInfo.environment["FLOCK_TEST_STARTED"] else { return }
    let deadline = ContinuousClock.now + .seconds(20)
    func started() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("\(kind)-") }.count
    }
    while started() < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    check(started() >= count, "only \(started()) of \(count) \(kind) tasks started within 20 s")
}
