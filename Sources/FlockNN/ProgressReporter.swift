import Foundation

/// Shows training progress the way people expect: on a terminal, one line rewritten in
/// place (epoch, step, loss, throughput, ETA); otherwise (logs, CI) one plain line per
/// epoch.
public final class ProgressReporter {
    private let totalEpochs: Int
    private let stepsPerEpoch: Int
    private let interactive: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var samples = 0

    /// Creates a reporter for `epochs` of `stepsPerEpoch` steps; `interactive` defaults to
    /// whether standard output is a terminal.
    public init(epochs: Int, stepsPerEpoch: Int, interactive: Bool = isatty(STDOUT_FILENO) != 0) {
        totalEpochs = epochs
        self.stepsPerEpoch = max(stepsPerEpoch, 1)
        self.interactive = interactive
    }

    /// Records a finished step of `batchSize` samples with its loss.
    public func step(epoch: Int, step: Int, loss: Double, batchSize: Int) {
        samples += batchSize
        guard interactive, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        let line = status(epoch: epoch, step: step, loss: loss)
        print("\r\(line)\u{1B}[K", terminator: "")
        fflush(nil)
    }

    /// Reports the end of an epoch with a summary (a line of its own in both modes).
    public func endEpoch(_ epoch: Int, loss: Double, summary: String = "") {
        let line = status(epoch: epoch, step: stepsPerEpoch, loss: loss) + (summary.isEmpty ? "" : "  " + summary)
        print(interactive ? "\r\(line)\u{1B}[K" : line)
        fflush(nil)
    }

    private func status(epoch: Int, step: Int, loss: Double) -> String {
        let elapsed = Date().timeIntervalSince(start)
        let done = Double((epoch - 1) * stepsPerEpoch + step) / Double(totalEpochs * stepsPerEpoch)
        let remaining = done > 0 ? elapsed * (1 - done) / done : 0
        let rate = elapsed > 0 ? Double(samples) / elapsed : 0
        return String(
            format: "epoch %d/%d  step %d/%d  loss %.4f  %.0f samples/s  ETA %d:%02d",
            epoch, totalEpochs, step, stepsPerEpoch, loss, rate, Int(remaining) / 60, Int(remaining) % 60)
    }
}
