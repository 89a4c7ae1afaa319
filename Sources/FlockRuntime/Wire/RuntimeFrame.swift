import FlockComm

extension Frame {
    /// A frame of kind `.runtime` (the runtime's messages) with `opcode` and `payload`.
    init(runtime opcode: UInt8, payload: [UInt8]) {
        self.init(FrameHeader(kind: .runtime, opcode: opcode), payload: payload)
    }

    /// This runtime frame's opcode as one of `Opcode`'s cases.
    /// - Throws: `CommError.badFrame` naming `expected` when the frame is of another kind or
    ///   opcode.
    func runtimeOpcode<Opcode: RawRepresentable<UInt8>>(_: Opcode.Type, expected: String, peer: String) throws
        -> Opcode
    {
        guard header.kind == .runtime, let opcode = Opcode(rawValue: header.opcode) else {
            throw CommError.badFrame(peer: peer, reason: "not \(expected): \(header.kind) opcode \(header.opcode)")
        }
        return opcode
    }
}
