/// What `flock status` and `flock stop` ask a daemon, and its answers, as JSON frames with
/// opcode 34 (`JSONMessage`): one question per connection, so no request numbers.
enum ControlMessage: JSONMessage {
    /// `flock status` -> daemon, and its answer.
    case status
    case statusReply(DaemonStatus)
    /// `flock stop` -> daemon: end every job and exit; and its acknowledgement.
    case stop
    case stopping

    static let opcode: UInt8 = 34
    static let name = "a control message"
}
