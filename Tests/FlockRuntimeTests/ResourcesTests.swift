import Testing

@testable import FlockRuntime

@Suite("Resources")
struct ResourcesTests {
    @Test("a demand fits free resources that cover every amount, and free amounts add and subtract")
    func fits() {
        let offer = Resources(cpus: 2, memoryBytes: 1 << 30, custom: ["gpu": 1])
        #expect(Resources.none.fits(in: .none) && Resources.none.isNone)
        #expect(Resources(cpus: 2, custom: ["gpu": 1]).fits(in: offer))
        #expect(!Resources(cpus: 2.5).fits(in: offer))
        #expect(!Resources(memoryBytes: 2 << 30).fits(in: offer))
        #expect(!Resources(custom: ["tpu": 0.5]).fits(in: offer))
        let used = offer.adding(Resources(cpus: 1.5, custom: ["gpu": 1]), sign: -1)
        #expect(Resources(cpus: 0.5).fits(in: used) && !Resources(custom: ["gpu": 1]).fits(in: used))
        #expect(used.adding(Resources(cpus: 1.5, custom: ["gpu": 1])) == offer)
        #expect(Resources(cpus: 1, custom: ["gpu": 2]).description == "1.0 CPU, 2.0 gpu")
    }

    @Test("a worker's offer survives the wire")
    func wire() throws {
        let message = TaskMessage.workerReady(index: 3, node: 2, resources: Resources(cpus: 1, custom: ["gpu": 1]))
        #expect(try TaskMessage(message.frame, peer: "test") == message)
    }
}
