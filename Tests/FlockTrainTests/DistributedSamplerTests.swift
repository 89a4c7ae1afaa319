import FlockNN
import FlockTensor
import FlockTrain
import Testing

@Suite("DistributedSampler")
struct DistributedSamplerTests {
    func shards(count: Int, world: Int, epoch: Int, dropLast: Bool = false) throws -> [[Int]] {
        try (0..<world).map {
            try DistributedSampler(datasetCount: count, rank: $0, worldSize: world, seed: 3, dropLast: dropLast)
                .indices(epoch: epoch)
        }
    }

    @Test("shards are disjoint, equal in size and cover the epoch (padded with its first samples)")
    func coverage() throws {
        for (count, world) in [(10, 3), (12, 4), (7, 7), (5, 8), (100, 1)] {
            let parts = try shards(count: count, world: world, epoch: 1)
            let size = (count + world - 1) / world
            #expect(parts.allSatisfy { $0.count == size })
            let all = parts.flatMap { $0 }
            #expect(Set(all) == Set(0..<count), "\(count) over \(world)")
            // Only the padding repeats.
            #expect(all.count - Set(all).count == size * world - count)
        }
    }

    @Test("dropLast drops the tail instead: disjoint, every sample at most once")
    func dropLast() throws {
        let parts = try shards(count: 10, world: 3, epoch: 0, dropLast: true)
        #expect(parts.allSatisfy { $0.count == 3 })
        let all = parts.flatMap { $0 }
        #expect(Set(all).count == 9)
    }

    @Test("each epoch reshuffles; the same seed and epoch give the same order everywhere")
    func reshuffles() throws {
        let first = try shards(count: 50, world: 2, epoch: 0)
        #expect(try shards(count: 50, world: 2, epoch: 0) == first)
        #expect(try shards(count: 50, world: 2, epoch: 1) != first)
    }

    @Test("a shard resumes mid-epoch and maps its positions into the dataset")
    func shardSkipsAndMaps() throws {
        let features = try Tensor((0..<20).map { Float($0) }, shape: [20, 1])
        let data = try TensorDataset(features: features, labels: Tensor((0..<20).map { Int64($0) }, shape: [20]))
        let sampler = try DistributedSampler(datasetCount: 20, rank: 1, worldSize: 2, seed: 9)
        let order = sampler.indices(epoch: 4)
        let shard = sampler.shard(of: data, epoch: 4, skipping: 6)
        #expect(shard.count == 4)
        let batch = try shard.batch(Tensor([Int64(0), 3], shape: [2]))
        #expect(try batch.labels.scalars(as: Int64.self) == [Int64(order[6]), Int64(order[9])])
        #expect(throws: ModuleError.self) { try shard.batch(Tensor([Int64(4)], shape: [1])) }
    }

    @Test("a rank outside the world is refused")
    func badRank() {
        #expect(throws: ModuleError.self) { try DistributedSampler(datasetCount: 10, rank: 2, worldSize: 2) }
    }
}
