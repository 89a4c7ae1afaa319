import FlockComm
import FlockNN
import FlockTensor
import FlockTrain
import Foundation
import Testing

/// DDP's behaviour that one process can show (a group of one rank); agreement across
/// ranks is in LaunchTests.
@Suite("DistributedDataParallel in one process")
struct DataParallelTests {
    /// A one-rank group with its own store.
    static func singleRankGroup() throws -> (RendezvousServer, ProcessGroup) {
        let token = UUID().uuidString
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        let store = try RendezvousStore(host: "127.0.0.1", port: server.port, token: token)
        return (server, try ProcessGroup(store: store, rank: 0, worldSize: 1, token: token, name: "ddp-test"))
    }

    /// Linear(3, 2) then a second Linear(3, 2) used only when `both`.
    final class TwoHeads: Module {
        let first = Linear(3, 2)
        let second = Linear(3, 2)
        var both = true
        override func forward(_ input: Variable) throws -> Variable {
            both ? try first(input) + second(input) : try first(input)
        }
    }

    @Test("a parameter the output does not reach is named in a clear error, or averaged as zero when allowed")
    func unusedParameters() throws {
        let (server, group) = try Self.singleRankGroup()
        defer { server.stop() }
        let model = TwoHeads()
        model.both = false
        let strict = try DistributedDataParallel(model, group: group)
        #expect {
            _ = try strict(Tensor.ones([4, 3]))
        } throws: { error in
            "\(error)".contains("second.weight") && "\(error)".contains("allowUnusedParameters")
        }
        let lenient = try DistributedDataParallel(TwoHeads(), group: group, allowUnusedParameters: true)
        (lenient.module as? TwoHeads)?.both = false
        try lenient(Tensor.ones([4, 3])).sum().backward()
        let second = try #require(lenient.module as? TwoHeads).second
        #expect(second.weight.grad.map { $0.doubleScalars().allSatisfy { $0 == 0 } } == true)
    }

    @Test("noSync accumulates locally; the next synchronized pass averages the sum")
    func noSyncAccumulates() throws {
        let (server, group) = try Self.singleRankGroup()
        defer { server.stop() }
        let ddp = try DistributedDataParallel(Linear(3, 1), group: group)
        let input = try Tensor([Float(1), 2, 3], shape: [1, 3])
        try ddp.noSync { try ddp(input).sum().backward() }
        try ddp(input).sum().backward()
        let weight = try #require(ddp.module.parameters().first?.grad)
        #expect(weight.doubleScalars() == [2, 4, 6])
    }

    @Test("a forward without a backward in between is reported on the next forward")
    func unfinishedReduction() throws {
        let (server, group) = try Self.singleRankGroup()
        defer { server.stop() }
        let ddp = try DistributedDataParallel(Linear(3, 1), group: group)
        _ = try ddp(Tensor.ones([2, 3]))
        #expect(throws: DataParallelError.self) { _ = try ddp(Tensor.ones([2, 3])) }
    }
}
