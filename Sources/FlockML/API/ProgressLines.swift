import Foundation

/// Where a long fit reports its progress: each line gets the time since the fit started
/// appended ("iteration 12/100: loss 0.4213, 1.52 s"), and goes to `sink`.
struct ProgressLines: Sendable {
    let sink: @Sendable (String) -> Void
    let started = ContinuousClock.now

    /// A line for an iterative fit's state just observed: "round r/max: `state` before
    /// the move", or "done after r rounds: `state`" once it has ended.
    func round(_ round: Int, of maxRounds: Int, finished: Bool, _ state: String) {
        line(
            finished ? "done after \(round) rounds: \(state)" : "round \(round)/\(maxRounds): \(state) before the move")
    }

    /// Reports `text` with the elapsed time.
    func line(_ text: String) {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        sink(text + String(format: ", %.2f s", seconds))
    }
}
