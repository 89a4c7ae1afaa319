import FlockData
import FlockRuntime

/// Computes a statistic of each block of one shard's rows in a worker (the shard's rows
/// kept there for the next iteration, `ShardCache`) and returns the blocks' statistics in
/// order, for the driver to merge in the fixed tree.
struct ShardStatisticTask<Statistic: BlockStatistic>: RemoteTask {
    let shard: RowShard
    let statistic: Statistic

    /// The blocks' statistics, as `FlatList` values.
    func run() async throws -> [Double] {
        FlatList.encode(statistic.partials(try await ShardCache.shared.rows(of: shard)))
    }
}

/// Counts the rows of one persisted partition in a worker, decoding the columns a fit
/// reads (which keeps them there for the fit's tasks).
struct PartitionRowsTask: RemoteTask {
    let object: ObjectRef<[UInt8]>
    let columns: [String]

    func run() async throws -> Int {
        do {
            return try await PartitionedTable.read(object, columns: columns).rowCount
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
    }
}

/// The task and actor types a program that fits FlockML estimators on a cluster registers
/// with its own (FlockData's included):
/// `TaskRegistry(myTasks + MLTasks.all, actors: myActors + MLTasks.actors)`.
public enum MLTasks {
    /// FlockML's remote tasks and FlockData's.
    public static let all: [any RemoteTask.Type] =
        [
            PartitionRowsTask.self, ShardStatisticTask<MomentsStatistic>.self, ShardStatisticTask<ClassSummary>.self,
            ShardStatisticTask<SoftmaxGradient>.self, ShardStatisticTask<ClusterAssignment>.self,
            ShardStatisticTask<CandidatePass>.self, ShardStatisticTask<ClassConditionalSums>.self,
            ShardStatisticTask<MixtureStep>.self, ShardStatisticTask<HingeGradient>.self,
            ShardStatisticTask<ColumnRanges>.self, BoostingSampleTask.self, BoostingShardLoadTask.self,
        ] + DataTasks.all

    /// FlockML's actors (boosting's shards, `BoostingShard`).
    public static let actors: [any ClusterActor.Type] = [BoostingShard.self]
}
