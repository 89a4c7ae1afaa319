/// A submitted task as the head tracks it: its distinct inputs (each holding one reference
/// until the task ends), its runs so far, and why it was cancelled.
struct PendingTask: Equatable, Sendable {
    let submission: SubmittedTask
    let arguments: [UInt64]
    var attempts = 0
    var cancellation: RuntimeError?

    /// The head's record of `submission`, whose distinct inputs are `inputs`.
    init(_ submission: SubmittedTask, inputs: [UInt64]) {
        self.submission = submission
        arguments = inputs
    }

    var id: UInt64 { submission.id }
    var name: String { submission.name }
    var demand: Resources { submission.demand }
    var maxAttempts: Int { submission.maxAttempts }
}
